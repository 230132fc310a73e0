/* The Mega network over a block of frames with carried state (research/mega.md §3, §5.2).
 *
 * One code path serves streaming and offline: a block of T frames goes through the layers
 * one layer at a time. Everything that does not depend on earlier frames of the same layer
 * (norms, projections, the NFFN) is done for all T rows at once with one matrix product per
 * linear layer; the EMA recurrence and the attention run frame by frame, because frame t
 * needs the EMA state and the keys of frames before it. */
#include "mega_internal.h"
#include "kernels.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <pmmintrin.h>
#include <xmmintrin.h>
#define HAVE_MXCSR 1
#endif

/* On silent input the EMA states decay geometrically towards zero and soon become denormal
 * floats; x86 CPUs handle those in microcode, about 100x slower, which would make a quiet
 * stream cost far more CPU than a loud one. Flushing them to zero changes results by less
 * than 1e-38. The caller's mode is restored afterwards because the setting is per thread. */
void
mega_fp_enter (MegaFpGuard *g)
{
#ifdef HAVE_MXCSR
  g->saved = _mm_getcsr ();
  _mm_setcsr (g->saved | _MM_FLUSH_ZERO_ON | _MM_DENORMALS_ZERO_ON);
#else
  g->saved = 0;
#endif
}

void
mega_fp_leave (const MegaFpGuard *g)
{
#ifdef HAVE_MXCSR
  _mm_setcsr (g->saved);
#else
  (void) g;
#endif
}

MegaRunState *
mega_run_state_new (const MegaModel *m, size_t T)
{
  const MegaConfig *c = &m->cfg;
  size_t D = c->d_model, Z = c->z_dim, H = c->h_dim, F = c->ffn_dim, N = c->n_dim;
  size_t C = c->window, L = c->n_layers, K = c->n_labels, M = c->fbank.n_mels;
  size_t E = 2 * D + Z + H;
  MegaRunState *rs = g_try_new0 (MegaRunState, 1);
  if (rs == NULL)
    return NULL;
  rs->max_frames = T;
  /* one allocation per buffer keeps the code plain; all are made here, none later */
  gboolean ok = (rs->fnorm = g_try_new0 (float, mega_featnorm_state_size ((int) M))) != NULL
      && (rs->ema_h = g_try_new0 (float, L * D * N)) != NULL
      && (rs->win_k = g_try_new0 (float, L * C * Z)) != NULL
      && (rs->win_v = g_try_new0 (float, L * C * H)) != NULL
      && (rs->feat = g_try_new (float, T * M)) != NULL
      && (rs->x = g_try_new (float, T * D)) != NULL
      && (rs->xn = g_try_new (float, T * D)) != NULL
      && (rs->v = g_try_new (float, T * H)) != NULL
      && (rs->mx = g_try_new (float, T * D)) != NULL
      && (rs->base = g_try_new (float, T * E)) != NULL
      && (rs->q = g_try_new (float, Z)) != NULL
      && (rs->o = g_try_new (float, T * H)) != NULL
      && (rs->h = g_try_new (float, T * D)) != NULL
      && (rs->ffn = g_try_new (float, T * MAX (F, 1))) != NULL
      && (rs->logits = g_try_new (float, T * K)) != NULL
      && (rs->scores = g_try_new (float, C)) != NULL;
  if (!ok) {
    mega_run_state_free (rs);
    return NULL;
  }
  return rs;
}

void
mega_run_state_free (MegaRunState *rs)
{
  if (rs == NULL)
    return;
  float **bufs[] = { &rs->fnorm, &rs->ema_h, &rs->win_k, &rs->win_v, &rs->feat, &rs->x, &rs->xn,
      &rs->v, &rs->mx, &rs->base, &rs->q, &rs->o, &rs->h, &rs->ffn, &rs->logits, &rs->scores };
  for (size_t i = 0; i < G_N_ELEMENTS (bufs); i++)
    g_free (*bufs[i]);
  g_free (rs);
}

void
mega_run_state_reset (const MegaModel *m, MegaRunState *rs)
{
  const MegaConfig *c = &m->cfg;
  size_t L = c->n_layers;
  rs->frame = 0;
  memset (rs->ema_h, 0, sizeof (float) * L * c->d_model * c->n_dim);
  /* frame 0 re-initialises the feature normalisation; clearing it is for the same reason as
   * the window's below */
  memset (rs->fnorm, 0, sizeof (float) * mega_featnorm_state_size (c->fbank.n_mels));
  /* the window rows are always written before they are read; clearing them only makes a
   * reset stream bit-identical in memory to a new one */
  memset (rs->win_k, 0, sizeof (float) * L * c->window * c->z_dim);
  memset (rs->win_v, 0, sizeof (float) * L * c->window * c->h_dim);
}

