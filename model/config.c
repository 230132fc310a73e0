/* Parses and range-checks the `config` JSON of a model file (ranges: model/FORMAT.md). */
#include "mega_internal.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

const char *const mega_attention_names[] = { "softmax", "laplace", "relu2", NULL };
const char *const mega_bias_names[] = { "simple", "rotary", NULL };
const char *const mega_norm_names[] = { "layernorm", "scalenorm", "rmsnorm", "batchnorm", NULL };
const char *const mega_window_mode_names[] = { "chunk", "sliding", NULL };
const char *const mega_activation_names[] = { "silu", "gelu", NULL };
const char *const mega_featnorm_names[] = { "global", "pcen", "running", NULL };
const char *const mega_window_names[] = { "hamming", "hanning", "povey", "rectangular", NULL };

typedef struct {
  const char *path;
  GError **error;
} Ctx;

static gboolean G_GNUC_PRINTF (2, 3)
fail (Ctx *c, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (c->error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: config: %s", c->path, msg);
  g_free (msg);
  return FALSE;
}

static JsonObject *
get_object (Ctx *c, JsonObject *o, const char *key)
{
  JsonNode *n = json_object_get_member (o, key);
  if (n == NULL) {
    fail (c, "%s missing", key);
    return NULL;
  }
  if (JSON_NODE_TYPE (n) != JSON_NODE_OBJECT) {
    fail (c, "%s is not an object", key);
    return NULL;
  }
  return json_node_get_object (n);
}

static gboolean
get_int (Ctx *c, JsonObject *o, const char *sect, const char *key, int lo, int hi, int *out)
{
  JsonNode *n = json_object_get_member (o, key);
  if (n == NULL)
    return fail (c, "%s.%s missing", sect, key);
  if (JSON_NODE_TYPE (n) != JSON_NODE_VALUE || json_node_get_value_type (n) != G_TYPE_INT64)
    return fail (c, "%s.%s is not an integer", sect, key);
  gint64 v = json_node_get_int (n);
  if (v < lo || v > hi)
    return fail (c, "%s.%s %" G_GINT64_FORMAT " out of range %d..%d", sect, key, v, lo, hi);
  *out = (int) v;
  return TRUE;
}

static gboolean
get_double (Ctx *c, JsonObject *o, const char *sect, const char *key, double *out)
{
  JsonNode *n = json_object_get_member (o, key);
  if (n == NULL)
    return fail (c, "%s.%s missing", sect, key);
  GType t = JSON_NODE_TYPE (n) == JSON_NODE_VALUE ? json_node_get_value_type (n) : G_TYPE_INVALID;
  if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE)
    return fail (c, "%s.%s is not a number", sect, key);
  *out = json_node_get_double (n);
  if (!isfinite (*out))
    return fail (c, "%s.%s is not finite", sect, key);
  return TRUE;
}

static gboolean
get_bool (Ctx *c, JsonObject *o, const char *sect, const char *key, gboolean *out)
{
  JsonNode *n = json_object_get_member (o, key);
  if (n == NULL)
    return fail (c, "%s.%s missing", sect, key);
  if (JSON_NODE_TYPE (n) != JSON_NODE_VALUE || json_node_get_value_type (n) != G_TYPE_BOOLEAN)
    return fail (c, "%s.%s is not a boolean", sect, key);
  *out = json_node_get_boolean (n);
  return TRUE;
}

/* choices: NULL-terminated; *out = index */
static gboolean
get_choice (Ctx *c, JsonObject *o, const char *sect, const char *key, const char *const *choices,
    int *out)
{
  JsonNode *n = json_object_get_member (o, key);
  if (n == NULL)
    return fail (c, "%s.%s missing", sect, key);
  if (JSON_NODE_TYPE (n) != JSON_NODE_VALUE || json_node_get_value_type (n) != G_TYPE_STRING)
    return fail (c, "%s.%s is not a string", sect, key);
  const char *s = json_node_get_string (n);
  for (int i = 0; choices[i]; i++) {
    if (strcmp (s, choices[i]) == 0) {
      *out = i;
      return TRUE;
    }
  }
  char *list = g_strjoinv (", ", (char **) choices);
  fail (c, "%s.%s '%s' is not one of %s", sect, key, s, list);
  g_free (list);
  return FALSE;
}

