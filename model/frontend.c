/* Kaldi-compatible log-mel filter bank; see frontend.h for the contract.
 *
 * The arithmetic follows torchaudio.compliance.kaldi.fbank step by step, in single precision
 * where torchaudio uses it, so that features computed here equal the ones a model was trained
 * on. Where a sum is involved (frame mean, mel projection) it is accumulated in double: that
 * is at least as accurate as torch's float32 reductions and keeps the result independent of
 * how the samples were split between pushes. */
#include "frontend.h"
#include "mega.h"

#include <fftw3.h>
#include <float.h>
#include <math.h>
#include <string.h>

struct MegaFbank {
  MegaFbankConfig cfg;
  int frame_length;      /* samples per frame */
  int frame_shift;       /* samples between frame starts */
  int n_fft;             /* next power of two >= frame_length */
  float *window;         /* [frame_length] */
  /* Mel filters stored sparsely: filter m covers FFT bins first[m] .. first[m]+count[m]-1
   * with weights weights[offset[m] ..]. */
  int *first;
  int *count;
  int *offset;
  float *weights;
  fftwf_plan plan;       /* shared by all states; executed on their own buffers */
};

struct MegaFbankState {
  float *frame;          /* [frame_length] scaled samples of the frame being filled */
  int fill;              /* samples in frame */
  float *fft_in;         /* [n_fft], fftwf_malloc'd to match the plan's alignment */
  fftwf_complex *fft_out;/* [n_fft / 2 + 1] */
  float *power;          /* [n_fft / 2 + 1] */
};

/* FFTW's planner keeps global state; plan creation and destruction must not run
 * concurrently (execution with the new-array interface may). */
static GMutex fftw_planner_lock;

static double
mel_scale (double hz)
{
  return 1127.0 * log (1.0 + hz / 700.0);
}

double
mega_fbank_high_hz (const MegaFbankConfig *cfg)
{
  double nyquist = 0.5 * cfg->sample_rate;
  return cfg->high_freq > 0.0 ? cfg->high_freq : nyquist + cfg->high_freq;
}

/* Kaldi framing: the window size in samples is truncated, computed in double precision. */
static int
ms_to_samples (int rate, double ms)
{
  double samples = (double) rate * ms * 0.001;
  if (!(samples < (double) G_MAXINT))
    return G_MAXINT;
  return (int) samples;
}

