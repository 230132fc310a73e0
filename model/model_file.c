/* Builds a MegaModel from a model file: checks the metadata, the config, that exactly the
 * tensors of FORMAT.md are present with their shapes and finite values, then precomputes
 * what the per-frame code needs (EMA coefficients, rotary tables, folded batchnorm). */
#include "mega_internal.h"
#include "safetensors.h"

#include <math.h>
#include <string.h>

#define SUPPORTED_VERSION "1"

/* One axis of a tensor's shape, as a function of the config. */
typedef enum {
  DIM_NONE,     /* no second axis: a vector */
  DIM_1, DIM_2,
  DIM_M,        /* n_mels */
  DIM_D, DIM_Z, DIM_H, DIM_F, DIM_N,
  DIM_K,        /* n_labels */
  DIM_E,        /* 2D + Z + H, mx_proj's output */
  DIM_REL       /* 2C - 1, the simple relative position bias */
} Dim;

/* Which configs have a tensor. */
typedef enum {
  ALWAYS,
  IF_SIMPLE_BIAS, IF_ROTARY_BIAS,
  IF_PRENORM,
  IF_NORM_WEIGHT,   /* layernorm, rmsnorm, batchnorm */
  IF_NORM_BIAS,     /* layernorm, batchnorm */
  IF_SCALENORM, IF_BATCHNORM
} When;

/* One tensor of FORMAT.md: its name after the group's prefix, its shape, when it exists, and
 * the `const float *` of the group's struct that the loader points at its data. An entry with
 * norm set is the group of a normalisation's tensors (norm_tensors) under name, binding the
 * MegaNorm at dest. This table is the one place a tensor is named. */
typedef struct {
  const char *name;
  Dim d0, d1;
  When when;
  size_t dest;
  gboolean norm;
} TensorSpec;

static const TensorSpec norm_tensors[] = {
  { "weight", DIM_D, DIM_NONE, IF_NORM_WEIGHT, offsetof (MegaNorm, weight), FALSE },
  { "bias", DIM_D, DIM_NONE, IF_NORM_BIAS, offsetof (MegaNorm, bias), FALSE },
  { "scalar", DIM_1, DIM_NONE, IF_SCALENORM, offsetof (MegaNorm, scalar_file), FALSE },
  { "running_mean", DIM_D, DIM_NONE, IF_BATCHNORM, offsetof (MegaNorm, running_mean), FALSE },
  { "running_var", DIM_D, DIM_NONE, IF_BATCHNORM, offsetof (MegaNorm, running_var), FALSE },
};

/* The model's own tensors before the layers (head) and after them (tail); dest in MegaModel. */
static const TensorSpec head_tensors[] = {
  { "frontend.mean", DIM_M, DIM_NONE, ALWAYS, offsetof (MegaModel, feat_mean), FALSE },
  { "frontend.std", DIM_M, DIM_NONE, ALWAYS, offsetof (MegaModel, feat_std), FALSE },
  { "input_proj.weight", DIM_D, DIM_M, ALWAYS, offsetof (MegaModel, in_w), FALSE },
  { "input_proj.bias", DIM_D, DIM_NONE, ALWAYS, offsetof (MegaModel, in_b), FALSE },
};

static const TensorSpec tail_tensors[] = {
  { "final_norm", DIM_NONE, DIM_NONE, IF_PRENORM, offsetof (MegaModel, final_norm), TRUE },
  { "classifier.weight", DIM_K, DIM_D, ALWAYS, offsetof (MegaModel, cls_w), FALSE },
  { "classifier.bias", DIM_K, DIM_NONE, ALWAYS, offsetof (MegaModel, cls_b), FALSE },
};

