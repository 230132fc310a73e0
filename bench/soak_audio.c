/* The soak's audio; see soak_audio.h. */
#include "soak_audio.h"

#include <math.h>

#define CYCLE_S 60
#define SPEECH_S 30
#define SILENCE_S 15
/* white noise at -50 dBFS RMS, a quiet room (uniform in [-a, a) has RMS a / sqrt 3) */
#define NOISE_PEAK (0.00316227766 * 1.7320508)

void
soak_audio_init (SoakAudio *a, const char *speech_dir, double pool_seconds)
{
  /* Kept as S16 (what the pipeline carries): half the resident memory of float. */
  gsize n = (gsize) (pool_seconds * 16000);
  float *x = g_new (float, n);
  a->speech_desc = g_strdup_printf ("%s, %g s of it held",
      bench_signal_fill (BENCH_SPEECH, speech_dir, x, n), pool_seconds);
  a->speech = g_new (gint16, n);
  for (gsize i = 0; i < n; i++)
    a->speech[i] = (gint16) CLAMP (lrintf (x[i] * 32767.0f), -32768, 32767);
  a->speech_len = n;
  g_free (x);
}

void
soak_audio_clear (SoakAudio *a)
{
  g_clear_pointer (&a->speech, g_free);
  g_clear_pointer (&a->speech_desc, g_free);
}

/* Speech at time (16 kHz samples) t16 + frac/den, linearly interpolated: 48 kHz parts get a
 * band-limited upsampling of the same recording instead of a staircase of repeated samples. */
static float
speech_at (const SoakAudio *a, guint64 t16, guint64 frac, guint64 den)
{
  float s0 = a->speech[t16 % a->speech_len], s1 = a->speech[(t16 + 1) % a->speech_len];
  return s0 + (s1 - s0) * (float) frac / (float) den;
}

/* Uniform in [-1, 1) from the position alone (splitmix64), so replayed noise is the same. */
static float
noise_at (guint64 p)
{
  guint64 z = p * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return (float) ((z >> 40) * (1.0 / 8388608.0) - 1.0);
}

void
soak_audio_fill (SoakAudio *a, gint16 *out, guint64 pos, gsize n, int rate, int channels)
{
  guint64 cycle = (guint64) CYCLE_S * rate;
  for (gsize i = 0; i < n; i++) {
    guint64 p = pos + i, c = p / cycle, w = p % cycle;
    float v;
    if (w < (guint64) SPEECH_S * rate) {
      /* the speech parts of successive cycles play the recording on, not its first 30 s */
      guint64 num = (c * SPEECH_S * rate + w) * 16000;
      v = speech_at (a, num / rate, num % rate, rate);
    } else if (w < (guint64) (SPEECH_S + SILENCE_S) * rate) {
      v = 0.0f;
    } else {
      v = (float) (NOISE_PEAK * 32767.0) * noise_at (p);
    }
    /* channel c at 1/(c+1) of the level: the element's downmix has different channels to
     * average, as from a real stereo microphone */
    for (int ch = 0; ch < channels; ch++)
      out[i * channels + ch] = (gint16) CLAMP (lrintf (v / (ch + 1)), -32768, 32767);
  }
}
