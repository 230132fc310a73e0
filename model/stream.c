/* MegaStream: one audio stream's front-end and network state. Everything is allocated in
 * mega_stream_new_with_params; pushing never allocates. Complete feature frames wait in
 * `features` until batch_frames of them are there (or the buffer is full, or the caller
 * flushes), then run as one block; the state carries from block to block, so the block sizes
 * change the result only by float rounding. */
#include "mega_internal.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* The smallest block a stream can run at once, whatever its batch_frames. A 10 ms hop gives
 * one frame per 10 ms of audio, so 16 covers buffers up to 0.16 s (live sources deliver
 * 10-100 ms) in one pass; larger ones are split. The work buffers cost about 4.9 KB per frame
 * with the default model (351k parameters) on top of its 123 KB of carried state, so 16 keeps
 * a live stream near 210 KB, under the 256 KB budget; a caller that batches more (a file,
 * where latency does not matter) asks for it with batch_frames. */
#define STREAM_MIN_BLOCK 16

struct MegaStream {
  const MegaModel *model;
  MegaFbankState *fbank;
  MegaRunState *run;
  size_t batch;      /* run once this many frames wait (params.batch_frames) */
  size_t capacity;   /* rows of features and of the run state: max (batch, STREAM_MIN_BLOCK) */
  size_t pending;    /* complete frames waiting in features, not run yet */
  float *features;   /* [capacity x M] raw log-mel */
};

MegaStreamParams
mega_stream_default_params (void)
{
  return (MegaStreamParams) { .batch_frames = 1 };
}

MegaStream *
mega_stream_new (const MegaModel *model, GError **error)
{
  return mega_stream_new_with_params (model, NULL, error);
}

MegaStream *
mega_stream_new_with_params (const MegaModel *model, const MegaStreamParams *params,
    GError **error)
{
  g_return_val_if_fail (model != NULL, NULL);
  MegaStreamParams p = params ? *params : mega_stream_default_params ();
  if (p.batch_frames < 1 || p.batch_frames > MEGA_STREAM_MAX_BATCH) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_INVALID,
        "%s: batch_frames %zu is outside 1..%d", model->path, p.batch_frames,
        MEGA_STREAM_MAX_BATCH);
    return NULL;
  }
  MegaStream *s = g_new0 (MegaStream, 1);
  s->model = model;
  s->batch = p.batch_frames;
  s->capacity = MAX (p.batch_frames, (size_t) STREAM_MIN_BLOCK);
  s->fbank = mega_fbank_state_new (model->fbank);
  s->run = mega_run_state_new (model, s->capacity);
  s->features = g_try_new (float, s->capacity * model->cfg.fbank.n_mels);
  if (s->fbank == NULL || s->run == NULL || s->features == NULL) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_INVALID, "%s: out of memory for a stream",
        model->path);
    mega_stream_free (s);
    return NULL;
  }
  return s;
}

void
mega_stream_free (MegaStream *s)
{
  if (s == NULL)
    return;
  if (s->fbank)
    mega_fbank_state_free (s->fbank);
  mega_run_state_free (s->run);
  g_free (s->features);
  g_free (s);
}

void
mega_stream_reset (MegaStream *s)
{
  g_return_if_fail (s != NULL);
  mega_fbank_state_reset (s->fbank);
  mega_run_state_reset (s->model, s->run);
  s->pending = 0;
}

/* Runs n frames and hands their logits to the caller; the float mode is the caller's again
 * while on_logits runs. */
static void
run_block (MegaStream *s, const float *features, size_t n, MegaLogitsFunc on_logits,
    void *user_data)
{
  uint64_t first = s->run->frame;
  MegaFpGuard g;
  mega_fp_enter (&g);
  mega_network_forward (s->model, s->run, features, n);
  mega_fp_leave (&g);
  if (on_logits != NULL)
    on_logits (s->run->logits, n, first, user_data);
}

static void
run_pending (MegaStream *s, MegaLogitsFunc on_logits, void *user_data)
{
  if (s->pending == 0)
    return;
  size_t n = s->pending;
  s->pending = 0;   /* before the callback, which may look at the stream */
  run_block (s, s->features, n, on_logits, user_data);
}

void
mega_stream_push_audio (MegaStream *s, const float *samples, size_t n, MegaLogitsFunc on_logits,
    void *user_data)
{
  g_return_if_fail (s != NULL && (samples != NULL || n == 0));
  size_t M = (size_t) s->model->cfg.fbank.n_mels;
  while (n > 0) {
    if (s->pending == s->capacity)
      run_pending (s, on_logits, user_data);
    size_t consumed = 0;
    size_t frames = mega_fbank_push (s->model->fbank, s->fbank, samples, n, &consumed,
        s->features + s->pending * M, s->capacity - s->pending);
    g_assert (consumed <= n);
    samples += consumed;
    n -= consumed;
    s->pending += frames;
    if (frames == 0 && consumed == 0)
      break;  /* the front end took nothing and made nothing: do not spin */
  }
  if (s->pending >= s->batch)
    run_pending (s, on_logits, user_data);
}

