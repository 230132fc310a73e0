/* libFuzzer target: a stream of a small model fed arbitrary float samples (NaN, Inf,
 * denormals, huge values) in arbitrary split sizes. The input is split-size bytes, then the
 * samples: byte 0 gives the number k of split bytes, the next k bytes are chunk lengths (in
 * samples, cycled; 0 pushes nothing, then one sample), the rest are the float32 samples. The
 * split run batches frames across pushes (MegaStreamParams.batch_frames 1, 7, 16 or 64, by
 * k % 4) and flushes at the end.
 * Checks, besides ASan and UBSan: the frame count is the documented one whatever the splits;
 * for audio in [-1, 1] every logit is finite and equal (to rounding: the frames are batched
 * differently) to those of the same samples pushed in one piece. Outside that range (NaN,
 * Inf, 1e38) the engine owes nothing but a defined result; the element replaces non-finite
 * samples before they get here. */
#include "mega.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static MegaModel *model;

typedef struct {
  float *rows;
  size_t n, cap;
  int k;
} Rows;

static void
collect (const float *logits, size_t n, uint64_t first, void *user_data)
{
  Rows *r = user_data;
  if (first != r->n || r->n + n > r->cap)
    abort ();
  memcpy (r->rows + r->n * r->k, logits, sizeof (float) * n * r->k);
  r->n += n;
}

static gboolean
same (float a, float b)
{
  return isfinite (a) && isfinite (b)
      && fabsf (a - b) <= 1e-3f * fmaxf (1.0f, fmaxf (fabsf (a), fabsf (b)));
}

static gboolean
audio_range (const float *x, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!(fabsf (x[i]) <= 1.0f))
      return FALSE;
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (model == NULL && (model = mega_model_load (FUZZ_MODEL, NULL)) == NULL)
    abort ();
  if (size < 1)
    return 0;
  size_t k = MIN ((size_t) data[0], size - 1);
  const uint8_t *splits = data + 1;
  size_t n = (size - 1 - k) / sizeof (float);
  float *x = g_new (float, n + 1);
  memcpy (x, data + 1 + k, n * sizeof (float));

  const MegaInfo *info = mega_model_info (model);
  size_t frames = n < (size_t) info->frame_length ? 0
      : (n - info->frame_length) / info->frame_shift + 1;
  Rows whole = { g_new (float, (frames + 1) * info->n_labels), 0, frames, info->n_labels };
  Rows split = { g_new (float, (frames + 1) * info->n_labels), 0, frames, info->n_labels };
  static const size_t batches[] = { 1, 7, 16, 64 };
  MegaStreamParams params = mega_stream_default_params ();
  MegaStream *s = mega_stream_new (model, NULL);
  mega_stream_push_audio (s, x, n, collect, &whole);
  mega_stream_free (s);
  params.batch_frames = batches[k % 4];
  s = mega_stream_new_with_params (model, &params, NULL);
  for (size_t pos = 0, i = 0; pos < n; i++) {
    size_t len = k ? splits[i % k] : n;
    if (len == 0) {
      mega_stream_push_audio (s, x + pos, 0, collect, &split);
      len = 1;
    }
    len = MIN (len, n - pos);
    mega_stream_push_audio (s, x + pos, len, collect, &split);
    pos += len;
  }
  mega_stream_flush (s, collect, &split);
  if (whole.n != frames || split.n != frames || mega_stream_frames (s) != frames)
    abort ();
  if (audio_range (x, n))
    for (size_t i = 0; i < frames * (size_t) info->n_labels; i++)
      if (!same (whole.rows[i], split.rows[i]))
        abort ();
  mega_stream_free (s);
  g_free (whole.rows);
  g_free (split.rows);
  g_free (x);
  return 0;
}