/* layers.<l>.mega.*, dest in MegaLayer */
static const TensorSpec mega_tensors[] = {
  { "norm", DIM_NONE, DIM_NONE, ALWAYS, offsetof (MegaLayer, mega_norm), TRUE },
  { "ema.delta", DIM_D, DIM_N, ALWAYS, offsetof (MegaLayer, ema_delta), FALSE },
  { "ema.alpha", DIM_D, DIM_N, ALWAYS, offsetof (MegaLayer, ema_alpha), FALSE },
  { "ema.beta", DIM_D, DIM_N, ALWAYS, offsetof (MegaLayer, ema_beta), FALSE },
  { "ema.gamma", DIM_D, DIM_N, ALWAYS, offsetof (MegaLayer, ema_gamma_file), FALSE },
  { "ema.omega", DIM_D, DIM_NONE, ALWAYS, offsetof (MegaLayer, ema_omega), FALSE },
  { "v_proj.weight", DIM_H, DIM_D, ALWAYS, offsetof (MegaLayer, v_w), FALSE },
  { "v_proj.bias", DIM_H, DIM_NONE, ALWAYS, offsetof (MegaLayer, v_b), FALSE },
  { "mx_proj.weight", DIM_E, DIM_D, ALWAYS, offsetof (MegaLayer, mx_w), FALSE },
  { "mx_proj.bias", DIM_E, DIM_NONE, ALWAYS, offsetof (MegaLayer, mx_b), FALSE },
  { "h_proj.weight", DIM_D, DIM_H, ALWAYS, offsetof (MegaLayer, h_w), FALSE },
  { "h_proj.bias", DIM_D, DIM_NONE, ALWAYS, offsetof (MegaLayer, h_b), FALSE },
  { "qk_gamma", DIM_2, DIM_Z, ALWAYS, offsetof (MegaLayer, qk_gamma), FALSE },
  { "qk_beta", DIM_2, DIM_Z, ALWAYS, offsetof (MegaLayer, qk_beta), FALSE },
  { "rel_pos_bias", DIM_REL, DIM_NONE, IF_SIMPLE_BIAS, offsetof (MegaLayer, rel_bias), FALSE },
  { "rotary_alpha", DIM_Z, DIM_NONE, IF_ROTARY_BIAS, offsetof (MegaLayer, rotary_alpha), FALSE },
  { "rotary_beta", DIM_Z, DIM_NONE, IF_ROTARY_BIAS, offsetof (MegaLayer, rotary_beta), FALSE },
};

/* layers.<l>.nffn.*, only when ffn_dim > 0; dest in MegaLayer */
static const TensorSpec nffn_tensors[] = {
  { "norm", DIM_NONE, DIM_NONE, ALWAYS, offsetof (MegaLayer, nffn_norm), TRUE },
  { "fc1.weight", DIM_F, DIM_D, ALWAYS, offsetof (MegaLayer, fc1_w), FALSE },
  { "fc1.bias", DIM_F, DIM_NONE, ALWAYS, offsetof (MegaLayer, fc1_b), FALSE },
  { "fc2.weight", DIM_D, DIM_F, ALWAYS, offsetof (MegaLayer, fc2_w), FALSE },
  { "fc2.bias", DIM_D, DIM_NONE, ALWAYS, offsetof (MegaLayer, fc2_b), FALSE },
};

static uint64_t
dim_size (const MegaConfig *c, Dim d)
{
  uint64_t D = c->d_model, Z = c->z_dim, H = c->h_dim;
  switch (d) {
    case DIM_NONE: return 0;
    case DIM_1: return 1;
    case DIM_2: return 2;
    case DIM_M: return (uint64_t) c->fbank.n_mels;
    case DIM_D: return D;
    case DIM_Z: return Z;
    case DIM_H: return H;
    case DIM_F: return (uint64_t) c->ffn_dim;
    case DIM_N: return (uint64_t) c->n_dim;
    case DIM_K: return (uint64_t) c->n_labels;
    case DIM_E: return 2 * D + Z + H;
    case DIM_REL: return 2 * (uint64_t) c->window - 1;
  }
  g_assert_not_reached ();
}