void
mega_stream_push_features (MegaStream *s, const float *features, size_t n_frames,
    MegaLogitsFunc on_logits, void *user_data)
{
  g_return_if_fail (s != NULL && (features != NULL || n_frames == 0));
  size_t M = (size_t) s->model->cfg.fbank.n_mels;
  while (n_frames > 0) {
    size_t n;
    if (s->pending == 0 && n_frames >= s->batch) {
      /* whole batches run straight from the caller's rows, without a copy */
      n = MIN (n_frames, s->capacity);
      run_block (s, features, n, on_logits, user_data);
    } else {
      n = MIN (n_frames, s->capacity - s->pending);
      memcpy (s->features + s->pending * M, features, sizeof (float) * n * M);
      s->pending += n;
      if (s->pending == s->capacity)
        run_pending (s, on_logits, user_data);
    }
    features += n * M;
    n_frames -= n;
  }
  if (s->pending >= s->batch)
    run_pending (s, on_logits, user_data);
}

void
mega_stream_flush (MegaStream *s, MegaLogitsFunc on_logits, void *user_data)
{
  g_return_if_fail (s != NULL);
  run_pending (s, on_logits, user_data);
}

uint64_t
mega_stream_frames (const MegaStream *s)
{
  g_return_val_if_fail (s != NULL, 0);
  return s->run->frame;
}

size_t
mega_stream_pending_frames (const MegaStream *s)
{
  g_return_val_if_fail (s != NULL, 0);
  return s->pending;
}

/* A state that decays as rate^t has forgotten its start to this fraction: below float
 * rounding (2^-24 = 6e-8 relative) is 1e-7 away from it, so skipped frames change nothing a
 * float can show beyond that. */
#define SETTLE_RESIDUAL 1e-7

/* Frames for rate^t to fall below residual; G_MAXUINT64 when rate >= 1 (no decay). */
static uint64_t
decay_frames (double rate, double residual)
{
  if (rate <= 0.0)
    return 1;
  if (!(rate < 1.0))
    return G_MAXUINT64;
  return (uint64_t) ceil (log (residual) / log (rate)) + 1;
}

/* Frames the causal feature normalisation needs to forget its past (FORMAT.md). Its state is
 * not normalised: PCEN smooths linear energy, which after speech can be FLT_MAX / FLT_EPSILON
 * (the filter bank's floor) times the silence it must settle on, and the running variance can
 * start (ln (FLT_MAX / FLT_EPSILON))^2 / RUNNING_VAR_FLOOR times above its floor; the residual
 * is taken relative to the fixed point, so those ratios are decayed away first. */
static uint64_t
featnorm_settle_frames (const MegaFeatNormConfig *f)
{
  const double energy_range = (double) FLT_MAX / FLT_EPSILON;
  const double var_range = log (energy_range) * log (energy_range) / 0.01;
  switch (f->type) {
    case MEGA_FEATNORM_PCEN:
      return decay_frames (1.0 - f->pcen_s, SETTLE_RESIDUAL / energy_range);
    case MEGA_FEATNORM_RUNNING:
      /* weights 1/(t+1) until running_frames, then an EMA of rate 1 - 1/running_frames */
      return (uint64_t) f->running_frames
          + decay_frames (1.0 - 1.0 / f->running_frames, SETTLE_RESIDUAL / var_range);
    case MEGA_FEATNORM_GLOBAL:
    default:
      return 0;
  }
}

/* Why the sum below bounds the memory. Under constant input each stage is a contraction
 * towards its fixed point: the feature normalisation and every EMA dimension decay
 * geometrically (h <- pbeta x + q h has error q^t, 0 < q < 1 since q = 1 - sigmoid * sigmoid),
 * the attention reads only the last `window` keys and values, and everything else is
 * per-frame. A layer's input has settled once the layer before it has, so the stages are
 * taken in series: the normalisation, then per layer the slowest EMA dimension plus the
 * attention window. Each stage starts only when its input is within SETTLE_RESIDUAL, so the
 * residual at the end is a few SETTLE_RESIDUALs relative, far inside the streaming
 * tolerance (1e-5). */
uint64_t
mega_model_settle_frames (const MegaModel *model)
{
  g_return_val_if_fail (model != NULL, 0);
  const MegaConfig *c = &model->cfg;
  size_t DN = (size_t) c->d_model * c->n_dim;
  uint64_t total = featnorm_settle_frames (&c->featnorm);
  for (int l = 0; l < c->n_layers; l++) {
    double slowest = 0.0;
    for (size_t i = 0; i < DN; i++)
      slowest = MAX (slowest, fabs ((double) model->layers[l].ema_q[i]));
    uint64_t ema = decay_frames (slowest, SETTLE_RESIDUAL);
    if (ema == G_MAXUINT64 || total == G_MAXUINT64)
      return 0;
    total += ema + (uint64_t) c->window;
  }
  return total;
}

void
mega_stream_skip_frames (MegaStream *s, uint64_t n_frames)
{
  g_return_if_fail (s != NULL);
  /* keeps each frame's position in its attention chunk, which the relative biases read */
  g_return_if_fail (n_frames % (uint64_t) s->model->cfg.window == 0);
  /* the waiting frames come before the skipped ones; skipping now would misnumber them */
  g_return_if_fail (s->pending == 0);
  s->run->frame += n_frames;
}