HOT_LOOPS static void
activate (MegaActivation act, float *x, size_t n)
{
  if (act == MEGA_ACT_SILU) {
    for (size_t i = 0; i < n; i++)
      x[i] = silu (x[i]);
  } else {
    for (size_t i = 0; i < n; i++)  /* exact (erf) GELU, as PyTorch's default */
      x[i] = 0.5f * x[i] * (1.0f + erff (x[i] * (float) M_SQRT1_2));
  }
}

HOT_LOOPS static void
normalise (const MegaConfig *c, const MegaNorm *n, const float *x, size_t T, float *y)
{
  int D = c->d_model;
  float eps = c->norm_eps;
  for (size_t t = 0; t < T; t++) {
    const float *xr = x + t * D;
    float *yr = y + t * D;
    switch (c->norm) {
      case MEGA_NORM_LAYER: {
        float mean = sum_lanes (xr, D, FALSE, 0.0f) / D;
        float inv = 1.0f / sqrtf (sum_lanes (xr, D, TRUE, mean) / D + eps);
        for (int d = 0; d < D; d++)
          yr[d] = (xr[d] - mean) * inv * n->weight[d] + n->bias[d];
        break;
      }
      case MEGA_NORM_SCALE:
      case MEGA_NORM_RMS: {
        float inv = 1.0f / sqrtf (sum_lanes (xr, D, TRUE, 0.0f) / D + eps);
        if (c->norm == MEGA_NORM_SCALE)
          for (int d = 0; d < D; d++)
            yr[d] = n->scalar * xr[d] * inv;
        else
          for (int d = 0; d < D; d++)
            yr[d] = xr[d] * n->weight[d] * inv;
        break;
      }
      case MEGA_NORM_BATCH:
        for (int d = 0; d < D; d++)
          yr[d] = xr[d] * n->bn_scale[d] + n->bn_shift[d];
        break;
    }
  }
}

/* A sub-layer's input as it should enter: normalised (into rs->xn) with prenorm, else x. */
static ALWAYS_INLINE const float *
norm_before (const MegaConfig *c, const MegaNorm *n, MegaRunState *rs, size_t T)
{
  if (!c->prenorm)
    return rs->x;
  normalise (c, n, rs->x, T, rs->xn);
  return rs->xn;
}

/* Postnorm: the sub-layer's output x (residual added) normalised in place. */
static ALWAYS_INLINE void
norm_after (const MegaConfig *c, const MegaNorm *n, MegaRunState *rs, size_t T)
{
  if (c->prenorm)
    return;
  normalise (c, n, rs->x, T, rs->xn);
  memcpy (rs->x, rs->xn, sizeof (float) * T * c->d_model);
}

/* One causal EMA step per (d, n) for frame row xn, giving MX (research/mega.md §4). */
HOT_LOOPS static void
ema_frame (const MegaLayer *L, int D, int N, const float *xn, float *h, float *mx)
{
  int N8 = N - N % 8;
  for (int d = 0; d < D; d++) {
    const float *pb = L->ema_pbeta + (size_t) d * N, *q = L->ema_q + (size_t) d * N;
    const float *g = L->ema_gamma + (size_t) d * N;
    float *hd = h + (size_t) d * N;
    float x = xn[d];
    v8f acc = { 0 };
    for (int n = 0; n < N8; n += 8) {
      v8f hn = load8 (pb + n) * x + load8 (q + n) * load8 (hd + n);
      memcpy (hd + n, &hn, sizeof hn);
      acc += load8 (g + n) * hn;
    }
    float y = sum8 (&acc);
    for (int n = N8; n < N; n++) {
      hd[n] = pb[n] * x + q[n] * hd[n];
      y += g[n] * hd[n];
    }
    mx[d] = y + L->ema_omega[d] * x;
  }
  for (int d = 0; d < D; d++)
    mx[d] = silu (mx[d]);
}

static ALWAYS_INLINE float
laplace (float x)
{
  /* fairseq utils.laplace: mu = sqrt(1/2), sigma = sqrt(1/(4 pi)) */
  const float inv = (float) (1.0 / (0.282095 * M_SQRT2));
  return 0.5f * (1.0f + erff ((x - 0.707107f) * inv));
}

