/* Validating safetensors reader. Every offset and size taken from the file is checked
 * against the file size before it is used, so a corrupt file can only cause an error. */
#include "safetensors.h"
#include "mega.h"

#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A header larger than this is not a model header (ours are a few kB). */
#define MAX_HEADER_SIZE (64u * 1024u * 1024u)

static guint8 *
read_whole_file (const char *path, uint64_t *size_out, GError **error)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_IO, "%s: cannot open: %s", path, g_strerror (e));
    return NULL;
  }
  struct stat sb;
  if (fstat (fd, &sb) != 0) {
    int e = errno;
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_IO, "%s: cannot stat: %s", path, g_strerror (e));
    close (fd);
    return NULL;
  }
  if (S_ISDIR (sb.st_mode)) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_IO, "%s: is a directory, not a model file", path);
    close (fd);
    return NULL;
  }
  if (!S_ISREG (sb.st_mode)) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_IO, "%s: is not a regular file", path);
    close (fd);
    return NULL;
  }
  if (sb.st_size == 0) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_IO, "%s: file is empty", path);
    close (fd);
    return NULL;
  }
  uint64_t size = (uint64_t) sb.st_size;
  guint8 *buf = size <= G_MAXSIZE ? g_try_malloc ((gsize) size) : NULL;
  if (buf == NULL) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_IO, "%s: cannot allocate %" G_GUINT64_FORMAT
        " bytes", path, size);
    close (fd);
    return NULL;
  }
  uint64_t got = 0;
  while (got < size) {
    ssize_t r = read (fd, buf + got, (size_t) MIN (size - got, (uint64_t) (1u << 30)));
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) {
      int e = errno;
      g_set_error (error, MEGA_ERROR, MEGA_ERROR_IO, "%s: read failed after %" G_GUINT64_FORMAT
          " of %" G_GUINT64_FORMAT " bytes: %s", path, got, size, r < 0 ? g_strerror (e) : "end of file");
      g_free (buf);
      close (fd);
      return NULL;
    }
    got += (uint64_t) r;
  }
  close (fd);
  *size_out = size;
  return buf;
}