static gboolean
validate_config (const MegaFbankConfig *cfg, GError **error)
{
  if (cfg->sample_rate < MEGA_FBANK_MIN_RATE || cfg->sample_rate > MEGA_FBANK_MAX_RATE) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT,
        "frontend.sample_rate = %d is out of range (%d..%d)", cfg->sample_rate,
        MEGA_FBANK_MIN_RATE, MEGA_FBANK_MAX_RATE);
    return FALSE;
  }
  if (!(cfg->frame_length_ms > 0.0 && cfg->frame_length_ms <= MEGA_FBANK_MAX_MS)) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT,
        "frontend.frame_length_ms = %g is out of range (> 0, <= %g)", cfg->frame_length_ms,
        MEGA_FBANK_MAX_MS);
    return FALSE;
  }
  if (!(cfg->frame_shift_ms > 0.0 && cfg->frame_shift_ms <= MEGA_FBANK_MAX_MS)) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT,
        "frontend.frame_shift_ms = %g is out of range (> 0, <= %g)", cfg->frame_shift_ms,
        MEGA_FBANK_MAX_MS);
    return FALSE;
  }
  int length = ms_to_samples (cfg->sample_rate, cfg->frame_length_ms);
  int shift = ms_to_samples (cfg->sample_rate, cfg->frame_shift_ms);
  if (length < 2) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT,
        "frontend.frame_length_ms = %g gives %d samples at %d Hz; at least 2 are needed",
        cfg->frame_length_ms, length, cfg->sample_rate);
    return FALSE;
  }
  if (shift < 1) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT,
        "frontend.frame_shift_ms = %g gives 0 samples at %d Hz; at least 1 is needed",
        cfg->frame_shift_ms, cfg->sample_rate);
    return FALSE;
  }
  if (shift > length) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT,
        "frontend.frame_shift_ms = %g (%d samples) is longer than "
        "frontend.frame_length_ms = %g (%d samples)",
        cfg->frame_shift_ms, shift, cfg->frame_length_ms, length);
    return FALSE;
  }
  if (cfg->n_mels < 1 || cfg->n_mels > MEGA_FBANK_MAX_MELS) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT,
        "frontend.n_mels = %d is out of range (1..%d)", cfg->n_mels, MEGA_FBANK_MAX_MELS);
    return FALSE;
  }
  double nyquist = 0.5 * cfg->sample_rate;
  if (!(cfg->low_freq >= 0.0 && cfg->low_freq < nyquist)) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT,
        "frontend.low_freq = %g is out of range (0 <= low_freq < %g, the Nyquist frequency)",
        cfg->low_freq, nyquist);
    return FALSE;
  }
  double high = mega_fbank_high_hz (cfg);
  if (!(high > cfg->low_freq && high <= nyquist)) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT,
        "frontend.high_freq = %g means %g Hz, which is not in (low_freq = %g, %g] "
        "(values <= 0 are offsets from the Nyquist frequency)",
        cfg->high_freq, high, cfg->low_freq, nyquist);
    return FALSE;
  }
  switch (cfg->window) {
    case MEGA_WINDOW_HAMMING:
    case MEGA_WINDOW_HANNING:
    case MEGA_WINDOW_POVEY:
    case MEGA_WINDOW_RECTANGULAR:
      break;
    default:
      g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT,
          "frontend.window = %d is not a known window type", (int) cfg->window);
      return FALSE;
  }
  if (!(cfg->preemphasis >= 0.0 && cfg->preemphasis <= 1.0)) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT,
        "frontend.preemphasis = %g is out of range (0..1)", cfg->preemphasis);
    return FALSE;
  }
  if (!(cfg->input_scale > 0.0 && cfg->input_scale <= FLT_MAX)) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT,
        "frontend.input_scale = %g is out of range (> 0, finite)", cfg->input_scale);
    return FALSE;
  }
  return TRUE;
}

/* Kaldi's windows; hanning and povey are the symmetric (non-periodic) Hann window. */
static void
fill_window (float *w, int n, MegaWindowType type)
{
  double step = 2.0 * G_PI / (double) (n - 1);
  for (int i = 0; i < n; i++) {
    double c = cos (step * i);
    switch (type) {
      case MEGA_WINDOW_HAMMING:
        w[i] = (float) (0.54 - 0.46 * c);
        break;
      case MEGA_WINDOW_HANNING:
        w[i] = (float) (0.5 - 0.5 * c);
        break;
      case MEGA_WINDOW_POVEY:
        w[i] = (float) pow (0.5 - 0.5 * c, 0.85);
        break;
      case MEGA_WINDOW_RECTANGULAR:
      default:
        w[i] = 1.0f;
        break;
    }
  }
}

/* Triangles evenly spaced on the mel scale between low and high; FFT bin k (0 <= k < n_fft/2,
 * the Nyquist bin never contributes, as in Kaldi) has weight
 * max(0, min(up slope, down slope)) measured in mel. */