/* Attention of the query of frame n over its window (FORMAT.md "Positions"); o gets H values.
 * The key and value of frame n are already stored in row n % C. */
HOT_LOOPS static void
attend (const MegaConfig *c, const MegaLayer *L, const float *q, const float *wk,
    const float *wv, uint64_t n, float *scores, float *o)
{
  int C = c->window, Z = c->z_dim, H = c->h_dim;
  int cnt, i;            /* keys seen, local position of the query */
  uint64_t first;        /* frame of local key 0 */
  if (c->window_mode == MEGA_WINDOW_CHUNK) {
    i = (int) (n % (uint64_t) C);
    cnt = i + 1;
  } else {
    cnt = n + 1 < (uint64_t) C ? (int) (n + 1) : C;
    i = cnt - 1;
  }
  first = n - (uint64_t) i;

  /* window row of local key j: (first + j) % C, without a 64-bit division per key */
  int row0 = (int) (first % (uint64_t) C);
#define KEY_ROW(j) (row0 + (j) < C ? row0 + (j) : row0 + (j) - C)
  float inv_len = 1.0f / (float) cnt;
  for (int j = 0; j < cnt; j++) {
    const float *kj = wk + (size_t) KEY_ROW (j) * Z;
    float bias = c->rel_pos_bias == MEGA_BIAS_SIMPLE ? L->rel_bias[C - 1 + j - i]
        : dot (L->rot_a + (size_t) i * Z, L->rot_b + (size_t) j * Z, Z);
    float s = dot (q, kj, Z);  /* q is pre-scaled by Z^-1/2 for softmax */
    scores[j] = c->attention == MEGA_ATT_SOFTMAX ? s + bias : s * inv_len + bias;
  }
  if (c->attention == MEGA_ATT_SOFTMAX) {
    softmax (scores, cnt, FALSE);
  } else if (c->attention == MEGA_ATT_LAPLACE) {
    for (int j = 0; j < cnt; j++)
      scores[j] = laplace (scores[j]);
  } else {
    for (int j = 0; j < cnt; j++) {
      float r = MAX (scores[j], 0.0f);
      scores[j] = r * r;
    }
  }
  /* o = sum_j scores[j] v_j, 32 columns at a time: the sums stay in registers, and four
   * independent ones keep the multiply-add unit busy while each waits for the last */
  int h = 0;
  for (; h + 32 <= H; h += 32) {
    v8f a0 = { 0 }, a1 = { 0 }, a2 = { 0 }, a3 = { 0 };
    for (int j = 0; j < cnt; j++) {
      const float *vj = wv + (size_t) KEY_ROW (j) * H + h;
      float p = scores[j];
      a0 += p * load8 (vj);
      a1 += p * load8 (vj + 8);
      a2 += p * load8 (vj + 16);
      a3 += p * load8 (vj + 24);
    }
    memcpy (o + h, &a0, sizeof a0);
    memcpy (o + h + 8, &a1, sizeof a1);
    memcpy (o + h + 16, &a2, sizeof a2);
    memcpy (o + h + 24, &a3, sizeof a3);
  }
  for (; h + 8 <= H; h += 8) {
    v8f acc = { 0 };
    for (int j = 0; j < cnt; j++)
      acc += scores[j] * load8 (wv + (size_t) KEY_ROW (j) * H + h);
    memcpy (o + h, &acc, sizeof acc);
  }
  for (; h < H; h++) {
    float acc = 0.0f;
    for (int j = 0; j < cnt; j++)
      acc += scores[j] * wv[(size_t) KEY_ROW (j) * H + h];
    o[h] = acc;
  }
#undef KEY_ROW
}