char *
mega_shape_string (const uint64_t *shape, int ndim)
{
  GString *s = g_string_new ("[");
  for (int i = 0; i < ndim; i++)
    g_string_append_printf (s, "%s%" G_GUINT64_FORMAT, i ? ", " : "", shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

/* A JSON integer >= 0, or FALSE. */
static gboolean
node_get_uint (JsonNode *node, uint64_t *out)
{
  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  gint64 v = json_node_get_int (node);
  if (v < 0)
    return FALSE;
  *out = (uint64_t) v;
  return TRUE;
}

static gboolean
parse_tensor (MegaSafetensors *st, MegaStTensor *t, const char *name, JsonNode *node,
    const char *path, GError **error)
{
  t->name = g_strdup (name);
  if (JSON_NODE_TYPE (node) != JSON_NODE_OBJECT) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: tensor '%s' is not a JSON object",
        path, name);
    return FALSE;
  }
  JsonObject *o = json_node_get_object (node);
  JsonNode *dt = json_object_get_member (o, "dtype");
  if (dt == NULL || json_node_get_value_type (dt) != G_TYPE_STRING) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: tensor '%s' has no dtype string",
        path, name);
    return FALSE;
  }
  const char *dtype = json_node_get_string (dt);
  if (strcmp (dtype, "F32") != 0) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: tensor '%s' has dtype %s, expected F32",
        path, name, dtype);
    return FALSE;
  }
  JsonNode *sh = json_object_get_member (o, "shape");
  if (sh == NULL || JSON_NODE_TYPE (sh) != JSON_NODE_ARRAY) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: tensor '%s' has no shape array",
        path, name);
    return FALSE;
  }
  JsonArray *sa = json_node_get_array (sh);
  guint nd = json_array_get_length (sa);
  if (nd > MEGA_ST_MAX_DIMS) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: tensor '%s' has %u dimensions "
        "(at most %d)", path, name, nd, MEGA_ST_MAX_DIMS);
    return FALSE;
  }
  t->ndim = (int) nd;
  t->n_elements = 1;
  for (guint i = 0; i < nd; i++) {
    if (!node_get_uint (json_array_get_element (sa, i), &t->shape[i])) {
      g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: tensor '%s' shape entry %u is not "
          "a non-negative integer", path, name, i);
      return FALSE;
    }
    if (!g_uint64_checked_mul (&t->n_elements, t->n_elements, t->shape[i])) {
      g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: tensor '%s' shape overflows",
          path, name);
      return FALSE;
    }
  }
  JsonNode *of = json_object_get_member (o, "data_offsets");
  JsonArray *oa = of && JSON_NODE_TYPE (of) == JSON_NODE_ARRAY ? json_node_get_array (of) : NULL;
  if (oa == NULL || json_array_get_length (oa) != 2
      || !node_get_uint (json_array_get_element (oa, 0), &t->begin)
      || !node_get_uint (json_array_get_element (oa, 1), &t->end)) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: tensor '%s' data_offsets is not "
        "[begin, end] of non-negative integers", path, name);
    return FALSE;
  }
  if (t->begin > t->end || t->end > st->data_size) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: tensor '%s' data_offsets [%"
        G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "] lie outside the data area of %"
        G_GUINT64_FORMAT " bytes", path, name, t->begin, t->end, st->data_size);
    return FALSE;
  }
  uint64_t bytes;
  if (!g_uint64_checked_mul (&bytes, t->n_elements, 4) || bytes != t->end - t->begin) {
    char *s = mega_shape_string (t->shape, t->ndim);
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: tensor '%s' has %" G_GUINT64_FORMAT
        " data bytes, but shape %s of F32 needs %" G_GUINT64_FORMAT, path, name,
        t->end - t->begin, s, t->n_elements * 4);
    g_free (s);
    return FALSE;
  }
  return TRUE;
}

static gboolean
parse_metadata (MegaSafetensors *st, JsonNode *node, const char *path, GError **error)
{
  if (JSON_NODE_TYPE (node) != JSON_NODE_OBJECT) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: __metadata__ is not a JSON object",
        path);
    return FALSE;
  }
  JsonObject *o = json_node_get_object (node);
  GList *keys = json_object_get_members (o);
  gboolean ok = TRUE;
  for (GList *l = keys; l != NULL && ok; l = l->next) {
    JsonNode *v = json_object_get_member (o, l->data);
    if (JSON_NODE_TYPE (v) != JSON_NODE_VALUE || json_node_get_value_type (v) != G_TYPE_STRING) {
      g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: __metadata__ value '%s' is not a "
          "string", path, (const char *) l->data);
      ok = FALSE;
    } else {
      g_hash_table_replace (st->metadata, g_strdup (l->data), g_strdup (json_node_get_string (v)));
    }
  }
  g_list_free (keys);
  return ok;
}

static int
compare_begin (const void *a, const void *b)
{
  const MegaStTensor *x = a, *y = b;
  if (x->begin != y->begin)
    return x->begin < y->begin ? -1 : 1;
  return x->end < y->end ? -1 : x->end > y->end;
}