static void
build_mel_banks (MegaFbank *fb)
{
  const MegaFbankConfig *cfg = &fb->cfg;
  int n_bins = fb->n_fft / 2;
  int n_mels = cfg->n_mels;
  double high = mega_fbank_high_hz (cfg);
  double bin_width = (double) cfg->sample_rate / fb->n_fft;
  double mel_low = mel_scale (cfg->low_freq);
  double mel_delta = (mel_scale (high) - mel_low) / (n_mels + 1);

  fb->first = g_new0 (int, n_mels);
  fb->count = g_new0 (int, n_mels);
  fb->offset = g_new0 (int, n_mels);
  fb->weights = g_new0 (float, (size_t) n_mels * n_bins);

  int used = 0;
  for (int m = 0; m < n_mels; m++) {
    double left = mel_low + m * mel_delta;
    double center = mel_low + (m + 1.0) * mel_delta;
    double right = mel_low + (m + 2.0) * mel_delta;
    fb->offset[m] = used;
    fb->first[m] = 0;
    for (int k = 0; k < n_bins; k++) {
      double mel = mel_scale (bin_width * k);
      double up = (mel - left) / (center - left);
      double down = (right - mel) / (right - center);
      double w = MIN (up, down);
      if (w <= 0.0)
        continue;
      if (fb->count[m] == 0)
        fb->first[m] = k;
      /* Triangles are convex in bin index, so positive weights are contiguous. */
      fb->weights[used + (k - fb->first[m])] = (float) w;
      fb->count[m] = k - fb->first[m] + 1;
    }
    used += fb->count[m];
  }
}

MegaFbank *
mega_fbank_new (const MegaFbankConfig *cfg, GError **error)
{
  g_return_val_if_fail (cfg != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!validate_config (cfg, error))
    return NULL;

  MegaFbank *fb = g_new0 (MegaFbank, 1);
  fb->cfg = *cfg;
  fb->frame_length = ms_to_samples (cfg->sample_rate, cfg->frame_length_ms);
  fb->frame_shift = ms_to_samples (cfg->sample_rate, cfg->frame_shift_ms);
  fb->n_fft = 1;
  while (fb->n_fft < fb->frame_length)
    fb->n_fft *= 2;

  fb->window = g_new (float, fb->frame_length);
  fill_window (fb->window, fb->frame_length, cfg->window);
  build_mel_banks (fb);

  /* States allocate their buffers with fftwf_malloc too, so they have the alignment the plan
   * was made for, as fftwf_execute_dft_r2c requires. FFTW_ESTIMATE leaves the arrays alone. */
  float *in = fftwf_malloc (sizeof (float) * fb->n_fft);
  fftwf_complex *out = fftwf_malloc (sizeof (fftwf_complex) * (fb->n_fft / 2 + 1));
  g_mutex_lock (&fftw_planner_lock);
  fb->plan = fftwf_plan_dft_r2c_1d (fb->n_fft, in, out, FFTW_ESTIMATE);
  g_mutex_unlock (&fftw_planner_lock);
  fftwf_free (in);
  fftwf_free (out);
  if (fb->plan == NULL) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_INVALID,
        "FFTW could not plan a real FFT of size %d", fb->n_fft);
    mega_fbank_free (fb);
    return NULL;
  }
  return fb;
}

void
mega_fbank_free (MegaFbank *fb)
{
  if (fb == NULL)
    return;
  if (fb->plan != NULL) {
    g_mutex_lock (&fftw_planner_lock);
    fftwf_destroy_plan (fb->plan);
    g_mutex_unlock (&fftw_planner_lock);
  }
  g_free (fb->window);
  g_free (fb->first);
  g_free (fb->count);
  g_free (fb->offset);
  g_free (fb->weights);
  g_free (fb);
}

int
mega_fbank_frame_length (const MegaFbank *fb)
{
  return fb->frame_length;
}

int
mega_fbank_frame_shift (const MegaFbank *fb)
{
  return fb->frame_shift;
}

int
mega_fbank_n_mels (const MegaFbank *fb)
{
  return fb->cfg.n_mels;
}

size_t
mega_fbank_n_frames (const MegaFbank *fb, size_t n)
{
  size_t length = (size_t) fb->frame_length;
  if (n < length)
    return 0;
  return 1 + (n - length) / (size_t) fb->frame_shift;
}