static gboolean
parse_labels (Ctx *c, MegaConfig *cfg, JsonObject *root)
{
  JsonNode *n = json_object_get_member (root, "labels");
  if (n == NULL)
    return fail (c, "labels missing");
  if (JSON_NODE_TYPE (n) != JSON_NODE_ARRAY)
    return fail (c, "labels is not an array");
  JsonArray *a = json_node_get_array (n);
  guint len = json_array_get_length (a);
  if (len < 2 || len > 1024)
    return fail (c, "label count %u out of range 2..1024", len);
  cfg->labels = g_new0 (char *, len + 1);
  cfg->n_labels = (int) len;
  for (guint i = 0; i < len; i++) {
    JsonNode *e = json_array_get_element (a, i);
    if (JSON_NODE_TYPE (e) != JSON_NODE_VALUE || json_node_get_value_type (e) != G_TYPE_STRING)
      return fail (c, "label %u is not a string", i);
    const char *s = json_node_get_string (e);
    if (s[0] == '\0')
      return fail (c, "label %u is empty", i);
    for (guint j = 0; j < i; j++)
      if (strcmp (cfg->labels[j], s) == 0)
        return fail (c, "duplicate label '%s'", s);
    cfg->labels[i] = g_strdup (s);
  }
  return TRUE;
}

static gboolean
parse_frontend (Ctx *c, MegaFbankConfig *f, JsonObject *o)
{
  const char *s = "frontend";
  int win;
  if (!get_int (c, o, s, "sample_rate", MEGA_FBANK_MIN_RATE, MEGA_FBANK_MAX_RATE,
          &f->sample_rate)
      || !get_double (c, o, s, "frame_length_ms", &f->frame_length_ms)
      || !get_double (c, o, s, "frame_shift_ms", &f->frame_shift_ms)
      || !get_int (c, o, s, "n_mels", 1, MEGA_FBANK_MAX_MELS, &f->n_mels)
      || !get_double (c, o, s, "low_freq", &f->low_freq)
      || !get_double (c, o, s, "high_freq", &f->high_freq)
      || !get_choice (c, o, s, "window", mega_window_names, &win)
      || !get_double (c, o, s, "preemphasis", &f->preemphasis)
      || !get_bool (c, o, s, "remove_dc_offset", &f->remove_dc_offset)
      || !get_double (c, o, s, "input_scale", &f->input_scale))
    return FALSE;
  f->window = (MegaWindowType) win;  /* same order as MegaWindowType */
  if (f->frame_shift_ms <= 0)
    return fail (c, "frontend.frame_shift_ms %g must be > 0", f->frame_shift_ms);
  if (f->frame_length_ms < f->frame_shift_ms || f->frame_length_ms > MEGA_FBANK_MAX_MS)
    return fail (c, "frontend.frame_length_ms %g must be within frame_shift_ms..1000",
        f->frame_length_ms);
  /* both must give at least one sample, as Kaldi computes them */
  if ((int) (f->sample_rate * f->frame_shift_ms * 0.001) < 1)
    return fail (c, "frontend.frame_shift_ms %g is shorter than one sample", f->frame_shift_ms);
  double nyquist = f->sample_rate / 2.0;
  double high = mega_fbank_high_hz (f);
  if (f->low_freq < 0 || !(f->low_freq < high) || high > nyquist)
    return fail (c, "frontend band low_freq %g, high_freq %g is not 0 <= low < high <= %g",
        f->low_freq, f->high_freq, nyquist);
  if (f->preemphasis < 0 || f->preemphasis > 1)
    return fail (c, "frontend.preemphasis %g out of range 0..1", f->preemphasis);
  if (f->input_scale <= 0)
    return fail (c, "frontend.input_scale %g must be > 0", f->input_scale);
  return TRUE;
}

/* The causal normalisation keys are optional: a file without them is a "global" model, as
 * every file written before they existed. Present keys are range-checked whatever the mode. */
