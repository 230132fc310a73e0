/* Posterior smoothing and the keyword detection rule (in the spirit of TensorFlow's
 * RecognizeCommands). Plain C on frame indices: it knows nothing about GStreamer time, so it
 * can be tested on its own and the element converts frames to timestamps.
 *
 * Each frame the caller pushes one posterior vector. The detector keeps the last `window`
 * vectors and their mean (the smoothed posteriors). A detection fires on frame f when
 *   - the window holds at least min(minimum_count, window) frames,
 *   - the top non-background label c of the mean has mean[c] >= threshold,
 *   - and c differs from the last detected label, or at least `suppression` frames passed
 *     since that detection.
 * Background labels (names starting with '_') are never detected. */
#ifndef MEGA_DETECTOR_H
#define MEGA_DETECTOR_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct MegaDetector MegaDetector;

typedef struct {
  int label;              /* class index */
  double confidence;      /* smoothed posterior of label, in [0, 1] */
  guint64 frame;          /* frame on which the decision was made */
  guint64 window_first;   /* oldest frame of the averaging window (window = [window_first, frame]) */
  guint64 start_frame;    /* first and last window frames where the label's own posterior */
  guint64 end_frame;      /* reached threshold / 2: the estimated keyword span */
} MegaDetection;

/* background[i] TRUE marks label i as never detected. max_window bounds `window` for life. */
MegaDetector *mega_detector_new (int n_labels, const gboolean *background, guint max_window);
void mega_detector_free (MegaDetector *det);

/* Empties the window and forgets the last detection; the frame counter restarts at 0. */
void mega_detector_reset (MegaDetector *det);

/* May be called between any two pushes (settings change live). window is clamped to
 * [1, max_window]; a smaller window drops the oldest frames at once. */
void mega_detector_configure (MegaDetector *det, guint window, guint minimum_count,
    guint64 suppression_frames, double threshold);

/* Adds the posteriors of the next frame (n_labels values). Returns TRUE and fills *out when
 * this frame fires a detection. */
gboolean mega_detector_push (MegaDetector *det, const float *posteriors, MegaDetection *out);

/* Counts n more frames equal to the newest without pushing them: for a long constant input
 * (silence), where the window would hold the same rows. The caller checks that such frames
 * would not fire (mega_detector_would_fire). */
void mega_detector_skip (MegaDetector *det, guint64 n);

/* TRUE when pushing a row equal to the current mean could fire a detection once suppression
 * has passed: some non-background label's mean reaches the threshold. */
gboolean mega_detector_would_fire (const MegaDetector *det);

/* Mean of the frames now in the window (n_labels values, each in [0, 1]); valid until the
 * next push/reset/configure. Meaningless when mega_detector_fill() is 0. */
const double *mega_detector_mean (const MegaDetector *det);
guint mega_detector_fill (const MegaDetector *det);
/* Frames pushed since creation or reset. */
guint64 mega_detector_frames (const MegaDetector *det);

/* TRUE when the window is full enough for the rule to fire (the same gate detections use);
 * the end-of-stream summary only takes peaks from such frames. */
gboolean mega_detector_ready (const MegaDetector *det);

G_END_DECLS

#endif
