/* Model-file validation: corrupted copies of a valid golden model are each rejected with
 * their own message, naming the file. Runs under ASan in the 'sanitize' suite, which also
 * checks that no corrupt input is read out of bounds.
 *
 * Usage: test-corrupt <valid model.safetensors> [GTest options] */
#include "mega.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static char *valid_path;
static char *tmp_dir;

/* The valid file, split into its parts. */
typedef struct {
  JsonNode *header;   /* root object */
  GByteArray *data;   /* data area */
} Parts;

static Parts
read_parts (void)
{
  char *buf;
  gsize len;
  GError *err = NULL;
  g_assert_true (g_file_get_contents (valid_path, &buf, &len, &err));
  guint64 n;
  memcpy (&n, buf, 8);
  n = GUINT64_FROM_LE (n);
  g_assert_cmpuint (8 + n, <=, len);
  Parts p;
  char *json = g_strndup (buf + 8, n);
  p.header = json_from_string (json, &err);
  g_assert_no_error (err);
  g_free (json);
  p.data = g_byte_array_new ();
  g_byte_array_append (p.data, (guint8 *) buf + 8 + n, (guint) (len - 8 - n));
  g_free (buf);
  return p;
}

static void
parts_free (Parts *p)
{
  json_node_unref (p->header);
  g_byte_array_unref (p->data);
}

static char *
tmp_file (const char *name)
{
  return g_build_filename (tmp_dir, name, NULL);
}

/* plain stdio: g_file_set_contents would fsync every one of several hundred copies */
static void
write_raw (const char *path, const void *bytes, gsize len)
{
  FILE *f = fopen (path, "wb");
  g_assert_nonnull (f);
  g_assert_cmpuint (fwrite (bytes, 1, len, f), ==, len);
  g_assert_cmpint (fclose (f), ==, 0);
}

/* Writes header + data; size_override (if nonzero) replaces the 8-byte header size. */
static void
write_parts (const char *path, JsonNode *header, const GByteArray *data, guint64 size_override)
{
  char *json = json_to_string (header, FALSE);
  guint64 n = strlen (json);
  guint64 le = GUINT64_TO_LE (size_override ? size_override : n);
  GByteArray *out = g_byte_array_new ();
  g_byte_array_append (out, (guint8 *) &le, 8);
  g_byte_array_append (out, (guint8 *) json, (guint) n);
  g_byte_array_append (out, data->data, data->len);
  write_raw (path, out->data, out->len);
  g_byte_array_unref (out);
  g_free (json);
}

/* Loads path and asserts it fails with `code` and a message containing the path and want. */
static void
expect_rejected (const char *path, MegaErrorCode code, const char *want)
{
  GError *err = NULL;
  MegaModel *m = mega_model_load (path, &err);
  g_assert_null (m);
  g_assert_nonnull (err);
  g_test_message ("%s", err->message);
  if (strstr (err->message, want) == NULL || strstr (err->message, path) == NULL)
    g_error ("message \"%s\" lacks \"%s\" or the path", err->message, want);
  g_assert_error (err, MEGA_ERROR, (gint) code);
  g_error_free (err);
}

static JsonObject *
root_of (Parts *p)
{
  return json_node_get_object (p->header);
}

static JsonObject *
tensor (Parts *p, const char *name)
{
  JsonObject *t = json_object_get_object_member (root_of (p), name);
  g_assert_nonnull (t);
  return t;
}

static guint64
offset (Parts *p, const char *name, int which)
{
  JsonArray *a = json_object_get_array_member (tensor (p, name), "data_offsets");
  return (guint64) json_array_get_int_element (a, (guint) which);
}

static void
set_offsets (Parts *p, const char *name, gint64 begin, gint64 end)
{
  JsonArray *a = json_array_new ();
  json_array_add_int_element (a, begin);
  json_array_add_int_element (a, end);
  json_object_set_array_member (tensor (p, name), "data_offsets", a);
}

static void
set_meta (Parts *p, const char *key, const char *value)
{
  JsonObject *meta = json_object_get_object_member (root_of (p), "__metadata__");
  if (value)
    json_object_set_string_member (meta, key, value);
  else
    json_object_remove_member (meta, key);
}