static gboolean
parse_header (MegaSafetensors *st, const char *json, gsize len, const char *path, GError **error)
{
  if (!g_utf8_validate (json, (gssize) len, NULL)) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: header is not valid UTF-8", path);
    return FALSE;
  }
  JsonParser *parser = json_parser_new ();
  GError *jerr = NULL;
  if (!json_parser_load_from_data (parser, json, (gssize) len, &jerr)) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: header is not valid JSON: %s", path,
        jerr->message);
    g_error_free (jerr);
    g_object_unref (parser);
    return FALSE;
  }
  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || JSON_NODE_TYPE (root) != JSON_NODE_OBJECT) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: header is not a JSON object", path);
    g_object_unref (parser);
    return FALSE;
  }
  JsonObject *obj = json_node_get_object (root);
  GList *names = json_object_get_members (obj);
  guint n = g_list_length (names);
  st->tensors = g_new0 (MegaStTensor, n);
  gboolean ok = TRUE;
  for (GList *l = names; l != NULL && ok; l = l->next) {
    const char *name = l->data;
    JsonNode *node = json_object_get_member (obj, name);
    if (strcmp (name, "__metadata__") == 0)
      ok = parse_metadata (st, node, path, error);
    else
      ok = parse_tensor (st, &st->tensors[st->n_tensors++], name, node, path, error);
  }
  g_list_free (names);
  g_object_unref (parser);
  if (!ok)
    return FALSE;

  /* a header without tensors has no table at all: qsort must not see its NULL */
  if (st->n_tensors > 1)
    qsort (st->tensors, st->n_tensors, sizeof (MegaStTensor), compare_begin);
  /* sorted by begin, a tensor overlaps an earlier one iff it starts before the furthest end
   * seen so far; empty tensors take no bytes and overlap nothing */
  const MegaStTensor *reach = NULL;
  for (size_t i = 0; i < st->n_tensors; i++) {
    const MegaStTensor *t = &st->tensors[i];
    if (t->begin == t->end)
      continue;
    if (reach != NULL && t->begin < reach->end) {
      g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: tensors '%s' and '%s' overlap",
          path, reach->name, t->name);
      return FALSE;
    }
    if (reach == NULL || t->end > reach->end)
      reach = t;
  }
  for (size_t i = 0; i < st->n_tensors; i++)
    g_hash_table_insert (st->by_name, st->tensors[i].name, &st->tensors[i]);
  return TRUE;
}

MegaSafetensors *
mega_safetensors_open (const char *path, GError **error)
{
  uint64_t size = 0;
  guint8 *file = read_whole_file (path, &size, error);
  if (file == NULL)
    return NULL;

  MegaSafetensors *st = g_new0 (MegaSafetensors, 1);
  st->file = file;
  st->file_size = size;
  st->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  st->by_name = g_hash_table_new (g_str_hash, g_str_equal);

  if (size < 8) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_IO, "%s: file is %" G_GUINT64_FORMAT
        " bytes, too short for the 8-byte header size", path, size);
    goto fail;
  }
  uint64_t hsize = 0;
  for (int i = 7; i >= 0; i--)
    hsize = (hsize << 8) | file[i];
  if (hsize > size - 8) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_IO, "%s: header size %" G_GUINT64_FORMAT
        " exceeds file size %" G_GUINT64_FORMAT, path, hsize, size);
    goto fail;
  }
  if (hsize > MAX_HEADER_SIZE) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: header size %" G_GUINT64_FORMAT
        " is larger than the %u bytes allowed", path, hsize, MAX_HEADER_SIZE);
    goto fail;
  }
  st->data = file + 8 + hsize;
  st->data_size = size - 8 - hsize;
  if (!parse_header (st, (const char *) file + 8, (gsize) hsize, path, error))
    goto fail;
  return st;

fail:
  mega_safetensors_free (st);
  return NULL;
}

void
mega_safetensors_free (MegaSafetensors *st)
{
  if (st == NULL)
    return;
  for (size_t i = 0; i < st->n_tensors; i++)
    g_free (st->tensors[i].name);
  g_free (st->tensors);
  g_hash_table_destroy (st->metadata);
  g_hash_table_destroy (st->by_name);
  g_free (st->file);
  g_free (st);
}

const MegaStTensor *
mega_safetensors_find (const MegaSafetensors *st, const char *name)
{
  return g_hash_table_lookup (st->by_name, name);
}

void
mega_safetensors_copy (const MegaSafetensors *st, const MegaStTensor *t, float *dst)
{
  const guint8 *src = st->data + t->begin;
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  memcpy (dst, src, (size_t) t->n_elements * 4);
#else
  for (uint64_t i = 0; i < t->n_elements; i++) {
    guint32 u = GUINT32_FROM_LE (*(const guint32 *) (src + 4 * i));
    memcpy (dst + i, &u, 4);
  }
#endif
}