static gboolean
applies (const MegaConfig *c, When w)
{
  switch (w) {
    case ALWAYS: return TRUE;
    case IF_SIMPLE_BIAS: return c->rel_pos_bias == MEGA_BIAS_SIMPLE;
    case IF_ROTARY_BIAS: return c->rel_pos_bias == MEGA_BIAS_ROTARY;
    case IF_PRENORM: return c->prenorm;
    case IF_NORM_WEIGHT: return c->norm != MEGA_NORM_SCALE;
    case IF_NORM_BIAS: return c->norm == MEGA_NORM_LAYER || c->norm == MEGA_NORM_BATCH;
    case IF_SCALENORM: return c->norm == MEGA_NORM_SCALE;
    case IF_BATCHNORM: return c->norm == MEGA_NORM_BATCH;
  }
  g_assert_not_reached ();
}

/* A tensor this config needs, found in the file or not yet. */
typedef struct {
  char *name;
  int ndim;
  uint64_t shape[2];
  const float **dest;
  size_t offset;   /* into model->params */
} Expected;

typedef struct {
  GArray *list;        /* Expected */
  GHashTable *index;   /* name -> index + 1 into list */
} Plan;

/* Plans the tensors of specs that this config has, named prefix.name, bound in base. */
static void
plan_group (Plan *p, const MegaConfig *c, const char *prefix, const TensorSpec *specs, size_t n,
    void *base)
{
  for (size_t i = 0; i < n; i++) {
    const TensorSpec *s = &specs[i];
    if (!applies (c, s->when))
      continue;
    char *name = prefix ? g_strdup_printf ("%s.%s", prefix, s->name) : g_strdup (s->name);
    void *dest = (char *) base + s->dest;
    if (s->norm) {
      plan_group (p, c, name, norm_tensors, G_N_ELEMENTS (norm_tensors), dest);
      g_free (name);
      continue;
    }
    Expected e = { name, s->d1 == DIM_NONE ? 1 : 2, { dim_size (c, s->d0), dim_size (c, s->d1) },
        dest, 0 };
    g_array_append_val (p->list, e);
    g_hash_table_insert (p->index, name, GUINT_TO_POINTER (p->list->len));
  }
}

/* The tensors FORMAT.md requires for m's config, in file-independent order; allocates the
 * layers their pointers will be bound in. */
static void
plan_tensors (Plan *p, MegaModel *m)
{
  const MegaConfig *c = &m->cfg;
  m->layers = g_new0 (MegaLayer, c->n_layers);
  plan_group (p, c, NULL, head_tensors, G_N_ELEMENTS (head_tensors), m);
  for (int l = 0; l < c->n_layers; l++) {
    char *pre = g_strdup_printf ("layers.%d.mega", l);
    plan_group (p, c, pre, mega_tensors, G_N_ELEMENTS (mega_tensors), &m->layers[l]);
    g_free (pre);
    if (c->ffn_dim > 0) {
      pre = g_strdup_printf ("layers.%d.nffn", l);
      plan_group (p, c, pre, nffn_tensors, G_N_ELEMENTS (nffn_tensors), &m->layers[l]);
      g_free (pre);
    }
  }
  plan_group (p, c, NULL, tail_tensors, G_N_ELEMENTS (tail_tensors), m);
}

static void
plan_clear (Plan *p)
{
  for (guint i = 0; p->list && i < p->list->len; i++)
    g_free (g_array_index (p->list, Expected, i).name);
  if (p->list)
    g_array_free (p->list, TRUE);
  if (p->index)
    g_hash_table_destroy (p->index);
}

static gboolean
shape_equal (const MegaStTensor *t, const Expected *e)
{
  if (t->ndim != e->ndim)
    return FALSE;
  for (int i = 0; i < e->ndim; i++)
    if (t->shape[i] != e->shape[i])
      return FALSE;
  return TRUE;
}