/* Parses __metadata__.config, lets edit change it, stores it back. */
static void
edit_config (Parts *p, void (*edit) (JsonObject *cfg, gpointer data), gpointer data)
{
  JsonObject *meta = json_object_get_object_member (root_of (p), "__metadata__");
  GError *err = NULL;
  JsonNode *cfg = json_from_string (json_object_get_string_member (meta, "config"), &err);
  g_assert_no_error (err);
  edit (json_node_get_object (cfg), data);
  char *text = json_to_string (cfg, FALSE);
  json_object_set_string_member (meta, "config", text);
  g_free (text);
  json_node_unref (cfg);
}

/* Runs one corruption: edit the parts, write them, expect the message. */
static void
check_case (const char *file, void (*edit) (Parts *p), MegaErrorCode code, const char *want)
{
  Parts p = read_parts ();
  edit (&p);
  char *path = tmp_file (file);
  write_parts (path, p.header, p.data, 0);
  expect_rejected (path, code, want);
  g_unlink (path);
  g_free (path);
  parts_free (&p);
}

/* ------------------------------------------------------------ the container */

static void
test_valid_loads (void)
{
  GError *err = NULL;
  MegaModel *m = mega_model_load (valid_path, &err);
  g_assert_no_error (err);
  const MegaInfo *i = mega_model_info (m);
  g_assert_cmpint (i->n_labels, >=, 2);
  g_assert_cmpuint (i->n_params, >, 0);
  /* and the rewritten copy, to show the editing itself keeps a file valid */
  Parts p = read_parts ();
  char *path = tmp_file ("rewritten.safetensors");
  write_parts (path, p.header, p.data, 0);
  MegaModel *m2 = mega_model_load (path, &err);
  g_assert_no_error (err);
  g_assert_cmpuint (mega_model_info (m2)->n_params, ==, i->n_params);
  mega_model_free (m2);
  mega_model_free (m);
  g_unlink (path);
  g_free (path);
  parts_free (&p);
}

static void
test_missing_empty_dir (void)
{
  char *path = tmp_file ("does-not-exist.safetensors");
  expect_rejected (path, MEGA_ERROR_IO, "cannot open");
  g_free (path);
  path = tmp_file ("empty.safetensors");
  write_raw (path, "", 0);
  expect_rejected (path, MEGA_ERROR_IO, "file is empty");
  g_unlink (path);
  g_free (path);
  expect_rejected (tmp_dir, MEGA_ERROR_IO, "is a directory");
}

static void
test_truncated (void)
{
  char *buf;
  gsize len;
  g_assert_true (g_file_get_contents (valid_path, &buf, &len, NULL));
  char *path = tmp_file ("truncated.safetensors");
  write_raw (path, buf, 5);
  expect_rejected (path, MEGA_ERROR_IO, "5 bytes, too short for the 8-byte header size");
  write_raw (path, buf, 40);  /* inside the header */
  expect_rejected (path, MEGA_ERROR_IO, "exceeds file size 40");
  write_raw (path, buf, len - 3);  /* the last tensor loses bytes */
  expect_rejected (path, MEGA_ERROR_FORMAT, "lie outside the data area");
  g_unlink (path);
  g_free (path);
  g_free (buf);
}

static void
test_header_size (void)
{
  Parts p = read_parts ();
  char *path = tmp_file ("header-size.safetensors");
  write_parts (path, p.header, p.data, G_MAXUINT64);
  expect_rejected (path, MEGA_ERROR_IO, "header size 18446744073709551615 exceeds file size");
  char *json = json_to_string (p.header, FALSE);
  guint64 total = 8 + strlen (json) + p.data->len;
  write_parts (path, p.header, p.data, total - 7);  /* one byte more than the file holds */
  char *want = g_strdup_printf ("header size %" G_GUINT64_FORMAT " exceeds file size %"
      G_GUINT64_FORMAT, total - 7, total);
  expect_rejected (path, MEGA_ERROR_IO, want);
  g_free (want);
  g_free (json);
  g_unlink (path);
  g_free (path);
  parts_free (&p);
}

