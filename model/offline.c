/* Offline (whole-signal) inference. It runs the streaming block forward over large blocks on
 * a temporary state, so memory stays bounded by the block size whatever the length, and the
 * result equals streaming by construction.
 *
 * The EMA stays the frame-by-frame recurrence here too, not an FFT convolution: the kernel an
 * FFT would convolve with costs D*N*T operations to build, the same as running the recurrence
 * itself, so the FFT can only add work. Measured with tests/engine/bench-ema (one core,
 * -O2, FFTW_MEASURE plans, kernel built by repeated multiplication): D=64 N=16 T=512
 * recurrence 0.56 ms vs FFT 1.66 ms per block; T=1000 1.49 vs 3.76 ms; D=128 T=1000
 * 3.65 vs 11.8 ms. The recurrence also makes offline equal to streaming by construction.
 */
#include "mega_internal.h"
#include "kernels.h"

#include <math.h>
#include <string.h>

#define OFFLINE_BLOCK 512

static float *
alloc_rows (const MegaModel *m, size_t rows, size_t cols, GError **error)
{
  size_t n;
  if (!g_size_checked_mul (&n, MAX (rows, 1), cols) || !g_size_checked_mul (&n, n, sizeof (float))) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_INVALID, "%s: %zu frames are too many", m->path,
        rows);
    return NULL;
  }
  float *p = g_try_malloc0 (n);
  if (p == NULL)
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_INVALID, "%s: out of memory for %zu frames",
        m->path, rows);
  return p;
}

float *
mega_model_forward_features (const MegaModel *m, const float *features, size_t n_frames,
    GError **error)
{
  g_return_val_if_fail (m != NULL && (features != NULL || n_frames == 0), NULL);
  size_t K = (size_t) m->cfg.n_labels, M = (size_t) m->cfg.fbank.n_mels;
  float *out = alloc_rows (m, n_frames, K, error);
  if (out == NULL || n_frames == 0)
    return out;
  MegaRunState *rs = mega_run_state_new (m, MIN (n_frames, (size_t) OFFLINE_BLOCK));
  if (rs == NULL) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_INVALID, "%s: out of memory", m->path);
    g_free (out);
    return NULL;
  }
  MegaFpGuard g;
  mega_fp_enter (&g);
  for (size_t t = 0; t < n_frames; t += rs->max_frames) {
    size_t n = MIN (rs->max_frames, n_frames - t);
    mega_network_forward (m, rs, features + t * M, n);
    memcpy (out + t * K, rs->logits, sizeof (float) * n * K);
  }
  mega_fp_leave (&g);
  mega_run_state_free (rs);
  return out;
}

float *
mega_model_forward_audio (const MegaModel *m, const float *samples, size_t n, size_t *n_frames,
    GError **error)
{
  g_return_val_if_fail (m != NULL && (samples != NULL || n == 0) && n_frames != NULL, NULL);
  size_t K = (size_t) m->cfg.n_labels, M = (size_t) m->cfg.fbank.n_mels;
  size_t total = mega_fbank_n_frames (m->fbank, n);
  *n_frames = 0;
  float *out = alloc_rows (m, total, K, error);
  if (out == NULL || total == 0)
    return out;
  size_t block = MIN (total, (size_t) OFFLINE_BLOCK);
  MegaRunState *rs = mega_run_state_new (m, block);
  MegaFbankState *fs = mega_fbank_state_new (m->fbank);
  float *feats = g_try_new (float, block * M);
  if (rs == NULL || fs == NULL || feats == NULL) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_INVALID, "%s: out of memory", m->path);
    g_free (out);
    out = NULL;
    goto done;
  }
  size_t done_frames = 0;
  while (done_frames < total) {
    size_t consumed = 0;
    size_t f = mega_fbank_push (m->fbank, fs, samples, n, &consumed, feats, block);
    samples += consumed;
    n -= consumed;
    if (f == 0)
      break;
    MegaFpGuard g;
    mega_fp_enter (&g);
    mega_network_forward (m, rs, feats, f);
    mega_fp_leave (&g);
    memcpy (out + done_frames * K, rs->logits, sizeof (float) * f * K);
    done_frames += f;
  }
  g_assert (done_frames == total);
  *n_frames = total;
done:
  g_free (feats);
  if (fs)
    mega_fbank_state_free (fs);
  mega_run_state_free (rs);
  return out;
}

float *
mega_model_fbank (const MegaModel *m, const float *samples, size_t n, size_t *n_frames)
{
  g_return_val_if_fail (m != NULL && (samples != NULL || n == 0) && n_frames != NULL, NULL);
  size_t M = (size_t) m->cfg.fbank.n_mels;
  size_t total = mega_fbank_n_frames (m->fbank, n);
  float *out = g_new0 (float, MAX (total, 1) * M);
  MegaFbankState *fs = mega_fbank_state_new (m->fbank);
  size_t got = 0;
  while (got < total) {
    size_t consumed = 0;
    size_t f = mega_fbank_push (m->fbank, fs, samples, n, &consumed, out + got * M, total - got);
    samples += consumed;
    n -= consumed;
    if (f == 0)
      break;
    got += f;
  }
  mega_fbank_state_free (fs);
  g_assert (got == total);
  *n_frames = total;
  return out;
}

void
mega_softmax_rows (float *rows, size_t n_frames, int n_labels)
{
  for (size_t t = 0; t < n_frames; t++) {
    softmax (rows + t * (size_t) n_labels, n_labels, TRUE);
  }
}