/* Checks presence, shapes and absence of extras, then copies every tensor into params. */
static gboolean
load_tensors (MegaModel *m, const MegaSafetensors *st, Plan *p, GError **error)
{
  const char *path = m->path;
  const MegaStTensor *cls = mega_safetensors_find (st, "classifier.weight");
  if (cls != NULL && cls->ndim == 2 && cls->shape[0] != (uint64_t) m->cfg.n_labels) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: config: label count %d does not "
        "match classifier rows %" G_GUINT64_FORMAT, path, m->cfg.n_labels, cls->shape[0]);
    return FALSE;
  }
  size_t total = 0;
  for (guint i = 0; i < p->list->len; i++) {
    Expected *e = &g_array_index (p->list, Expected, i);
    const MegaStTensor *t = mega_safetensors_find (st, e->name);
    if (t == NULL) {
      g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: tensor '%s' is missing", path,
          e->name);
      return FALSE;
    }
    if (!shape_equal (t, e)) {
      char *got = mega_shape_string (t->shape, t->ndim);
      char *want = mega_shape_string (e->shape, e->ndim);
      g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: tensor '%s' has shape %s, "
          "expected %s", path, e->name, got, want);
      g_free (got);
      g_free (want);
      return FALSE;
    }
    e->offset = total;
    total += (size_t) t->n_elements;  /* bounded by the file size */
  }
  for (size_t i = 0; i < st->n_tensors; i++) {
    if (!g_hash_table_contains (p->index, st->tensors[i].name)) {
      g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: unexpected tensor '%s' (not used "
          "by this configuration)", path, st->tensors[i].name);
      return FALSE;
    }
  }
  m->params = g_try_new (float, MAX (total, 1));
  if (m->params == NULL) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_IO, "%s: cannot allocate %zu weights", path, total);
    return FALSE;
  }
  m->n_params = 0;
  for (guint i = 0; i < p->list->len; i++) {
    const Expected *e = &g_array_index (p->list, Expected, i);
    /* trainable weights only, as the reference's count_params: not the feature statistics
     * nor the batchnorm running statistics */
    if (!g_str_has_prefix (e->name, "frontend.") && !g_str_has_suffix (e->name, ".running_mean")
        && !g_str_has_suffix (e->name, ".running_var"))
      m->n_params += (size_t) mega_safetensors_find (st, e->name)->n_elements;
  }
  for (guint i = 0; i < p->list->len; i++) {
    Expected *e = &g_array_index (p->list, Expected, i);
    const MegaStTensor *t = mega_safetensors_find (st, e->name);
    float *dst = m->params + e->offset;
    mega_safetensors_copy (st, t, dst);
    for (uint64_t j = 0; j < t->n_elements; j++) {
      if (!isfinite (dst[j])) {
        g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: tensor '%s' contains a "
            "non-finite value at index %" G_GUINT64_FORMAT, path, e->name, j);
        return FALSE;
      }
    }
  }
  return TRUE;
}

/* Derives what the network reads from a bound norm's file tensors: batchnorm folded into one
 * scale and shift, scalenorm's scalar by value. */
static gboolean
derive_norm (MegaModel *m, MegaNorm *n, const char *prefix, GError **error)
{
  const MegaConfig *c = &m->cfg;
  size_t D = (size_t) c->d_model;
  if (c->norm == MEGA_NORM_SCALE)
    n->scalar = n->scalar_file[0];
  if (c->norm != MEGA_NORM_BATCH)
    return TRUE;
  for (size_t d = 0; d < D; d++) {
    if (n->running_var[d] < 0) {
      g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: tensor '%s.running_var' has "
          "a negative value at index %zu", m->path, prefix, d);
      return FALSE;
    }
  }
  n->bn_scale = g_new (float, D);
  n->bn_shift = g_new (float, D);
  for (size_t d = 0; d < D; d++) {
    n->bn_scale[d] = n->weight[d] / sqrtf (n->running_var[d] + c->norm_eps);
    n->bn_shift[d] = n->bias[d] - n->running_mean[d] * n->bn_scale[d];
  }
  return TRUE;
}

static float
sigmoidf (float x)
{
  return 1.0f / (1.0f + expf (-x));
}

/* rot(v, i) of research/mega.md §3.4 for i = 0..C-1, with the float32 angle table the
 * reference builds (theta_m = exp(-m ln(10000)/half), angle = i * theta_m, all float). */
