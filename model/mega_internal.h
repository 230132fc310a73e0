/* Plain structs shared by the engine's files: configuration, weights, run state.
 * Nothing here is public API; see mega.h. */
#ifndef MEGA_INTERNAL_H
#define MEGA_INTERNAL_H

#include "mega.h"
#include "featnorm.h"
#include "frontend.h"

#include <stddef.h>
#include <stdint.h>

typedef enum { MEGA_ATT_SOFTMAX, MEGA_ATT_LAPLACE, MEGA_ATT_RELU2 } MegaAttention;
typedef enum { MEGA_BIAS_SIMPLE, MEGA_BIAS_ROTARY } MegaBias;
typedef enum { MEGA_NORM_LAYER, MEGA_NORM_SCALE, MEGA_NORM_RMS, MEGA_NORM_BATCH } MegaNormType;
typedef enum { MEGA_WINDOW_CHUNK, MEGA_WINDOW_SLIDING } MegaWindowMode;
typedef enum { MEGA_ACT_SILU, MEGA_ACT_GELU } MegaActivation;

/* How the model file spells each choice, in enum order (this and featnorm.h, frontend.h),
 * NULL-terminated; defined once in config.c, which parses them, and MegaInfo reports them. */
extern const char *const mega_attention_names[];
extern const char *const mega_bias_names[];
extern const char *const mega_norm_names[];
extern const char *const mega_window_mode_names[];
extern const char *const mega_activation_names[];
extern const char *const mega_featnorm_names[];
extern const char *const mega_window_names[];

/* The parsed and range-checked `config` of a model file (FORMAT.md). */
typedef struct {
  char **labels;               /* NULL-terminated, n_labels entries */
  int n_labels;
  MegaFbankConfig fbank;
  MegaFeatNormConfig featnorm;  /* frontend.normalization and its parameters */
  int d_model, z_dim, h_dim, ffn_dim, n_dim, n_layers, window;
  MegaAttention attention;
  MegaBias rel_pos_bias;
  MegaNormType norm;
  gboolean prenorm;
  MegaWindowMode window_mode;
  MegaActivation activation;
  float norm_eps;
} MegaConfig;

/* One normalisation. batchnorm is folded into scale/shift at load time. */
typedef struct {
  const float *weight;   /* layernorm, rmsnorm: [D] */
  const float *bias;     /* layernorm: [D] */
  float scalar;          /* scalenorm */
  float *bn_scale;       /* batchnorm: weight / sqrt(running_var + eps), owned */
  float *bn_shift;       /* batchnorm: bias - running_mean * bn_scale, owned */
  /* as in the file, for the loader to derive the fields above from */
  const float *scalar_file, *running_mean, *running_var;
} MegaNorm;

typedef struct {
  MegaNorm mega_norm;
  /* EMA, precomputed from delta/alpha/beta/gamma: h <- pbeta*x + q*h, y = sum gamma_s*h */
  float *ema_pbeta;      /* [D*N] owned */
  float *ema_q;          /* [D*N] owned */
  float *ema_gamma;      /* [D*N] owned, gamma * sqrt(1/N) */
  const float *ema_omega;  /* [D] */
  const float *v_w, *v_b;      /* [H,D], [H] */
  const float *mx_w, *mx_b;    /* [2D+Z+H, D], [2D+Z+H] */
  const float *h_w, *h_b;      /* [D,H], [D] */
  const float *qk_gamma, *qk_beta;  /* [2,Z] each */
  const float *rel_bias;       /* simple: [2C-1] */
  float *rot_a, *rot_b;        /* rotary: [C,Z] owned, rot(alpha, i) and rot(beta, j) */
  MegaNorm nffn_norm;
  const float *fc1_w, *fc1_b;  /* [F,D], [F] */
  const float *fc2_w, *fc2_b;  /* [D,F], [D] */
  /* as in the file, for the loader to derive ema_* and rot_* from */
  const float *ema_delta, *ema_alpha, *ema_beta, *ema_gamma_file;  /* [D,N] */
  const float *rotary_alpha, *rotary_beta;                         /* [Z] */
} MegaLayer;

struct MegaModel {
  char *path;
  MegaConfig cfg;
  MegaInfo info;
  MegaFbank *fbank;
  float *params;                /* every tensor of the file, copied (aligned) */
  size_t n_params;
  const float *feat_mean, *feat_std;   /* [M] */
  const float *in_w, *in_b;            /* [D,M], [D] */
  MegaLayer *layers;                   /* [L] */
  MegaNorm final_norm;                 /* prenorm only */
  const float *cls_w, *cls_b;          /* [K,D], [K] */
};

/* Per-sequence network state plus work buffers for up to max_frames frames at once.
 * Used by the stream (small max_frames) and by the offline path (large max_frames). */
typedef struct {
  size_t max_frames;
  uint64_t frame;        /* frames processed so far */
  float *fnorm;          /* [2M] causal feature normalisation state (featnorm.h) */
  float *ema_h;          /* [L][D*N] */
  float *win_k;          /* [L][C*Z]; frame n's key lives in row n % C */
  float *win_v;          /* [L][C*H] */
  /* work, max_frames rows each */
  float *feat;           /* normalised features [T x M] */
  float *x, *xn, *mx, *h;  /* [T x D] */
  float *v, *o;          /* [T x H] values, gated attention output */
  float *base;           /* [T x (2D+Z+H)] mx_proj output */
  float *ffn;            /* [T x F] */
  float *logits;         /* [T x K] */
  float *q;              /* [Z] one query */
  float *scores;         /* [C] */
} MegaRunState;

/* network.c */
MegaRunState *mega_run_state_new (const MegaModel *m, size_t max_frames);
void mega_run_state_free (MegaRunState *rs);
void mega_run_state_reset (const MegaModel *m, MegaRunState *rs);
/* Runs n <= rs->max_frames raw log-mel rows through the network, writing n rows of logits
 * into rs->logits; carries the state across calls. */
void mega_network_forward (const MegaModel *m, MegaRunState *rs, const float *features, size_t n);

/* Flush-to-zero guard around the hot loops (see network.c). */
typedef struct { unsigned int saved; } MegaFpGuard;
void mega_fp_enter (MegaFpGuard *g);
void mega_fp_leave (const MegaFpGuard *g);

/* config.c: parses the config JSON text; errors are prefixed with "path: config: ". */
gboolean mega_config_parse (MegaConfig *cfg, const char *json, const char *path, GError **error);
void mega_config_clear (MegaConfig *cfg);

#endif /* MEGA_INTERNAL_H */