static void
test_bad_json (void)
{
  /* "{}": no tensors at all (found by fuzz-safetensors: sorting an empty table passed NULL to
   * qsort, undefined behaviour that UBSan reports in the sanitize suite) */
  const char *texts[] = { "{\"a\": ", "[1, 2, 3]", "{\"x\": {\"dtype\": 3}}", "\xff\xfe{}",
      "{}" };
  const char *wants[] = { "header is not valid JSON", "header is not a JSON object",
      "tensor 'x' has no dtype string", "header is not valid UTF-8",
      "__metadata__ has no 'format'" };
  char *path = tmp_file ("bad-json.safetensors");
  for (size_t i = 0; i < G_N_ELEMENTS (texts); i++) {
    guint64 n = strlen (texts[i]), le = GUINT64_TO_LE (n);
    GByteArray *b = g_byte_array_new ();
    g_byte_array_append (b, (guint8 *) &le, 8);
    g_byte_array_append (b, (const guint8 *) texts[i], (guint) n);
    write_raw (path, b->data, b->len);
    expect_rejected (path, MEGA_ERROR_FORMAT, wants[i]);
    g_byte_array_unref (b);
  }
  g_unlink (path);
  g_free (path);
}

/* Random damage must give a model or an error, never a crash or an out-of-bounds read (the
 * 'sanitize' suite runs this under ASan). Prefixes of every length class and byte flips
 * concentrated on the header, where the offsets live. */
static void
test_random_damage (void)
{
  char *buf;
  gsize len;
  g_assert_true (g_file_get_contents (valid_path, &buf, &len, NULL));
  guint64 hsize;
  memcpy (&hsize, buf, 8);
  hsize = GUINT64_FROM_LE (hsize);
  char *path = tmp_file ("damaged.safetensors");
  GRand *rng = g_rand_new_with_seed (4242);
  int loaded = 0, rejected = 0;
  for (gsize cut = 0; cut < len; cut += 1 + len / 47) {
    write_raw (path, buf, cut);
    GError *err = NULL;
    MegaModel *m = mega_model_load (path, &err);
    g_assert_null (m);
    g_assert_error (err, MEGA_ERROR, err->code);
    g_error_free (err);
    rejected++;
  }
  char *copy = g_memdup2 (buf, len);
  for (int it = 0; it < 150; it++) {
    memcpy (copy, buf, len);
    int flips = g_rand_int_range (rng, 1, 4);
    for (int f = 0; f < flips; f++) {
      gsize at = g_rand_boolean (rng) ? (gsize) g_rand_int_range (rng, 0, (gint32) (8 + hsize))
          : (gsize) g_rand_int_range (rng, 0, (gint32) len);
      copy[at] = (char) g_rand_int_range (rng, 0, 256);
    }
    write_raw (path, copy, len);
    GError *err = NULL;
    MegaModel *m = mega_model_load (path, &err);
    if (m != NULL) {
      g_assert_no_error (err);
      loaded++;
      mega_model_free (m);
    } else {
      g_assert_nonnull (err);
      g_assert_nonnull (strstr (err->message, path));
      g_error_free (err);
      rejected++;
    }
  }
  g_test_message ("random damage: %d loaded, %d rejected", loaded, rejected);
  g_assert_cmpint (rejected, >, 50);
  g_rand_free (rng);
  g_unlink (path);
  g_free (path);
  g_free (copy);
  g_free (buf);
}

/* ------------------------------------------------------------ tensors */

static void
drop_classifier_bias (Parts *p)
{
  json_object_remove_member (root_of (p), "classifier.bias");
}

static void
add_extra_tensor (Parts *p)
{
  JsonObject *t = json_object_new ();
  json_object_set_string_member (t, "dtype", "F32");
  JsonArray *shape = json_array_new ();
  json_array_add_int_element (shape, 1);
  json_object_set_array_member (t, "shape", shape);
  json_object_set_object_member (root_of (p), "extra.weight", t);
  set_offsets (p, "extra.weight", p->data->len, p->data->len + 4);
  float one = 1.0f;
  g_byte_array_append (p->data, (guint8 *) &one, 4);
}

/* swaps the two dimensions: same byte count, wrong shape */
static void
transpose_v_proj (Parts *p)
{
  JsonArray *s = json_object_get_array_member (tensor (p, "layers.0.mega.v_proj.weight"), "shape");
  gint64 a = json_array_get_int_element (s, 0), b = json_array_get_int_element (s, 1);
  JsonArray *n = json_array_new ();
  json_array_add_int_element (n, b);
  json_array_add_int_element (n, a);
  json_object_set_array_member (tensor (p, "layers.0.mega.v_proj.weight"), "shape", n);
}

static void
make_f16 (Parts *p)
{
  json_object_set_string_member (tensor (p, "input_proj.bias"), "dtype", "F16");
}

