/* Causal feature normalisation; the definitions are model/FORMAT.md's, computed in float32
 * frame by frame in the same order as train/mega_ref.py's recurrence, so that streaming in any
 * split equals offline bit for bit (both run this loop) and C equals the reference to rounding. */
#include "featnorm.h"

#include <math.h>
#include <string.h>

/* Added to the running variance (nats^2): a bin that has not moved (digital silence, a pure
 * tone) gives 0 instead of 0/0, and early frames with only a few samples behind them are not
 * blown up. 0.01 is a standard deviation of 0.1 nats, far below speech's few nats. */
#define RUNNING_VAR_FLOOR 0.01f

void
mega_featnorm_config_init (MegaFeatNormConfig *cfg)
{
  cfg->type = MEGA_FEATNORM_GLOBAL;
  cfg->pcen_s = 0.025;
  cfg->pcen_alpha = 0.98;
  cfg->pcen_delta = 2.0;
  cfg->pcen_r = 0.5;
  cfg->pcen_eps = 1e-6;
  cfg->running_frames = 100;
}

size_t
mega_featnorm_state_size (int n_mels)
{
  return 2 * (size_t) n_mels;
}

/* state: the smoother M [n_mels]. E = exp(f) undoes the filter bank's log, floor included. */
static void
pcen (const MegaFeatNormConfig *cfg, int n_mels, float *smooth, uint64_t frame, const float *in,
    float *out, size_t T)
{
  const float s = (float) cfg->pcen_s, keep = (float) (1.0 - cfg->pcen_s);
  const float alpha = (float) cfg->pcen_alpha, delta = (float) cfg->pcen_delta;
  const float r = (float) cfg->pcen_r, eps = (float) cfg->pcen_eps;
  const float delta_r = powf (delta, r);
  for (size_t t = 0; t < T; t++) {
    const float *x = in + t * (size_t) n_mels;
    float *y = out + t * (size_t) n_mels;
    for (int i = 0; i < n_mels; i++) {
      float e = expf (x[i]);
      smooth[i] = frame + t == 0 ? e : keep * smooth[i] + s * e;
      y[i] = powf (e / powf (eps + smooth[i], alpha) + delta, r) - delta_r;
    }
  }
}

/* state: mean [n_mels], then variance [n_mels]. The weight 1/(t+1) before the time constant
 * is reached makes the first frames' statistics the plain mean and variance of the frames
 * so far, instead of an EMA biased towards a made-up starting value. */
static void
running (const MegaFeatNormConfig *cfg, int n_mels, float *state, uint64_t frame, const float *in,
    float *out, size_t T)
{
  float *mean = state, *var = state + n_mels;
  const uint64_t n = (uint64_t) cfg->running_frames;
  for (size_t t = 0; t < T; t++) {
    uint64_t k = frame + t;
    float w = k + 1 < n ? 1.0f / (float) (k + 1) : 1.0f / (float) n;
    const float *x = in + t * (size_t) n_mels;
    float *y = out + t * (size_t) n_mels;
    for (int i = 0; i < n_mels; i++) {
      float f = x[i];
      if (k == 0) {
        mean[i] = f;
        var[i] = 0.0f;
      } else {
        float d = f - mean[i];
        mean[i] = mean[i] + w * d;
        var[i] = (1.0f - w) * (var[i] + w * d * d);
      }
      y[i] = (f - mean[i]) / sqrtf (var[i] + RUNNING_VAR_FLOOR);
    }
  }
}

void
mega_featnorm_apply (const MegaFeatNormConfig *cfg, int n_mels, float *state, uint64_t frame,
    const float *in, float *out, size_t T)
{
  switch (cfg->type) {
    case MEGA_FEATNORM_PCEN:
      pcen (cfg, n_mels, state, frame, in, out, T);
      break;
    case MEGA_FEATNORM_RUNNING:
      running (cfg, n_mels, state, frame, in, out, T);
      break;
    case MEGA_FEATNORM_GLOBAL:
    default:
      if (out != in)
        memmove (out, in, sizeof (float) * T * (size_t) n_mels);
      break;
  }
}