static gboolean
parse_featnorm (Ctx *c, MegaFeatNormConfig *n, JsonObject *o)
{
  const char *s = "frontend";
  int kind;
  mega_featnorm_config_init (n);
  if (json_object_has_member (o, "normalization")) {
    if (!get_choice (c, o, s, "normalization", mega_featnorm_names, &kind))
      return FALSE;
    n->type = (MegaFeatNormType) kind;  /* same order as MegaFeatNormType */
  }
#define OPTIONAL_DOUBLE(key) \
  (!json_object_has_member (o, #key) || get_double (c, o, s, #key, &n->key))
  if (!OPTIONAL_DOUBLE (pcen_s) || !OPTIONAL_DOUBLE (pcen_alpha) || !OPTIONAL_DOUBLE (pcen_delta)
      || !OPTIONAL_DOUBLE (pcen_r) || !OPTIONAL_DOUBLE (pcen_eps))
    return FALSE;
#undef OPTIONAL_DOUBLE
  if (json_object_has_member (o, "running_frames")
      && !get_int (c, o, s, "running_frames", 2, 1000000, &n->running_frames))
    return FALSE;
  if (!(n->pcen_s > 0 && n->pcen_s <= 1))
    return fail (c, "frontend.pcen_s %g out of range (0, 1]", n->pcen_s);
  if (!(n->pcen_alpha >= 0 && n->pcen_alpha <= 1))
    return fail (c, "frontend.pcen_alpha %g out of range [0, 1]", n->pcen_alpha);
  if (!(n->pcen_delta >= 0 && n->pcen_delta <= 1e6))
    return fail (c, "frontend.pcen_delta %g out of range [0, 1e6]", n->pcen_delta);
  if (!(n->pcen_r > 0 && n->pcen_r <= 1))
    return fail (c, "frontend.pcen_r %g out of range (0, 1]", n->pcen_r);
  if (!(n->pcen_eps >= 1e-12 && n->pcen_eps <= 1))
    return fail (c, "frontend.pcen_eps %g out of range [1e-12, 1]", n->pcen_eps);
  return TRUE;
}

static gboolean
parse_network (Ctx *c, MegaConfig *cfg, JsonObject *o)
{
  const char *s = "network";
  int att, bias, norm, mode, act;
  double eps;
  if (!get_int (c, o, s, "d_model", 1, 4096, &cfg->d_model)
      || !get_int (c, o, s, "z_dim", 1, 4096, &cfg->z_dim)
      || !get_int (c, o, s, "h_dim", 1, 4096, &cfg->h_dim)
      || !get_int (c, o, s, "ffn_dim", 0, 4096, &cfg->ffn_dim)
      || !get_int (c, o, s, "n_dim", 1, 4096, &cfg->n_dim)
      || !get_int (c, o, s, "n_layers", 1, 64, &cfg->n_layers)
      || !get_choice (c, o, s, "attention", mega_attention_names, &att)
      || !get_choice (c, o, s, "rel_pos_bias", mega_bias_names, &bias)
      || !get_choice (c, o, s, "norm", mega_norm_names, &norm)
      || !get_bool (c, o, s, "prenorm", &cfg->prenorm)
      || !get_choice (c, o, s, "window_mode", mega_window_mode_names, &mode)
      || !get_int (c, o, s, "window", 1, 4096, &cfg->window)
      || !get_choice (c, o, s, "activation", mega_activation_names, &act)
      || !get_double (c, o, s, "norm_eps", &eps))
    return FALSE;
  cfg->attention = (MegaAttention) att;
  cfg->rel_pos_bias = (MegaBias) bias;
  cfg->norm = (MegaNormType) norm;
  cfg->window_mode = (MegaWindowMode) mode;
  cfg->activation = (MegaActivation) act;
  if (!(eps > 0 && eps < 1))
    return fail (c, "network.norm_eps %g out of range (0, 1)", eps);
  cfg->norm_eps = (float) eps;
  if (cfg->rel_pos_bias == MEGA_BIAS_ROTARY && cfg->z_dim % 2 != 0)
    return fail (c, "network.rel_pos_bias 'rotary' needs an even z_dim, got %d", cfg->z_dim);
  return TRUE;
}

gboolean
mega_config_parse (MegaConfig *cfg, const char *json, const char *path, GError **error)
{
  Ctx c = { path, error };
  memset (cfg, 0, sizeof *cfg);
  JsonParser *parser = json_parser_new ();
  GError *jerr = NULL;
  gboolean ok = FALSE;
  if (!json_parser_load_from_data (parser, json, -1, &jerr)) {
    fail (&c, "not valid JSON: %s", jerr->message);
    g_error_free (jerr);
    goto out;
  }
  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || JSON_NODE_TYPE (root) != JSON_NODE_OBJECT) {
    fail (&c, "not a JSON object");
    goto out;
  }
  JsonObject *o = json_node_get_object (root), *fe, *net;
  ok = parse_labels (&c, cfg, o)
      && (fe = get_object (&c, o, "frontend")) != NULL && parse_frontend (&c, &cfg->fbank, fe)
      && parse_featnorm (&c, &cfg->featnorm, fe)
      && (net = get_object (&c, o, "network")) != NULL && parse_network (&c, cfg, net);
out:
  g_object_unref (parser);
  if (!ok)
    mega_config_clear (cfg);
  return ok;
}

void
mega_config_clear (MegaConfig *cfg)
{
  g_strfreev (cfg->labels);
  cfg->labels = NULL;
}