static float *
rotary_table (const float *v, int Z, int C)
{
  int half = Z / 2;
  /* C and Z come from the config, not from tensor sizes, so a small file can ask for a lot */
  float *out = g_try_new (float, (size_t) C * Z);
  if (out == NULL)
    return NULL;
  float e = (float) (log (10000.0) / half);
  for (int i = 0; i < C; i++) {
    float *row = out + (size_t) i * Z;
    for (int m = 0; m < half; m++) {
      float theta = expf ((float) m * -e);
      float ang = (float) i * theta;
      float s = sinf (ang), co = cosf (ang);
      row[m] = v[m] * co - v[half + m] * s;
      row[half + m] = v[half + m] * co + v[m] * s;
    }
  }
  return out;
}

/* Points every planned tensor's destination at its copied data, then checks and derives what
 * the per-frame code needs (EMA coefficients, rotary tables, folded batchnorm). */
static gboolean
bind_weights (MegaModel *m, Plan *plan, GError **error)
{
  const MegaConfig *c = &m->cfg;
  int D = c->d_model, N = c->n_dim, M = c->fbank.n_mels;
  for (guint i = 0; i < plan->list->len; i++) {
    const Expected *e = &g_array_index (plan->list, Expected, i);
    *e->dest = m->params + e->offset;
  }
  for (int i = 0; i < M; i++) {
    if (!(m->feat_std[i] > 0)) {
      g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: tensor 'frontend.std' has a "
          "non-positive value at index %d", m->path, i);
      return FALSE;
    }
  }
  for (int l = 0; l < c->n_layers; l++) {
    MegaLayer *L = &m->layers[l];
    char *norm = g_strdup_printf ("layers.%d.mega.norm", l);
    gboolean ok = derive_norm (m, &L->mega_norm, norm, error);
    g_free (norm);
    if (!ok)
      return FALSE;
    float scale = sqrtf (1.0f / (float) N);
    L->ema_pbeta = g_new (float, (size_t) D * N);
    L->ema_q = g_new (float, (size_t) D * N);
    L->ema_gamma = g_new (float, (size_t) D * N);
    for (size_t i = 0; i < (size_t) D * N; i++) {
      float p = sigmoidf (L->ema_delta[i]), a = sigmoidf (L->ema_alpha[i]);
      L->ema_pbeta[i] = p * L->ema_beta[i];
      L->ema_q[i] = 1.0f - p * a;
      L->ema_gamma[i] = L->ema_gamma_file[i] * scale;
    }
    if (c->rel_pos_bias == MEGA_BIAS_ROTARY) {
      L->rot_a = rotary_table (L->rotary_alpha, c->z_dim, c->window);
      L->rot_b = rotary_table (L->rotary_beta, c->z_dim, c->window);
      if (L->rot_a == NULL || L->rot_b == NULL) {
        g_set_error (error, MEGA_ERROR, MEGA_ERROR_IO, "%s: cannot allocate the rotary tables "
            "of layer %d (window %d x z_dim %d)", m->path, l, c->window, c->z_dim);
        return FALSE;
      }
    }
    if (c->ffn_dim > 0) {
      norm = g_strdup_printf ("layers.%d.nffn.norm", l);
      ok = derive_norm (m, &L->nffn_norm, norm, error);
      g_free (norm);
      if (!ok)
        return FALSE;
    }
  }
  return !c->prenorm || derive_norm (m, &m->final_norm, "final_norm", error);
}

static const char *
meta (const MegaSafetensors *st, const char *key)
{
  return g_hash_table_lookup (st->metadata, key);
}