static void
overlap_offsets (Parts *p)
{
  /* alpha gets delta's bytes: the same size, so only the overlap is wrong */
  set_offsets (p, "layers.0.mega.ema.alpha", offset (p, "layers.0.mega.ema.delta", 0),
      offset (p, "layers.0.mega.ema.delta", 1));
}

static void
offsets_past_end (Parts *p)
{
  guint64 size = offset (p, "classifier.bias", 1) - offset (p, "classifier.bias", 0);
  set_offsets (p, "classifier.bias", p->data->len, p->data->len + size);
}

static void
offsets_wrong_size (Parts *p)
{
  set_offsets (p, "classifier.bias", offset (p, "classifier.bias", 0),
      offset (p, "classifier.bias", 1) - 4);
}

static void
poke (Parts *p, const char *name, guint64 index, float value)
{
  guint64 at = offset (p, name, 0) + 4 * index;
  g_assert_cmpuint (at + 4, <=, offset (p, name, 1));
  memcpy (p->data->data + at, &value, 4);
}

static void
nan_weight (Parts *p)
{
  poke (p, "classifier.weight", 17, NAN);
}

static void
inf_weight (Parts *p)
{
  poke (p, "layers.0.mega.mx_proj.weight", 3, -INFINITY);
}

static void
zero_std (Parts *p)
{
  poke (p, "frontend.std", 2, 0.0f);
}

static void
test_tensors (void)
{
  check_case ("missing.safetensors", drop_classifier_bias, MEGA_ERROR_FORMAT,
      "tensor 'classifier.bias' is missing");
  check_case ("extra.safetensors", add_extra_tensor, MEGA_ERROR_FORMAT,
      "unexpected tensor 'extra.weight'");
  check_case ("f16.safetensors", make_f16, MEGA_ERROR_FORMAT,
      "tensor 'input_proj.bias' has dtype F16, expected F32");
  check_case ("overlap.safetensors", overlap_offsets, MEGA_ERROR_FORMAT, "overlap");
  check_case ("past-end.safetensors", offsets_past_end, MEGA_ERROR_FORMAT,
      "tensor 'classifier.bias' data_offsets");
  check_case ("wrong-size.safetensors", offsets_wrong_size, MEGA_ERROR_FORMAT,
      "tensor 'classifier.bias' has");
  check_case ("nan.safetensors", nan_weight, MEGA_ERROR_FORMAT,
      "tensor 'classifier.weight' contains a non-finite value at index 17");
  check_case ("inf.safetensors", inf_weight, MEGA_ERROR_FORMAT,
      "tensor 'layers.0.mega.mx_proj.weight' contains a non-finite value at index 3");
  check_case ("std.safetensors", zero_std, MEGA_ERROR_FORMAT,
      "tensor 'frontend.std' has a non-positive value at index 2");
}

/* the shape message names both shapes, read from the valid file */
static void
test_wrong_shape (void)
{
  Parts p = read_parts ();
  JsonArray *s = json_object_get_array_member (tensor (&p, "layers.0.mega.v_proj.weight"), "shape");
  gint64 H = json_array_get_int_element (s, 0), D = json_array_get_int_element (s, 1);
  parts_free (&p);
  g_assert_cmpint (H, !=, D);  /* else the transposed shape would be valid */
  char *want = g_strdup_printf ("tensor 'layers.0.mega.v_proj.weight' has shape [%" G_GINT64_FORMAT
      ", %" G_GINT64_FORMAT "], expected [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]", D, H, H, D);
  check_case ("shape.safetensors", transpose_v_proj, MEGA_ERROR_FORMAT, want);
  g_free (want);
}

/* ------------------------------------------------------------ metadata and config */

static void
version_2 (Parts *p)
{
  set_meta (p, "format_version", "2");
}

static void
no_format (Parts *p)
{
  set_meta (p, "format", NULL);
}

static void
other_format (Parts *p)
{
  set_meta (p, "format", "something-else");
}

static void
no_config (Parts *p)
{
  set_meta (p, "config", NULL);
}

static void
config_not_json (Parts *p)
{
  set_meta (p, "config", "{labels: }");
}

static void
cfg_drop_labels (JsonObject *cfg, gpointer data)
{
  json_object_remove_member (cfg, "labels");
}

