/* gst-mega: a streaming Mega audio classifier.
 *
 * Two objects, in the style of rnnoise and whisper.cpp:
 *   MegaModel  - the immutable weights and configuration, loaded once from a model file
 *                (model/FORMAT.md). Thread-safe to share: any number of streams, on any
 *                threads, may use one model at the same time.
 *   MegaStream - the per-stream state (front-end partial frame, EMA states, attention window,
 *                frame counter). Memory is fixed when it is created; pushing audio never
 *                allocates. One stream must be used by one thread at a time.
 *
 * Audio is mono float in [-1, 1] at the model's sample rate. Each complete feature frame
 * (frame_shift samples apart) yields one row of logits over the model's labels.
 * Errors are reported through GError in the MEGA_ERROR domain; messages name the file and
 * the exact problem.
 *
 * Matrix products go through OpenBLAS; its thread count is left to the environment
 * (OPENBLAS_NUM_THREADS). While the network runs, the calling thread's SSE mode is set to
 * flush denormals to zero and restored afterwards (also around every MegaLogitsFunc call).
 */
#ifndef MEGA_H
#define MEGA_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

#define MEGA_ERROR (mega_error_quark ())
GQuark mega_error_quark (void);

typedef enum {
  MEGA_ERROR_IO,       /* file missing, unreadable, truncated */
  MEGA_ERROR_FORMAT,   /* header, JSON, tensors or config invalid */
  MEGA_ERROR_VERSION,  /* unknown format version */
  MEGA_ERROR_INVALID   /* bad argument */
} MegaErrorCode;

typedef struct MegaModel MegaModel;
typedef struct MegaStream MegaStream;

/* What a caller may need to know about a model; owned by the model. */
typedef struct {
  int sample_rate;      /* Hz, mono */
  int frame_length;     /* samples per analysis window */
  int frame_shift;      /* samples between frames (one logit row per shift) */
  int n_mels;
  int n_labels;
  const char *const *labels; /* n_labels names; names starting with '_' are background */
  int d_model, z_dim, h_dim, ffn_dim, n_dim, n_layers, window;
  const char *attention;     /* "softmax" | "laplace" | "relu2" */
  const char *rel_pos_bias;  /* "simple" | "rotary" */
  const char *norm;          /* "layernorm" | "scalenorm" | "rmsnorm" | "batchnorm" */
  gboolean prenorm;
  const char *window_mode;   /* "chunk" | "sliding" */
  const char *normalization; /* "global" | "pcen" | "running" (frontend.normalization) */
  size_t n_params;           /* number of trainable weights (the feature statistics and the
                              * batchnorm running statistics are not counted) */
} MegaInfo;

/* Loads and strictly validates a model file (model/FORMAT.md): container, metadata, config
 * ranges, exactly the required tensors with their shapes, finite values, std > 0. NULL and
 * *error set on any problem, with a message "<path>: <problem>" and code MEGA_ERROR_IO
 * (missing, unreadable, truncated), MEGA_ERROR_VERSION (format_version) or MEGA_ERROR_FORMAT. */
MegaModel *mega_model_load (const char *path, GError **error);
void mega_model_free (MegaModel *model);
const MegaInfo *mega_model_info (const MegaModel *model);

/* Called by the stream and offline paths with n_frames consecutive rows of logits
 * (n_frames x n_labels, row-major). first_frame is the index of the first row since the
 * stream started (or was reset). The pointer is valid only during the call. */
typedef void (*MegaLogitsFunc) (const float *logits, size_t n_frames, uint64_t first_frame,
    void *user_data);

/* How a stream schedules the network; start from mega_stream_default_params () and change
 * what you need, in the style of whisper.cpp's params. */
typedef struct {
  /* Frames the stream collects, across pushes, before it runs the network on them at once:
   * 1..MEGA_STREAM_MAX_BATCH. 1 (the default): each push runs every frame it completes before
   * it returns, as a live source needs. Larger: a push that leaves fewer than batch_frames
   * frames waiting keeps them for the next push, so that buffers of a few frames still make
   * large matrix products (cheaper per frame); their logits come up to batch_frames - 1
   * frames later, and mega_stream_flush () runs them when the caller needs them now. */
  size_t batch_frames;
} MegaStreamParams;

/* The largest batch_frames: 10 s of frames at a 10 ms shift, about 5 MB of work buffers with
 * the default model; past a few dozen frames a bigger batch gains little
 * (plugin/megaclassify-defaults.h has the measurement). */
#define MEGA_STREAM_MAX_BATCH 1024

