/* MegaStream: one audio stream's front-end and network state. Everything is allocated in
 * mega_stream_new; pushing never allocates. Input larger than the work buffers is processed
 * in blocks of STREAM_MAX_FRAMES frames, which gives the same result (the state carries). */
#include "mega_internal.h"

#include <float.h>
#include <math.h>

/* Frames batched into one matrix product. A 10 ms hop gives one frame per buffer of 10 ms,
 * so 16 covers buffers up to 0.16 s (live sources deliver 10-100 ms) in one pass; larger ones
 * are split. The work buffers cost about 4.9 KB per frame with the default model (351k
 * parameters) on top of its 123 KB of carried state, so 16 keeps a whole stream near 210 KB,
 * under the 256 KB budget; beyond 10-20 frames a bigger batch gains little (bench/RESULTS.md). */
#define STREAM_MAX_FRAMES 16

struct MegaStream {
  const MegaModel *model;
  MegaFbankState *fbank;
  MegaRunState *run;
  float *features;   /* [STREAM_MAX_FRAMES x M] raw log-mel */
};

MegaStream *
mega_stream_new (const MegaModel *model, GError **error)
{
  g_return_val_if_fail (model != NULL, NULL);
  MegaStream *s = g_new0 (MegaStream, 1);
  s->model = model;
  s->fbank = mega_fbank_state_new (model->fbank);
  s->run = mega_run_state_new (model, STREAM_MAX_FRAMES);
  s->features = g_try_new (float, (size_t) STREAM_MAX_FRAMES * model->cfg.fbank.n_mels);
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

void
mega_stream_push_audio (MegaStream *s, const float *samples, size_t n, MegaLogitsFunc on_logits,
    void *user_data)
{
  g_return_if_fail (s != NULL && (samples != NULL || n == 0));
  while (n > 0) {
    size_t consumed = 0;
    size_t frames = mega_fbank_push (s->model->fbank, s->fbank, samples, n, &consumed,
        s->features, STREAM_MAX_FRAMES);
    g_assert (consumed <= n);
    samples += consumed;
    n -= consumed;
    if (frames > 0)
      run_block (s, s->features, frames, on_logits, user_data);
    else if (consumed == 0)
      break;  /* the front end took nothing and made nothing: do not spin */
  }
}

void
mega_stream_push_features (MegaStream *s, const float *features, size_t n_frames,
    MegaLogitsFunc on_logits, void *user_data)
{
  g_return_if_fail (s != NULL && (features != NULL || n_frames == 0));
  size_t M = (size_t) s->model->cfg.fbank.n_mels;
  while (n_frames > 0) {
    size_t n = MIN (n_frames, (size_t) STREAM_MAX_FRAMES);
    run_block (s, features, n, on_logits, user_data);
    features += n * M;
    n_frames -= n;
  }
}

uint64_t
mega_stream_frames (const MegaStream *s)
{
  g_return_val_if_fail (s != NULL, 0);
  return s->run->frame;
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
  s->run->frame += n_frames;
}
