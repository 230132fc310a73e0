/* Reads the golden cases written by the PyTorch reference (tests/golden). The tensors file
 * is safetensors too, so the engine's own validating reader opens it. */
#include "golden_io.h"
#include "mega_internal.h"
#include "safetensors.h"

#include <math.h>
#include <string.h>

static float *
take (const MegaSafetensors *st, const char *path, const char *name, int ndim, size_t *rows,
    size_t cols)
{
  const MegaStTensor *t = mega_safetensors_find (st, name);
  if (t == NULL)
    g_error ("%s: golden tensor '%s' missing", path, name);
  if (t->ndim != ndim || (ndim == 2 && t->shape[1] != cols))
    g_error ("%s: golden tensor '%s' has an unexpected shape", path, name);
  *rows = (size_t) t->shape[0];
  float *out = g_new (float, MAX (t->n_elements, 1));
  mega_safetensors_copy (st, t, out);
  return out;
}

/* An optional tensor of rows x cols: NULL if absent. */
static float *
take_optional (const MegaSafetensors *st, const char *path, const char *name, size_t rows,
    size_t cols)
{
  if (mega_safetensors_find (st, name) == NULL)
    return NULL;
  size_t got;
  float *out = take (st, path, name, 2, &got, cols);
  if (got != rows)
    g_error ("%s: golden tensor '%s' has %zu rows, expected %zu", path, name, got, rows);
  return out;
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
golden_load_all (const char *dir)
{
  GError *err = NULL;
  GDir *d = g_dir_open (dir, 0, &err);
  g_assert_no_error (err);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *e;
  while ((e = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (e, ".io.safetensors"))
      g_ptr_array_add (names, g_strndup (e, strlen (e) - strlen (".io.safetensors")));
  g_dir_close (d);
  g_ptr_array_sort (names, compare_names);
  if (names->len == 0)
    g_error ("no golden cases (*.io.safetensors) in %s", dir);

  GPtrArray *cases = g_ptr_array_new_with_free_func ((GDestroyNotify) golden_case_free);
  for (guint i = 0; i < names->len; i++) {
    GoldenCase *c = g_new0 (GoldenCase, 1);
    c->name = g_strdup (names->pdata[i]);
    c->model_path = g_strdup_printf ("%s/%s.safetensors", dir, c->name);
    c->model = mega_model_load (c->model_path, &err);
    g_assert_no_error (err);
    const MegaInfo *info = mega_model_info (c->model);
    char *io = g_strdup_printf ("%s/%s.io.safetensors", dir, c->name);
    MegaSafetensors *st = mega_safetensors_open (io, &err);
    g_assert_no_error (err);
    size_t rows;
    c->features = take (st, io, "features", 2, &c->n_features, info->n_mels);
    c->logits = take (st, io, "logits", 2, &rows, info->n_labels);
    g_assert_cmpuint (rows, ==, c->n_features);
    c->audio = take (st, io, "audio", 1, &c->n_audio, 0);
    c->audio_logits = take (st, io, "audio_logits", 2, &c->n_audio_frames, info->n_labels);
    c->audio_features = take (st, io, "audio_features", 2, &rows, info->n_mels);
    g_assert_cmpuint (rows, ==, c->n_audio_frames);
    c->normalized_features = take_optional (st, io, "normalized_features", c->n_features,
        info->n_mels);
    c->audio_normalized = take_optional (st, io, "audio_normalized", c->n_audio_frames,
        info->n_mels);
    mega_safetensors_free (st);
    g_free (io);
    g_ptr_array_add (cases, c);
  }
  g_ptr_array_unref (names);
  return cases;
}

void
golden_case_free (GoldenCase *c)
{
  mega_model_free (c->model);
  g_free (c->name);
  g_free (c->model_path);
  g_free (c->features);
  g_free (c->logits);
  g_free (c->audio);
  g_free (c->audio_logits);
  g_free (c->audio_features);
  g_free (c->normalized_features);
  g_free (c->audio_normalized);
  g_free (c);
}

double
max_abs_diff (const float *a, const float *b, size_t n)
{
  double m = 0;
  for (size_t i = 0; i < n; i++) {
    double d = fabs ((double) a[i] - b[i]);
    if (!(d <= m))  /* also catches NaN */
      m = isnan (d) ? INFINITY : d;
  }
  return m;
}

double
max_abs (const float *a, size_t n)
{
  double m = 0;
  for (size_t i = 0; i < n; i++)
    m = MAX (m, fabs ((double) a[i]));
  return m;
}