static void
cfg_drop_last_label (JsonObject *cfg, gpointer data)
{
  JsonArray *a = json_object_get_array_member (cfg, "labels");
  json_array_remove_element (a, json_array_get_length (a) - 1);
}

static void
cfg_duplicate_label (JsonObject *cfg, gpointer data)
{
  JsonArray *a = json_object_get_array_member (cfg, "labels");
  json_array_add_string_element (a, json_array_get_string_element (a, 0));
}

/* data: "key=value" in the network section; value parsed as JSON */
static void
cfg_set_network (JsonObject *cfg, gpointer data)
{
  char **kv = g_strsplit (data, "=", 2);
  JsonObject *net = json_object_get_object_member (cfg, "network");
  json_object_set_member (net, kv[0], json_from_string (kv[1], NULL));
  g_strfreev (kv);
}

static void
cfg_set_frontend (JsonObject *cfg, gpointer data)
{
  char **kv = g_strsplit (data, "=", 2);
  JsonObject *fe = json_object_get_object_member (cfg, "frontend");
  json_object_set_member (fe, kv[0], json_from_string (kv[1], NULL));
  g_strfreev (kv);
}

static gpointer config_edit_data;
static void (*config_edit_fn) (JsonObject *, gpointer);

static void
apply_config_edit (Parts *p)
{
  edit_config (p, config_edit_fn, config_edit_data);
}

static void
check_config (const char *file, void (*fn) (JsonObject *, gpointer), const char *data,
    const char *want)
{
  config_edit_fn = fn;
  config_edit_data = (gpointer) data;
  check_case (file, apply_config_edit, MEGA_ERROR_FORMAT, want);
}

static void
test_metadata (void)
{
  check_case ("v2.safetensors", version_2, MEGA_ERROR_VERSION,
      "format_version '2' is not supported (this engine reads 1)");
  check_case ("no-format.safetensors", no_format, MEGA_ERROR_FORMAT, "has no 'format'");
  check_case ("other-format.safetensors", other_format, MEGA_ERROR_FORMAT,
      "format 'something-else' is not 'gst-mega'");
  check_case ("no-config.safetensors", no_config, MEGA_ERROR_FORMAT, "has no 'config'");
  check_case ("config-json.safetensors", config_not_json, MEGA_ERROR_FORMAT,
      "config: not valid JSON");
}

static void
test_config (void)
{
  GError *err = NULL;
  MegaModel *m = mega_model_load (valid_path, &err);
  g_assert_no_error (err);
  int K = mega_model_info (m)->n_labels;
  mega_model_free (m);
  char *want = g_strdup_printf ("config: label count %d does not match classifier rows %d", K - 1, K);
  check_config ("labels-count.safetensors", cfg_drop_last_label, NULL, want);
  g_free (want);
  check_config ("labels.safetensors", cfg_drop_labels, NULL, "config: labels missing");
  check_config ("dup.safetensors", cfg_duplicate_label, NULL, "config: duplicate label '");
  check_config ("layers.safetensors", cfg_set_network, "n_layers=0",
      "config: network.n_layers 0 out of range 1..64");
  check_config ("window.safetensors", cfg_set_network, "window=0",
      "config: network.window 0 out of range 1..4096");
  check_config ("att.safetensors", cfg_set_network, "attention=\"cosine\"",
      "config: network.attention 'cosine' is not one of softmax, laplace, relu2");
  check_config ("eps.safetensors", cfg_set_network, "norm_eps=0",
      "config: network.norm_eps 0 out of range (0, 1)");
  check_config ("prenorm.safetensors", cfg_set_network, "prenorm=1",
      "config: network.prenorm is not a boolean");
  check_config ("d.safetensors", cfg_set_network, "d_model=2.5",
      "config: network.d_model is not an integer");
  check_config ("rate.safetensors", cfg_set_frontend, "sample_rate=10",
      "config: frontend.sample_rate 10 out of range 1000..192000");
  check_config ("fwin.safetensors", cfg_set_frontend, "window=\"kaiser\"",
      "config: frontend.window 'kaiser' is not one of hamming, hanning, povey, rectangular");
  check_config ("band.safetensors", cfg_set_frontend, "high_freq=90000",
      "config: frontend band");
  check_config ("shift.safetensors", cfg_set_frontend, "frame_shift_ms=0",
      "config: frontend.frame_shift_ms 0 must be > 0");
  check_config ("scale.safetensors", cfg_set_frontend, "input_scale=-1",
      "config: frontend.input_scale -1 must be > 0");
}