static gboolean
check_metadata (const MegaSafetensors *st, const char *path, GError **error)
{
  const char *format = meta (st, "format"), *version = meta (st, "format_version");
  if (format == NULL) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: __metadata__ has no 'format' "
        "(not a gst-mega model file)", path);
    return FALSE;
  }
  if (strcmp (format, "gst-mega") != 0) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: format '%s' is not 'gst-mega'",
        path, format);
    return FALSE;
  }
  if (version == NULL) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_VERSION, "%s: __metadata__ has no "
        "'format_version'", path);
    return FALSE;
  }
  if (strcmp (version, SUPPORTED_VERSION) != 0) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_VERSION, "%s: format_version '%s' is not "
        "supported (this engine reads " SUPPORTED_VERSION ")", path, version);
    return FALSE;
  }
  if (meta (st, "config") == NULL) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: __metadata__ has no 'config'", path);
    return FALSE;
  }
  return TRUE;
}

static void
fill_info (MegaModel *m)
{
  const MegaConfig *c = &m->cfg;
  MegaInfo *i = &m->info;
  i->sample_rate = c->fbank.sample_rate;
  i->frame_length = mega_fbank_frame_length (m->fbank);
  i->frame_shift = mega_fbank_frame_shift (m->fbank);
  i->n_mels = c->fbank.n_mels;
  i->n_labels = c->n_labels;
  i->labels = (const char *const *) c->labels;
  i->d_model = c->d_model;
  i->z_dim = c->z_dim;
  i->h_dim = c->h_dim;
  i->ffn_dim = c->ffn_dim;
  i->n_dim = c->n_dim;
  i->n_layers = c->n_layers;
  i->window = c->window;
  i->attention = mega_attention_names[c->attention];
  i->rel_pos_bias = mega_bias_names[c->rel_pos_bias];
  i->norm = mega_norm_names[c->norm];
  i->prenorm = c->prenorm;
  i->window_mode = mega_window_mode_names[c->window_mode];
  i->normalization = mega_featnorm_names[c->featnorm.type];
  i->n_params = m->n_params;
}

MegaModel *
mega_model_load (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  MegaSafetensors *st = mega_safetensors_open (path, error);
  if (st == NULL)
    return NULL;
  MegaModel *m = g_new0 (MegaModel, 1);
  m->path = g_strdup (path);
  Plan plan = { NULL, NULL };
  gboolean ok = check_metadata (st, path, error)
      && mega_config_parse (&m->cfg, meta (st, "config"), path, error);
  if (ok) {
    plan.list = g_array_new (FALSE, FALSE, sizeof (Expected));
    plan.index = g_hash_table_new (g_str_hash, g_str_equal);
    plan_tensors (&plan, m);
    ok = load_tensors (m, st, &plan, error) && bind_weights (m, &plan, error);
  }
  if (ok) {
    GError *ferr = NULL;
    m->fbank = mega_fbank_new (&m->cfg.fbank, &ferr);
    if (m->fbank == NULL) {
      g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: config: frontend: %s", path,
          ferr->message);
      g_error_free (ferr);
      ok = FALSE;
    }
  }
  plan_clear (&plan);
  mega_safetensors_free (st);
  if (!ok) {
    mega_model_free (m);
    return NULL;
  }
  fill_info (m);
  return m;
}

static void
norm_clear (MegaNorm *n)
{
  g_free (n->bn_scale);
  g_free (n->bn_shift);
}

void
mega_model_free (MegaModel *m)
{
  if (m == NULL)
    return;
  if (m->layers) {
    for (int l = 0; l < m->cfg.n_layers; l++) {
      MegaLayer *L = &m->layers[l];
      norm_clear (&L->mega_norm);
      norm_clear (&L->nffn_norm);
      g_free (L->ema_pbeta);
      g_free (L->ema_q);
      g_free (L->ema_gamma);
      g_free (L->rot_a);
      g_free (L->rot_b);
    }
    g_free (m->layers);
  }
  norm_clear (&m->final_norm);
  if (m->fbank)
    mega_fbank_free (m->fbank);
  mega_config_clear (&m->cfg);
  g_free (m->params);
  g_free (m->path);
  g_free (m);
}

const MegaInfo *
mega_model_info (const MegaModel *model)
{
  g_return_val_if_fail (model != NULL, NULL);
  return &model->info;
}