MegaFbankState *
mega_fbank_state_new (const MegaFbank *fb)
{
  MegaFbankState *st = g_new0 (MegaFbankState, 1);
  st->frame = g_new0 (float, fb->frame_length);
  st->fft_in = fftwf_malloc (sizeof (float) * fb->n_fft);
  st->fft_out = fftwf_malloc (sizeof (fftwf_complex) * (fb->n_fft / 2 + 1));
  st->power = g_new0 (float, fb->n_fft / 2 + 1);
  return st;
}

void
mega_fbank_state_free (MegaFbankState *st)
{
  if (st == NULL)
    return;
  g_free (st->frame);
  fftwf_free (st->fft_in);
  fftwf_free (st->fft_out);
  g_free (st->power);
  g_free (st);
}

void
mega_fbank_state_reset (MegaFbankState *st)
{
  st->fill = 0;
}

/* One full frame in st->frame -> n_mels log-mel values. */
static void
compute_frame (const MegaFbank *fb, MegaFbankState *st, float *out)
{
  const MegaFbankConfig *cfg = &fb->cfg;
  int n = fb->frame_length;
  float *x = st->fft_in;

  memcpy (x, st->frame, sizeof (float) * n);
  /* Zero padding up to the FFT size; rewritten each frame rather than trusting FFTW to leave
   * its input alone. */
  memset (x + n, 0, sizeof (float) * (size_t) (fb->n_fft - n));

  if (cfg->remove_dc_offset) {
    double sum = 0.0;
    for (int i = 0; i < n; i++)
      sum += x[i];
    float mean = (float) (sum / n);
    for (int i = 0; i < n; i++)
      x[i] -= mean;
  }

  if (cfg->preemphasis != 0.0) {
    /* Backwards so each x[i-1] is still the un-emphasised sample; x[-1] is taken as x[0]. */
    float c = (float) cfg->preemphasis;
    for (int i = n - 1; i > 0; i--)
      x[i] -= c * x[i - 1];
    x[0] -= c * x[0];
  }

  for (int i = 0; i < n; i++)
    x[i] *= fb->window[i];

  fftwf_execute_dft_r2c (fb->plan, x, st->fft_out);

  int n_bins = fb->n_fft / 2;
  for (int k = 0; k < n_bins; k++) {
    float re = st->fft_out[k][0];
    float im = st->fft_out[k][1];
    st->power[k] = re * re + im * im;
  }

  for (int m = 0; m < cfg->n_mels; m++) {
    const float *w = fb->weights + fb->offset[m];
    const float *p = st->power + fb->first[m];
    double energy = 0.0;
    for (int j = 0; j < fb->count[m]; j++)
      energy += (double) w[j] * p[j];
    /* Kaldi's floor: the smallest float epsilon, never log(0). */
    float e = (float) energy;
    out[m] = logf (e > FLT_EPSILON ? e : FLT_EPSILON);
  }
}

size_t
mega_fbank_push (const MegaFbank *fb, MegaFbankState *st, const float *samples, size_t n,
    size_t *consumed, float *out, size_t max_frames)
{
  const float scale = (float) fb->cfg.input_scale;
  const int length = fb->frame_length;
  const int shift = fb->frame_shift;
  const int n_mels = fb->cfg.n_mels;
  size_t used = 0;
  size_t frames = 0;

  while (used < n && frames < max_frames) {
    size_t want = (size_t) (length - st->fill);
    size_t take = MIN (want, n - used);
    float *dst = st->frame + st->fill;
    for (size_t i = 0; i < take; i++)
      dst[i] = samples[used + i] * scale;
    st->fill += (int) take;
    used += take;

    if (st->fill == length) {
      compute_frame (fb, st, out + frames * (size_t) n_mels);
      frames++;
      /* Keep the overlap with the next frame; shift <= length is guaranteed by validation. */
      memmove (st->frame, st->frame + shift, sizeof (float) * (size_t) (length - shift));
      st->fill = length - shift;
    }
  }

  if (consumed != NULL)
    *consumed = used;
  return frames;
}
