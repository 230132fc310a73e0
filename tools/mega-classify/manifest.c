#include "manifest.h"
#include "report.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

static gchar *
read_stream (FILE *in, GError **error)
{
  GString *text = g_string_new (NULL);
  gchar buf[65536];
  size_t n;
  while ((n = fread (buf, 1, sizeof buf, in)) > 0)
    g_string_append_len (text, buf, n);
  if (ferror (in)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO, "cannot read the manifest from stdin");
    g_string_free (text, TRUE);
    return NULL;
  }
  return g_string_free (text, FALSE);
}

gchar **
mc_manifest_read (const gchar *path, GError **error)
{
  gchar *text = NULL;
  gsize len = 0;
  if (g_str_equal (path, "-")) {
    text = read_stream (stdin, error);
    if (text == NULL)
      return NULL;
    len = strlen (text);
  } else {
    GError *err = NULL;
    if (!g_file_get_contents (path, &text, &len, &err)) {
      g_set_error (error, G_FILE_ERROR, err->code, "cannot read the manifest: %s", err->message);
      g_error_free (err);
      return NULL;
    }
  }
  if (memchr (text, '\0', len) != NULL) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "manifest %s has a NUL byte: it must be text, one path or URI per line", path);
    g_free (text);
    return NULL;
  }
  GPtrArray *lines = g_ptr_array_new ();
  gchar *line = text;
  while (line < text + len) {
    gchar *nl = strchr (line, '\n');
    gchar *end = nl ? nl : text + len;
    if (end > line && end[-1] == '\r')
      end--;
    if (end > line)
      g_ptr_array_add (lines, g_strndup (line, end - line));
    line = nl ? nl + 1 : text + len;
  }
  g_ptr_array_add (lines, NULL);
  g_free (text);
  return (gchar **) g_ptr_array_free (lines, FALSE);
}

gchar *
mc_result_path (const gchar *dir, const gchar *input)
{
  gchar *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, input, -1);
  gchar *name = g_strconcat (hash, ".json", NULL);
  gchar *path = g_build_filename (dir, name, NULL);
  g_free (name);
  g_free (hash);
  return path;
}

gboolean
mc_result_write (const gchar *path, McMode mode, const McJob *job, GError **error)
{
  gchar *line = mc_report_result_json (mode, job);
  /* CONSISTENT: written to path.XXXXXX and renamed over path, so a reader (or a rerun
   * after SIGKILL) sees the whole file or none. ONLY_EXISTING: no fsync for new files; a
   * file left truncated by a power cut is not valid JSON and is redone. */
  gboolean ok = g_file_set_contents_full (path, line, -1,
      G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_ONLY_EXISTING, 0644, error);
  g_free (line);
  return ok;
}

static GstClockTime
get_seconds (JsonObject *o, const gchar *member)
{
  JsonNode *n = json_object_get_member (o, member);
  if (n == NULL || JSON_NODE_TYPE (n) != JSON_NODE_VALUE)
    return GST_CLOCK_TIME_NONE;
  gdouble s = json_node_get_double (n);
  return s >= 0 ? (GstClockTime) (s * GST_SECOND + 0.5) : GST_CLOCK_TIME_NONE;
}

static const gchar *
get_string (JsonObject *o, const gchar *member)
{
  JsonNode *n = json_object_get_member (o, member);
  if (n == NULL || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static void
read_detections (McJob *job, JsonArray *list)
{
  for (guint i = 0; i < json_array_get_length (list); i++) {
    JsonObject *o = json_array_get_object_element (list, i);
    if (o == NULL)
      continue;
    McDetection d = { 0 };
    d.label = g_strdup (get_string (o, "label"));
    d.class_index = (gint) json_object_get_int_member_with_default (o, "class_index", -1);
    d.confidence = json_object_get_double_member_with_default (o, "confidence", 0);
    d.start = get_seconds (o, "start");
    d.end = get_seconds (o, "end");
    d.time = get_seconds (o, "time");
    g_array_append_val (job->detections, d);
  }
}

static void
read_clip (McJob *job, JsonObject *o)
{
  job->clip_label = g_strdup (get_string (o, "label"));
  job->have_summary = job->clip_label != NULL;
  job->clip_confidence = json_object_get_double_member_with_default (o, "confidence", 0);
  JsonArray *top = json_object_get_array_member (o, "top_k");
  for (guint i = 0; i < json_array_get_length (top); i++) {
    JsonObject *t = json_array_get_object_element (top, i);
    if (t == NULL)
      continue;
    McScore s = { g_strdup (get_string (t, "label")),
      json_object_get_double_member_with_default (t, "score", 0) };
    g_array_append_val (job->clip_top_k, s);
  }
}

McJob *
mc_result_read (const gchar *path, McMode *mode, GError **error)
{
  gchar *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  JsonParser *parser = json_parser_new ();
  GError *err = NULL;
  McJob *job = NULL;
  if (!json_parser_load_from_data (parser, text, -1, &err)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: not valid JSON: %s", path, err->message);
    g_error_free (err);
    goto out;
  }
  JsonNode *root = json_parser_get_root (parser);
  JsonObject *o = root && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  const gchar *file = o ? get_string (o, "file") : NULL;
  gboolean is_error = o && get_string (o, "error") != NULL;
  gboolean is_events = o && json_object_has_member (o, "detections") &&
      JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "detections"));
  gboolean is_clip = o && json_object_has_member (o, "top_k") &&
      JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "top_k"));
  if (file == NULL || !json_object_has_member (o, "index") || !(is_error || is_events || is_clip)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "%s: not a mega-classify result (no \"file\", \"index\" and results or \"error\")", path);
    goto out;
  }
  job = mc_job_new (file);
  job->uri = g_strdup (get_string (o, "uri"));
  job->index = (guint) json_object_get_int_member (o, "index");
  if (is_error) {
    job->error = g_strdup (get_string (o, "error"));
  } else {
    job->duration = get_seconds (o, "duration");
    if (is_events)
      read_detections (job, json_object_get_array_member (o, "detections"));
    else
      read_clip (job, o);
    *mode = is_events ? MC_MODE_EVENTS : MC_MODE_CLIP;
  }
out:
  g_object_unref (parser);
  g_free (text);
  return job;
}
