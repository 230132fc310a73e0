/* Everything megaclassify computes from the model's logits, frame by frame, without GStreamer:
 * posteriors, detections (detector.h), the window mean for posteriors messages, and the
 * end-of-stream clip summary. The element hands it each row of logits and turns the model
 * sample positions it answers with into times; this file is the one train/decision.py mirrors.
 *
 * Positions are model samples counted from the last reset: frame f covers
 * [f * frame_shift, f * frame_shift + frame_length). */
#ifndef MEGA_ANALYZER_H
#define MEGA_ANALYZER_H

#include <glib.h>

#include "mega.h"

G_BEGIN_DECLS

typedef struct MegaAnalyzer MegaAnalyzer;

/* May change between any two frames (element properties are live). */
typedef struct {
  double threshold;              /* smoothed posterior a label needs; also the clip rule's */
  guint smoothing_frames;        /* the window the posteriors are averaged over (>= 1) */
  guint64 suppression_frames;    /* between two detections of the same label */
  guint minimum_count;           /* frames the window must hold before anything fires */
  guint64 interval_ns;           /* posteriors every interval of audio (0: never) */
} MegaAnalyzerParams;

typedef struct {
  int label;
  double confidence;             /* the label's mean over the window */
  guint64 end, span;             /* the window is [end - span, end) */
  guint64 start, stop;           /* the keyword's estimated extent */
} MegaAnalyzerDetection;

/* What one frame gave. */
typedef struct {
  guint64 frame;                 /* since the last reset */
  gboolean nonfinite;            /* logits had NaN/Inf: the posteriors were made uniform */
  gboolean detected;             /* det is filled in */
  MegaAnalyzerDetection det;
} MegaAnalyzerFrame;

typedef struct {
  const double *peak;            /* per label: the highest smoothed posterior */
  guint64 frames;                /* frames since creation or reset_summary */
  int label;                     /* the clip's class (mega_clip_decision) */
} MegaAnalyzerSummary;

/* info gives the labels (kept, not copied) and the frame geometry; max_window bounds
 * smoothing_frames for life. */
MegaAnalyzer *mega_analyzer_new (const MegaInfo *info, guint max_window);
void mega_analyzer_free (MegaAnalyzer *a);
void mega_analyzer_set_params (MegaAnalyzer *a, const MegaAnalyzerParams *params);

/* A new stream: window, detections, frame counter and interval restart; the summary goes on
 * (a DISCONT inside a clip is still the same clip). */
void mega_analyzer_reset (MegaAnalyzer *a);
void mega_analyzer_reset_summary (MegaAnalyzer *a);

/* The next frame's n_labels logits. */
void mega_analyzer_push (MegaAnalyzer *a, const float *logits, MegaAnalyzerFrame *out);

/* Counts n more frames equal to the last one without computing them (settled silence); only
 * when mega_analyzer_would_fire() is FALSE. */
void mega_analyzer_skip (MegaAnalyzer *a, guint64 n);
gboolean mega_analyzer_would_fire (const MegaAnalyzer *a);

/* Audio stops at sample `end`; what follows is end-padding: detections are clipped to it and
 * no interval falls due. G_MAXUINT64 lifts it (reset does too). */
void mega_analyzer_set_audio_end (MegaAnalyzer *a, guint64 end);

/* TRUE once per interval multiple passed by the newest frame's end (never in the padding);
 * call after each push when posteriors messages are wanted. */
gboolean mega_analyzer_interval_due (MegaAnalyzer *a);

/* The window mean and the audio it covers, [end - span, end); NULL when the window is empty. */
const double *mega_analyzer_window (const MegaAnalyzer *a, guint64 *end, guint64 *span);

/* The newest frame's posteriors and the count of non-finite rows since creation. */
const float *mega_analyzer_posteriors (const MegaAnalyzer *a);
guint64 mega_analyzer_nonfinite_rows (const MegaAnalyzer *a);

/* FALSE when no frame was counted since creation or reset_summary. */
gboolean mega_analyzer_summary (const MegaAnalyzer *a, MegaAnalyzerSummary *out);

/* The clip rule, on peak[k] = the highest smoothed posterior of label k over the clip: the
 * best non-background label whose peak reaches threshold; else the best background label
 * other than `silence` whose peak reaches it; else `silence` (or, when silence < 0, the
 * background label with the highest peak). A keyword said once in a clip of silence wins over
 * the silence around it, which a mean over the clip would not allow. */
int mega_clip_decision (const double *peak, const gboolean *background, int silence,
    int n_labels, double threshold);

G_END_DECLS

#endif
