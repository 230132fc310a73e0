/* The engine's numeric kernels: dot products, small matrix products, a branch-free exp and
 * the functions built on it. network.c keeps only the Mega maths and calls these.
 *
 * Everything here is static and (except the two linear products) always inlined, so each
 * target clone of a hot loop in network.c compiles its own copy for its own instruction set.
 * Include this header in one engine file at a time; it sets per-file compiler options. */
#ifndef MEGA_KERNELS_H
#define MEGA_KERNELS_H

/* The network never reads floating-point exception flags, so comparisons need not be kept
 * in branches to preserve them (without this GCC will not vectorise a loop with a clamp),
 * and a * b + c may be one fused multiply-add where the CPU has it (the x86-64-v3 clones):
 * half the instructions, and one rounding instead of two. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("no-trapping-math", "fp-contract=fast", "tree-vectorize", "vect-cost-model=dynamic")
#endif

#include <cblas.h>
#include <glib.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* The loops outside the matrix products are compiled twice, for x86-64-v3 (AVX2, 8 floats
 * per instruction) and for the baseline (SSE2, 4), and the dynamic loader picks one for the
 * CPU, so the build stays portable. OpenBLAS chooses its kernels at run time the same way. */
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define HOT_LOOPS __attribute__ ((target_clones ("arch=x86-64-v3", "default")))
#endif
#endif
#ifndef HOT_LOOPS
#define HOT_LOOPS
#endif

/* Below this many rows linear() uses its own loops rather than OpenBLAS (see linear_few). */
#ifndef LINEAR_FEW_ROWS
#define LINEAR_FEW_ROWS 16
#endif

/* Eight floats as one value: one AVX register in the x86-64-v3 clones, two SSE registers in
 * the baseline (GCC and Clang vector extension). */
typedef float v8f __attribute__ ((vector_size (32)));
/* The baseline clone passes v8f between inlined helpers only; GCC's note that such values
 * would be passed differently without AVX is about an ABI no caller sees. */
#pragma GCC diagnostic ignored "-Wpsabi"

/* The same, at float alignment and allowed to alias floats: how load8 reads a row. */
typedef float v8f_unaligned __attribute__ ((vector_size (32), aligned (4), may_alias));

/* Every helper the clones call is always inlined, so it is compiled once per clone with that
 * clone's target. No v8f is passed or returned by value between functions: the baseline and
 * AVX sides of such a call disagree on how to pass it (memory or register), and Clang rejects
 * the call ("AVX vector return ... changes the ABI") even when it would be inlined. So load8
 * is a macro and sum8 takes a pointer. */
#define ALWAYS_INLINE inline __attribute__ ((always_inline))

/* Eight floats from p (any float alignment). */
#define load8(p) (*(const v8f_unaligned *) (p))

static ALWAYS_INLINE float
sum8 (const v8f *v)
{
  const v8f w = *v;
  return ((w[0] + w[4]) + (w[1] + w[5])) + ((w[2] + w[6]) + (w[3] + w[7]));
}

static ALWAYS_INLINE float
dot (const float *a, const float *b, int n)
{
  v8f acc = { 0 };
  int i = 0;
  for (; i + 8 <= n; i += 8)
    acc += load8 (a + i) * load8 (b + i);
  float s = sum8 (&acc);
  for (; i < n; i++)
    s += a[i] * b[i];
  return s;
}

/* s[k][r] = x_r . w_k for 4 weight rows w_k (in floats each, in % 8 == 0) and R = 1 or 2
 * input rows x_r. */
static ALWAYS_INLINE void
dots_4xR (const float *w, int in, const float *x0, const float *x1, int R, float s[4][2])
{
  const float *w0 = w, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
  v8f a0 = { 0 }, a1 = { 0 }, a2 = { 0 }, a3 = { 0 };
  v8f b0 = { 0 }, b1 = { 0 }, b2 = { 0 }, b3 = { 0 };
  for (int i = 0; i < in; i += 8) {
    v8f r0 = load8 (w0 + i), r1 = load8 (w1 + i), r2 = load8 (w2 + i), r3 = load8 (w3 + i);
    v8f u = load8 (x0 + i);
    a0 += r0 * u;
    a1 += r1 * u;
    a2 += r2 * u;
    a3 += r3 * u;
    if (R == 2) {
      v8f v = load8 (x1 + i);
      b0 += r0 * v;
      b1 += r1 * v;
      b2 += r2 * v;
      b3 += r3 * v;
    }
  }
  s[0][0] = sum8 (&a0), s[1][0] = sum8 (&a1), s[2][0] = sum8 (&a2), s[3][0] = sum8 (&a3);
  if (R == 2)
    s[0][1] = sum8 (&b0), s[1][1] = sum8 (&b1), s[2][1] = sum8 (&b2), s[3][1] = sum8 (&b3);
}