/* The valid file with one frontend key set (data as for cfg_set_frontend) must load; returns
 * its normalization. */
static char *
normalization_after (const char *file, const char *data)
{
  Parts p = read_parts ();
  edit_config (&p, cfg_set_frontend, (gpointer) data);
  char *path = tmp_file (file);
  write_parts (path, p.header, p.data, 0);
  GError *err = NULL;
  MegaModel *m = mega_model_load (path, &err);
  g_assert_no_error (err);
  char *kind = g_strdup (mega_model_info (m)->normalization);
  mega_model_free (m);
  g_unlink (path);
  g_free (path);
  parts_free (&p);
  return kind;
}

/* frontend.normalization and its parameters: optional (a file without them is "global"),
 * range-checked whether or not the mode uses them, with messages naming key and range. */
static void
test_normalization (void)
{
  GError *err = NULL;
  MegaModel *m = mega_model_load (valid_path, &err);
  g_assert_no_error (err);
  g_assert_cmpstr (mega_model_info (m)->normalization, ==, "global");
  mega_model_free (m);
  const char *ok[][2] = { { "normalization=\"pcen\"", "pcen" },
      { "normalization=\"running\"", "running" }, { "normalization=\"global\"", "global" },
      { "pcen_s=1", "global" }, { "pcen_r=1", "global" }, { "running_frames=2", "global" } };
  for (size_t i = 0; i < G_N_ELEMENTS (ok); i++) {
    char *kind = normalization_after ("norm-ok.safetensors", ok[i][0]);
    g_assert_cmpstr (kind, ==, ok[i][1]);
    g_free (kind);
  }
  const char *bad[][2] = {
    { "normalization=\"cmvn\"",
      "config: frontend.normalization 'cmvn' is not one of global, pcen, running" },
    { "normalization=1", "config: frontend.normalization is not a string" },
    { "pcen_s=-0.025", "config: frontend.pcen_s -0.025 out of range (0, 1]" },
    { "pcen_s=0", "config: frontend.pcen_s 0 out of range (0, 1]" },
    { "pcen_s=\"0.1\"", "config: frontend.pcen_s is not a number" },
    { "pcen_alpha=1.5", "config: frontend.pcen_alpha 1.5 out of range [0, 1]" },
    { "pcen_delta=-2", "config: frontend.pcen_delta -2 out of range [0, 1e6]" },
    { "pcen_r=0", "config: frontend.pcen_r 0 out of range (0, 1]" },
    { "pcen_r=2", "config: frontend.pcen_r 2 out of range (0, 1]" },
    { "pcen_eps=0", "config: frontend.pcen_eps 0 out of range [1e-12, 1]" },
    { "running_frames=1", "config: frontend.running_frames 1 out of range 2..1000000" },
    { "running_frames=100.5", "config: frontend.running_frames is not an integer" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++)
    check_config ("norm-bad.safetensors", cfg_set_frontend, bad[i][0], bad[i][1]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (argc < 2)
    g_error ("usage: %s <valid model.safetensors>", argv[0]);
  GError *err = NULL;
  valid_path = g_strdup (argv[1]);
  tmp_dir = g_dir_make_tmp ("mega-corrupt-XXXXXX", &err);
  g_assert_no_error (err);
  g_test_add_func ("/engine/model-file/valid", test_valid_loads);
  g_test_add_func ("/engine/model-file/missing-empty-directory", test_missing_empty_dir);
  g_test_add_func ("/engine/model-file/truncated", test_truncated);
  g_test_add_func ("/engine/model-file/header-size", test_header_size);
  g_test_add_func ("/engine/model-file/bad-json", test_bad_json);
  g_test_add_func ("/engine/model-file/tensors", test_tensors);
  g_test_add_func ("/engine/model-file/random-damage", test_random_damage);
  g_test_add_func ("/engine/model-file/wrong-shape", test_wrong_shape);
  g_test_add_func ("/engine/model-file/metadata", test_metadata);
  g_test_add_func ("/engine/model-file/config", test_config);
  g_test_add_func ("/engine/model-file/normalization", test_normalization);
  int ret = g_test_run ();
  g_rmdir (tmp_dir);
  g_free (tmp_dir);
  g_free (valid_path);
  return ret;
}
