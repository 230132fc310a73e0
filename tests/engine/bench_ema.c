/* Which offline EMA is faster: the frame-by-frame recurrence the engine uses, or an FFT
 * convolution with the length-T kernel (how the PyTorch reference computes it)?
 * Both give y[t,d] = sum_n gamma[d,n] h[t,d,n] for a whole block of T frames from zero state.
 * Also checks that the two agree, so the comparison is between equal computations.
 *
 * Usage: bench-ema [D N T reps] */
#include <fftw3.h>
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static void
ema_recurrence (int D, int N, int T, const float *pb, const float *q, const float *g,
    const float *x, float *h, float *y)
{
  for (int t = 0; t < T; t++) {
    for (int d = 0; d < D; d++) {
      float xv = x[(size_t) t * D + d], acc = 0;
      float *hd = h + (size_t) d * N;
      for (int n = 0; n < N; n++) {
        hd[n] = pb[d * N + n] * xv + q[d * N + n] * hd[n];
        acc += g[d * N + n] * hd[n];
      }
      y[(size_t) t * D + d] = acc;
    }
  }
}

typedef struct {
  int L;  /* FFT length, 2T */
  float *buf;
  fftwf_complex *xs, *ks;
  fftwf_plan fwd, inv;
} Fft;

static void
ema_fft (Fft *f, int D, int N, int T, const float *pb, const float *q, const float *g,
    const float *x, float *kernel, float *y)
{
  /* kernel[d,t] = sum_n g pb q^t: D*N*T work, the same as the whole recurrence */
  for (int d = 0; d < D; d++) {
    float *k = kernel + (size_t) d * T;
    for (int t = 0; t < T; t++)
      k[t] = 0;
    for (int n = 0; n < N; n++) {
      float c = g[d * N + n] * pb[d * N + n], qq = q[d * N + n], p = 1;
      for (int t = 0; t < T; t++, p *= qq)
        k[t] += c * p;
    }
  }
  int L = f->L, B = L / 2 + 1;
  for (int d = 0; d < D; d++) {
    for (int t = 0; t < L; t++)
      f->buf[t] = t < T ? x[(size_t) t * D + d] : 0;
    fftwf_execute_dft_r2c (f->fwd, f->buf, f->xs);
    for (int t = 0; t < L; t++)
      f->buf[t] = t < T ? kernel[(size_t) d * T + t] : 0;
    fftwf_execute_dft_r2c (f->fwd, f->buf, f->ks);
    for (int b = 0; b < B; b++) {
      float re = f->xs[b][0] * f->ks[b][0] - f->xs[b][1] * f->ks[b][1];
      float im = f->xs[b][0] * f->ks[b][1] + f->xs[b][1] * f->ks[b][0];
      f->xs[b][0] = re / L;
      f->xs[b][1] = im / L;
    }
    fftwf_execute_dft_c2r (f->inv, f->xs, f->buf);
    for (int t = 0; t < T; t++)
      y[(size_t) t * D + d] = f->buf[t];
  }
}

int
main (int argc, char **argv)
{
  int D = argc > 1 ? atoi (argv[1]) : 64, N = argc > 2 ? atoi (argv[2]) : 16;
  int T = argc > 3 ? atoi (argv[3]) : 512, reps = argc > 4 ? atoi (argv[4]) : 20;
  GRand *r = g_rand_new_with_seed (7);
  size_t DN = (size_t) D * N;
  float *pb = g_new (float, DN), *q = g_new (float, DN), *g = g_new (float, DN);
  for (size_t i = 0; i < DN; i++) {
    float p = 1 / (1 + expf (-(float) g_rand_double_range (r, -1, 1)));
    float a = 1 / (1 + expf (-(float) g_rand_double_range (r, -1, 1)));
    pb[i] = p * (float) g_rand_double_range (r, -1, 1);
    q[i] = 1 - p * a;
    g[i] = (float) g_rand_double_range (r, -1, 1) / sqrtf ((float) N);
  }
  float *x = g_new (float, (size_t) T * D), *y1 = g_new (float, (size_t) T * D);
  float *y2 = g_new (float, (size_t) T * D), *h = g_new (float, DN);
  float *kernel = g_new (float, (size_t) D * T);
  for (size_t i = 0; i < (size_t) T * D; i++)
    x[i] = (float) g_rand_double_range (r, -1, 1);

  Fft f = { 2 * T, fftwf_alloc_real (2 * T), fftwf_alloc_complex (T + 1),
      fftwf_alloc_complex (T + 1), NULL, NULL };
  f.fwd = fftwf_plan_dft_r2c_1d (f.L, f.buf, f.xs, FFTW_MEASURE);
  f.inv = fftwf_plan_dft_c2r_1d (f.L, f.xs, f.buf, FFTW_MEASURE);

  gint64 t0 = g_get_monotonic_time ();
  for (int i = 0; i < reps; i++) {
    for (size_t j = 0; j < DN; j++)
      h[j] = 0;
    ema_recurrence (D, N, T, pb, q, g, x, h, y1);
  }
  gint64 t1 = g_get_monotonic_time ();
  for (int i = 0; i < reps; i++)
    ema_fft (&f, D, N, T, pb, q, g, x, kernel, y2);
  gint64 t2 = g_get_monotonic_time ();

  double diff = 0;
  for (size_t i = 0; i < (size_t) T * D; i++)
    diff = fmax (diff, fabs (y1[i] - y2[i]));
  printf ("D=%d N=%d T=%d: recurrence %.1f us/block, FFT %.1f us/block (%.2fx), max|diff| %.2g\n",
      D, N, T, (t1 - t0) / (double) reps, (t2 - t1) / (double) reps,
      (double) (t2 - t1) / (double) MAX (t1 - t0, 1), diff);

  fftwf_destroy_plan (f.fwd);
  fftwf_destroy_plan (f.inv);
  fftwf_free (f.buf);
  fftwf_free (f.xs);
  fftwf_free (f.ks);
  g_free (pb);
  g_free (q);
  g_free (g);
  g_free (x);
  g_free (y1);
  g_free (y2);
  g_free (h);
  g_free (kernel);
  g_rand_free (r);
  return diff < 1e-3 ? 0 : 1;
}