/* linear() for a few rows, as a stream's 10-100 ms buffers give: each group of 4 weight rows
 * is read once and used for all T input rows, two at a time. OpenBLAS would copy (pack) the
 * whole weight matrix on every call instead, which for small T costs as much as the product
 * itself. */
HOT_LOOPS static void
linear_few (const float *x, size_t T, int in, const float *W, const float *b, int out, float *y)
{
  int o = 0;
  if (in % 8 == 0)
    for (; o + 4 <= out; o += 4) {
      const float *w = W + (size_t) o * in;
      float s[4][2];
      size_t t = 0;
      for (; t + 2 <= T; t += 2) {
        dots_4xR (w, in, x + t * in, x + (t + 1) * in, 2, s);
        for (int k = 0; k < 4; k++) {
          y[t * out + o + k] = b[o + k] + s[k][0];
          y[(t + 1) * out + o + k] = b[o + k] + s[k][1];
        }
      }
      if (t < T) {
        dots_4xR (w, in, x + t * in, NULL, 1, s);
        for (int k = 0; k < 4; k++)
          y[t * out + o + k] = b[o + k] + s[k][0];
      }
    }
  for (; o < out; o++)  /* the rest, or all when in is not a multiple of 8 */
    for (size_t t = 0; t < T; t++)
      y[t * out + o] = b[o] + dot (W + (size_t) o * in, x + t * in, in);
}

/* y[T x out] = x[T x in] W^T + b, W row-major [out x in] (PyTorch's Linear). */
/* unused where only the softmax is wanted (offline.c); linear_few is used through it */
G_GNUC_UNUSED static void
linear (const float *x, size_t T, int in, const float *W, const float *b, int out, float *y)
{
  if (T < LINEAR_FEW_ROWS) {
    linear_few (x, T, in, W, b, out, y);
    return;
  }
  for (size_t t = 0; t < T; t++)
    memcpy (y + t * out, b, sizeof (float) * out);
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) T, out, in, 1.0f, x, in, W, in,
      1.0f, y, out);
}

/* expf without a call or a branch, so that the loops over silu, sigmoid and softmax
 * vectorise; the network spends a quarter of its time in libm's expf otherwise. It is
 * Cephes' expf: x = k ln2 + r with |r| <= ln2/2, exp(r) by a degree-7 polynomial (relative
 * error about 1e-7, like expf), 2^k built in the exponent bits. Inputs are clamped to where
 * 2^k stays a normal float; exp(-87.3) = 1e-38 stands for smaller results, which changes
 * silu, sigmoid and softmax by less than 1e-36. */
static ALWAYS_INLINE float
exp_fast (float x)
{
  x = x < -87.3f ? -87.3f : x > 88.3f ? 88.3f : x;
  /* round x/ln2 to the nearest integer by adding 1.5 * 2^23 (SSE2 has no vector round) */
  float shifted = x * 1.44269504f + 12582912.0f;
  float k = shifted - 12582912.0f;
  float r = x - k * 0.693359375f + k * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  /* the integer k, as the exponent of 2^k; unsigned, because a NaN x gives any bits here
   * and a signed shift of those would be undefined (the NaN comes out of p either way) */
  uint32_t bits;
  memcpy (&bits, &shifted, sizeof bits);
  bits = (bits - 0x4B400000u + 127u) << 23;
  float scale;
  memcpy (&scale, &bits, sizeof scale);
  return p * scale;
}

static ALWAYS_INLINE float
silu (float x)
{
  return x / (1.0f + exp_fast (-x));
}

static ALWAYS_INLINE float
sigmoid (float x)
{
  return 1.0f / (1.0f + exp_fast (-x));
}

/* Sum of x[i] - mean, or of its squares. */
static ALWAYS_INLINE float
sum_lanes (const float *x, int n, gboolean squares, float mean)
{
  v8f acc = { 0 };
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    v8f v = load8 (x + i) - mean;
    acc += squares ? v * v : v;
  }
  float s = sum8 (&acc);
  for (; i < n; i++) {
    float v = x[i] - mean;
    s += squares ? v * v : v;
  }
  return s;
}

/* Softmax of x[0..n) in place, max-subtracted. The attention uses exp_fast; the posteriors
 * use libm's expf (libm_exp TRUE), as they always have, so that their values stay those the
 * Python mirror of the detector is compared against. */
static ALWAYS_INLINE void
softmax (float *x, int n, gboolean libm_exp)
{
  float mx = x[0], sum = 0.0f;
  for (int j = 1; j < n; j++)
    mx = MAX (mx, x[j]);
  for (int j = 0; j < n; j++)
    sum += x[j] = libm_exp ? expf (x[j] - mx) : exp_fast (x[j] - mx);
  for (int j = 0; j < n; j++)
    x[j] /= sum;
}

#endif /* MEGA_KERNELS_H */
