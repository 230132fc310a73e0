/* Builds a MegaModel from a model file: checks the metadata, the config, that exactly the
 * tensors of FORMAT.md are present with their shapes and finite values, then precomputes
 * what the per-frame code needs (EMA coefficients, rotary tables, folded batchnorm). */
#include "mega_internal.h"
#include "safetensors.h"

#include <math.h>
#include <string.h>

#define SUPPORTED_VERSION "1"

typedef struct {
  char *name;
  int ndim;
  uint64_t shape[2];
  size_t offset;   /* into model->params */
} Expected;

typedef struct {
  GArray *list;        /* Expected */
  GHashTable *index;   /* name -> index + 1 into list */
} Plan;

static void
expect (Plan *p, char *name, int ndim, uint64_t d0, uint64_t d1)
{
  Expected e = { name, ndim, { d0, d1 }, 0 };
  g_array_append_val (p->list, e);
  g_hash_table_insert (p->index, name, GUINT_TO_POINTER (p->list->len));
}

static void
expect_norm (Plan *p, const MegaConfig *c, const char *prefix)
{
  uint64_t D = (uint64_t) c->d_model;
  switch (c->norm) {
    case MEGA_NORM_LAYER:
      expect (p, g_strdup_printf ("%s.weight", prefix), 1, D, 0);
      expect (p, g_strdup_printf ("%s.bias", prefix), 1, D, 0);
      break;
    case MEGA_NORM_SCALE:
      expect (p, g_strdup_printf ("%s.scalar", prefix), 1, 1, 0);
      break;
    case MEGA_NORM_RMS:
      expect (p, g_strdup_printf ("%s.weight", prefix), 1, D, 0);
      break;
    case MEGA_NORM_BATCH:
      expect (p, g_strdup_printf ("%s.weight", prefix), 1, D, 0);
      expect (p, g_strdup_printf ("%s.bias", prefix), 1, D, 0);
      expect (p, g_strdup_printf ("%s.running_mean", prefix), 1, D, 0);
      expect (p, g_strdup_printf ("%s.running_var", prefix), 1, D, 0);
      break;
  }
}