MegaStreamParams mega_stream_default_params (void);
/* Same as mega_stream_new_with_params (model, NULL, error): the default params. */
MegaStream *mega_stream_new (const MegaModel *model, GError **error);
/* params NULL means the defaults. The work buffers are sized for max (batch_frames, 16) frames
 * here, once (about 4.9 KB a frame with the default model, on top of ~123 KB of state); NULL
 * and MEGA_ERROR_INVALID when batch_frames is out of range or memory runs out. */
MegaStream *mega_stream_new_with_params (const MegaModel *model, const MegaStreamParams *params,
    GError **error);
void mega_stream_free (MegaStream *stream);
/* Back to the state of a new stream (frame counter 0, EMA and window empty); frames waiting in
 * a batch are dropped, not run. */
void mega_stream_reset (MegaStream *stream);

/* Pushes n samples (any n, including 0 and 1). Complete frames are run in matrix products of
 * up to max (batch_frames, 16) frames (more are split, with the same result) and handed to
 * on_logits in order; with batch_frames > 1 they may include frames of earlier pushes, and
 * fewer than batch_frames frames may stay waiting (see MegaStreamParams). on_logits may be
 * called several times, or not at all, and may be NULL; pass the same one to every call of a
 * stream, since it may get the frames of an earlier push. Non-finite samples are the caller's
 * job to sanitise (the element replaces them with 0). */
void mega_stream_push_audio (MegaStream *stream, const float *samples, size_t n,
    MegaLogitsFunc on_logits, void *user_data);

/* Pushes n_frames raw (not normalised) log-mel rows of n_mels values, bypassing the audio
 * front end; batched as push_audio. Do not mix with push_audio on one stream without a reset
 * in between. */
void mega_stream_push_features (MegaStream *stream, const float *features, size_t n_frames,
    MegaLogitsFunc on_logits, void *user_data);

/* Runs the frames waiting in a batch now (none with batch_frames 1), whatever their number,
 * and hands their logits to on_logits; afterwards none are waiting. */
void mega_stream_flush (MegaStream *stream, MegaLogitsFunc on_logits, void *user_data);

/* Frames whose logits have been handed out (or skipped) since the stream started or was
 * reset: the index the next on_logits call starts at. Frames waiting in a batch are not
 * counted until they run. */
uint64_t mega_stream_frames (const MegaStream *stream);

/* Frames complete but waiting in a batch (always fewer than batch_frames after a push). */
size_t mega_stream_pending_frames (const MegaStream *stream);

/* The model's memory under constant input (such as silence): after this many frames of it,
 * the state has reached its fixed point to float precision and no longer depends on what came
 * before. 0 when the model never forgets (an EMA dimension that does not decay). */
uint64_t mega_model_settle_frames (const MegaModel *model);

/* Advances the frame counter by n_frames, a multiple of the model's attention window, as if
 * that many more frames of the same constant input had been pushed. Only valid when the
 * stream has been fed that input for at least mega_model_settle_frames() frames and its last
 * frame lies wholly in it: then the skipped frames would not have changed the state. The
 * skipped frames come after those waiting in a batch, which must run first: call
 * mega_stream_flush () before (with frames waiting it does nothing and warns). */
void mega_stream_skip_frames (MegaStream *stream, uint64_t n_frames);

/* Offline: a whole signal (or feature matrix) at once. Returns a newly allocated
 * n_frames x n_labels logit matrix (g_free it) and sets *n_frames; NULL with *error on failure
 * (e.g. out of memory). Equal to streaming the same input in any split (max abs diff <= 1e-4):
 * it runs the streaming code over blocks of 512 frames, so memory does not grow with the
 * length. Input too short for one frame gives *n_frames = 0 and a non-NULL empty matrix. */
float *mega_model_forward_audio (const MegaModel *model, const float *samples, size_t n,
    size_t *n_frames, GError **error);
float *mega_model_forward_features (const MegaModel *model, const float *features,
    size_t n_frames_in, GError **error);

/* Raw log-mel features of a whole signal (n_frames x n_mels, not normalised), as
 * torchaudio.compliance.kaldi.fbank(x * input_scale, dither=0, ...) computes them. g_free it. */
float *mega_model_fbank (const MegaModel *model, const float *samples, size_t n,
    size_t *n_frames);

/* In-place softmax of n_frames rows of n_labels logits into posteriors. */
void mega_softmax_rows (float *rows, size_t n_frames, int n_labels);

G_END_DECLS

#endif /* MEGA_H */