/* Mega sub-layer on T rows of x, in place (research/mega.md §3.2). */
HOT_LOOPS static void
mega_sublayer (const MegaModel *m, int l, MegaRunState *rs, size_t T)
{
  const MegaConfig *c = &m->cfg;
  const MegaLayer *L = &m->layers[l];
  int D = c->d_model, Z = c->z_dim, H = c->h_dim, N = c->n_dim, C = c->window;
  int E = 2 * D + Z + H;
  float *x = rs->x;
  const float *xn = norm_before (c, &L->mega_norm, rs, T);
  linear (xn, T, D, L->v_w, L->v_b, H, rs->v);
  activate (c->activation, rs->v, T * H);

  float *h = rs->ema_h + (size_t) l * D * N;
  for (size_t t = 0; t < T; t++)
    ema_frame (L, D, N, xn + t * D, h, rs->mx + t * D);

  linear (rs->mx, T, D, L->mx_w, L->mx_b, E, rs->base);

  float *wk = rs->win_k + (size_t) l * C * Z, *wv = rs->win_v + (size_t) l * C * H;
  float qscale = c->attention == MEGA_ATT_SOFTMAX ? 1.0f / sqrtf ((float) Z) : 1.0f;
  const float *g0 = L->qk_gamma, *g1 = L->qk_gamma + Z, *b0 = L->qk_beta, *b1 = L->qk_beta + Z;
  for (size_t t = 0; t < T; t++) {
    float *base = rs->base + t * E;  /* [u (D) | z (Z) | r (H) | hx (D)] */
    float *z = base + D, *r = base + D + Z;
    uint64_t n = rs->frame + t;
    size_t row = (size_t) (n % (uint64_t) C);
    float *k = wk + row * Z;
    for (int i = 0; i < Z + H; i++)
      z[i] = silu (z[i]);
    for (int i = 0; i < Z; i++) {
      rs->q[i] = (z[i] * g0[i] + b0[i]) * qscale;
      k[i] = z[i] * g1[i] + b1[i];
    }
    memcpy (wv + row * H, rs->v + t * H, sizeof (float) * H);
    float *o = rs->o + t * H;
    attend (c, L, rs->q, wk, wv, n, rs->scores, o);
    for (int i = 0; i < H; i++)
      o[i] *= r[i];
  }

  linear (rs->o, T, H, L->h_w, L->h_b, D, rs->h);
  for (size_t t = 0; t < T; t++) {
    const float *base = rs->base + t * E, *hx = base + D + Z + H;
    float *hr = rs->h + t * D, *xr = x + t * D;
    for (int d = 0; d < D; d++)
      hr[d] += hx[d];
    activate (c->activation, hr, D);
    for (int d = 0; d < D; d++) {
      float u = sigmoid (base[d]);
      xr[d] = xr[d] + u * (hr[d] - xr[d]);
    }
  }
  norm_after (c, &L->mega_norm, rs, T);
}

/* Normalised feed-forward network on T rows of x, in place (research/mega.md §3.5). */
HOT_LOOPS static void
nffn (const MegaModel *m, int l, MegaRunState *rs, size_t T)
{
  const MegaConfig *c = &m->cfg;
  const MegaLayer *L = &m->layers[l];
  int D = c->d_model, F = c->ffn_dim;
  float *x = rs->x;
  const float *xn = norm_before (c, &L->nffn_norm, rs, T);
  linear (xn, T, D, L->fc1_w, L->fc1_b, F, rs->ffn);
  activate (c->activation, rs->ffn, T * F);
  linear (rs->ffn, T, F, L->fc2_w, L->fc2_b, D, rs->h);
  for (size_t i = 0; i < T * D; i++)
    x[i] += rs->h[i];
  norm_after (c, &L->nffn_norm, rs, T);
}

void
mega_network_forward (const MegaModel *m, MegaRunState *rs, const float *features, size_t T)
{
  const MegaConfig *c = &m->cfg;
  int M = c->fbank.n_mels, D = c->d_model;
  g_assert (T <= rs->max_frames);
  if (T == 0)
    return;
  /* the causal normalisation (if any) first, on this stream's state; then the global one */
  const float *f = features;
  if (c->featnorm.type != MEGA_FEATNORM_GLOBAL) {
    mega_featnorm_apply (&c->featnorm, M, rs->fnorm, rs->frame, features, rs->feat, T);
    f = rs->feat;
  }
  for (size_t t = 0; t < T; t++)
    for (int i = 0; i < M; i++)
      rs->feat[t * M + i] = (f[t * M + i] - m->feat_mean[i]) / m->feat_std[i];
  linear (rs->feat, T, M, m->in_w, m->in_b, D, rs->x);
  for (int l = 0; l < c->n_layers; l++) {
    mega_sublayer (m, l, rs, T);
    if (c->ffn_dim > 0)
      nffn (m, l, rs, T);
  }
  const float *y = norm_before (c, &m->final_norm, rs, T);  /* final_norm: prenorm only */
  linear (y, T, D, m->cls_w, m->cls_b, c->n_labels, rs->logits);
  rs->frame += T;
}