/* The tensors FORMAT.md requires for this config, in file-independent order. */
static void
plan_tensors (Plan *p, const MegaConfig *c)
{
  uint64_t M = c->fbank.n_mels, D = c->d_model, Z = c->z_dim, H = c->h_dim, F = c->ffn_dim;
  uint64_t N = c->n_dim, C = c->window, K = c->n_labels;
  expect (p, g_strdup ("frontend.mean"), 1, M, 0);
  expect (p, g_strdup ("frontend.std"), 1, M, 0);
  expect (p, g_strdup ("input_proj.weight"), 2, D, M);
  expect (p, g_strdup ("input_proj.bias"), 1, D, 0);
  for (int l = 0; l < c->n_layers; l++) {
    char *pre = g_strdup_printf ("layers.%d.mega", l);
    char *norm = g_strdup_printf ("%s.norm", pre);
    expect_norm (p, c, norm);
    g_free (norm);
    expect (p, g_strdup_printf ("%s.ema.delta", pre), 2, D, N);
    expect (p, g_strdup_printf ("%s.ema.alpha", pre), 2, D, N);
    expect (p, g_strdup_printf ("%s.ema.beta", pre), 2, D, N);
    expect (p, g_strdup_printf ("%s.ema.gamma", pre), 2, D, N);
    expect (p, g_strdup_printf ("%s.ema.omega", pre), 1, D, 0);
    expect (p, g_strdup_printf ("%s.v_proj.weight", pre), 2, H, D);
    expect (p, g_strdup_printf ("%s.v_proj.bias", pre), 1, H, 0);
    expect (p, g_strdup_printf ("%s.mx_proj.weight", pre), 2, 2 * D + Z + H, D);
    expect (p, g_strdup_printf ("%s.mx_proj.bias", pre), 1, 2 * D + Z + H, 0);
    expect (p, g_strdup_printf ("%s.h_proj.weight", pre), 2, D, H);
    expect (p, g_strdup_printf ("%s.h_proj.bias", pre), 1, D, 0);
    expect (p, g_strdup_printf ("%s.qk_gamma", pre), 2, 2, Z);
    expect (p, g_strdup_printf ("%s.qk_beta", pre), 2, 2, Z);
    if (c->rel_pos_bias == MEGA_BIAS_SIMPLE) {
      expect (p, g_strdup_printf ("%s.rel_pos_bias", pre), 1, 2 * C - 1, 0);
    } else {
      expect (p, g_strdup_printf ("%s.rotary_alpha", pre), 1, Z, 0);
      expect (p, g_strdup_printf ("%s.rotary_beta", pre), 1, Z, 0);
    }
    g_free (pre);
    if (F > 0) {
      pre = g_strdup_printf ("layers.%d.nffn", l);
      norm = g_strdup_printf ("%s.norm", pre);
      expect_norm (p, c, norm);
      g_free (norm);
      expect (p, g_strdup_printf ("%s.fc1.weight", pre), 2, F, D);
      expect (p, g_strdup_printf ("%s.fc1.bias", pre), 1, F, 0);
      expect (p, g_strdup_printf ("%s.fc2.weight", pre), 2, D, F);
      expect (p, g_strdup_printf ("%s.fc2.bias", pre), 1, D, 0);
      g_free (pre);
    }
  }
  if (c->prenorm)
    expect_norm (p, c, "final_norm");
  expect (p, g_strdup ("classifier.weight"), 2, K, D);
  expect (p, g_strdup ("classifier.bias"), 1, K, 0);
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

typedef struct {
  MegaModel *m;
  Plan *plan;
} Binder;

static const float *
P (Binder *b, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

/* The copied data of a planned tensor. */
static const float *
P (Binder *b, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *name = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  guint idx = GPOINTER_TO_UINT (g_hash_table_lookup (b->plan->index, name));
  g_assert (idx > 0);  /* every name asked for here was planned */
  g_free (name);
  return b->m->params + g_array_index (b->plan->list, Expected, idx - 1).offset;
}

static gboolean
bind_norm (Binder *b, MegaNorm *n, const char *prefix, GError **error)
{
  const MegaConfig *c = &b->m->cfg;
  size_t D = (size_t) c->d_model;
  switch (c->norm) {
    case MEGA_NORM_LAYER:
      n->weight = P (b, "%s.weight", prefix);
      n->bias = P (b, "%s.bias", prefix);
      break;
    case MEGA_NORM_SCALE:
      n->scalar = P (b, "%s.scalar", prefix)[0];
      break;
    case MEGA_NORM_RMS:
      n->weight = P (b, "%s.weight", prefix);
      break;
    case MEGA_NORM_BATCH: {
      const float *w = P (b, "%s.weight", prefix), *bias = P (b, "%s.bias", prefix);
      const float *mean = P (b, "%s.running_mean", prefix), *var = P (b, "%s.running_var", prefix);
      for (size_t d = 0; d < D; d++) {
        if (var[d] < 0) {
          g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: tensor '%s.running_var' has "
              "a negative value at index %zu", b->m->path, prefix, d);
          return FALSE;
        }
      }
      n->bn_scale = g_new (float, D);
      n->bn_shift = g_new (float, D);
      for (size_t d = 0; d < D; d++) {
        n->bn_scale[d] = w[d] / sqrtf (var[d] + c->norm_eps);
        n->bn_shift[d] = bias[d] - mean[d] * n->bn_scale[d];
      }
      break;
    }
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

static gboolean
bind_weights (MegaModel *m, Plan *plan, GError **error)
{
  Binder b = { m, plan };
  const MegaConfig *c = &m->cfg;
  int D = c->d_model, N = c->n_dim, M = c->fbank.n_mels;
  m->feat_mean = P (&b, "frontend.mean");
  m->feat_std = P (&b, "frontend.std");
  for (int i = 0; i < M; i++) {
    if (!(m->feat_std[i] > 0)) {
      g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: tensor 'frontend.std' has a "
          "non-positive value at index %d", m->path, i);
      return FALSE;
    }
  }
  m->in_w = P (&b, "input_proj.weight");
  m->in_b = P (&b, "input_proj.bias");
  m->layers = g_new0 (MegaLayer, c->n_layers);
  for (int l = 0; l < c->n_layers; l++) {
    MegaLayer *L = &m->layers[l];
    char *pre = g_strdup_printf ("layers.%d.mega", l);
    char *norm = g_strdup_printf ("%s.norm", pre);
    gboolean ok = bind_norm (&b, &L->mega_norm, norm, error);
    g_free (norm);
    if (!ok) {
      g_free (pre);
      return FALSE;
    }
    const float *delta = P (&b, "%s.ema.delta", pre), *alpha = P (&b, "%s.ema.alpha", pre);
    const float *beta = P (&b, "%s.ema.beta", pre), *gamma = P (&b, "%s.ema.gamma", pre);
    float scale = sqrtf (1.0f / (float) N);
    L->ema_pbeta = g_new (float, (size_t) D * N);
    L->ema_q = g_new (float, (size_t) D * N);
    L->ema_gamma = g_new (float, (size_t) D * N);
    for (size_t i = 0; i < (size_t) D * N; i++) {
      float p = sigmoidf (delta[i]), a = sigmoidf (alpha[i]);
      L->ema_pbeta[i] = p * beta[i];
      L->ema_q[i] = 1.0f - p * a;
      L->ema_gamma[i] = gamma[i] * scale;
    }
    L->ema_omega = P (&b, "%s.ema.omega", pre);
    L->v_w = P (&b, "%s.v_proj.weight", pre);
    L->v_b = P (&b, "%s.v_proj.bias", pre);
    L->mx_w = P (&b, "%s.mx_proj.weight", pre);
    L->mx_b = P (&b, "%s.mx_proj.bias", pre);
    L->h_w = P (&b, "%s.h_proj.weight", pre);
    L->h_b = P (&b, "%s.h_proj.bias", pre);
    L->qk_gamma = P (&b, "%s.qk_gamma", pre);
    L->qk_beta = P (&b, "%s.qk_beta", pre);
    if (c->rel_pos_bias == MEGA_BIAS_SIMPLE) {
      L->rel_bias = P (&b, "%s.rel_pos_bias", pre);
    } else {
      L->rot_a = rotary_table (P (&b, "%s.rotary_alpha", pre), c->z_dim, c->window);
      L->rot_b = rotary_table (P (&b, "%s.rotary_beta", pre), c->z_dim, c->window);
      if (L->rot_a == NULL || L->rot_b == NULL) {
        g_set_error (error, MEGA_ERROR, MEGA_ERROR_IO, "%s: cannot allocate the rotary tables "
            "of layer %d (window %d x z_dim %d)", m->path, l, c->window, c->z_dim);
        g_free (pre);
        return FALSE;
      }
    }
    g_free (pre);
    if (c->ffn_dim > 0) {
      pre = g_strdup_printf ("layers.%d.nffn", l);
      norm = g_strdup_printf ("%s.norm", pre);
      ok = bind_norm (&b, &L->nffn_norm, norm, error);
      g_free (norm);
      if (ok) {
        L->fc1_w = P (&b, "%s.fc1.weight", pre);
        L->fc1_b = P (&b, "%s.fc1.bias", pre);
        L->fc2_w = P (&b, "%s.fc2.weight", pre);
        L->fc2_b = P (&b, "%s.fc2.bias", pre);
      }
      g_free (pre);
      if (!ok)
        return FALSE;
    }
  }
  if (c->prenorm && !bind_norm (&b, &m->final_norm, "final_norm", error))
    return FALSE;
  m->cls_w = P (&b, "classifier.weight");
  m->cls_b = P (&b, "classifier.bias");
  return TRUE;
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
    plan_tensors (&plan, &m->cfg);
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
