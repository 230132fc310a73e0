#include "plot.h"
#include "locate.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

/* time,<label 0>,<label 1>,...: one row per posteriors message. */
static gboolean
write_posteriors (const McJob *job, gchar **labels, const gchar *path, GError **error)
{
  GString *csv = g_string_new ("time");
  for (guint c = 0; labels[c]; c++)
    g_string_append_printf (csv, ",%s", labels[c]);
  g_string_append_c (csv, '\n');
  guint n = g_strv_length (labels);
  for (guint i = 0; i < job->posteriors->len; i++) {
    const McPosteriors *p = &g_array_index (job->posteriors, McPosteriors, i);
    g_string_append_printf (csv, "%.4f", (gdouble) p->time / GST_SECOND);
    for (guint c = 0; c < n; c++)
      g_string_append_printf (csv, ",%.6f", p->scores[c]);
    g_string_append_c (csv, '\n');
  }
  gboolean ok = g_file_set_contents (path, csv->str, csv->len, error);
  g_string_free (csv, TRUE);
  return ok;
}

static gboolean
write_detections (const McJob *job, const gchar *path, GError **error)
{
  GString *csv = g_string_new ("start,end,label,confidence,time\n");
  for (guint i = 0; i < job->detections->len; i++) {
    const McDetection *d = &g_array_index (job->detections, McDetection, i);
    g_string_append_printf (csv, "%.4f,%.4f,%s,%.6f,%.4f\n", (gdouble) d->start / GST_SECOND,
        (gdouble) d->end / GST_SECOND, d->label, d->confidence, (gdouble) d->time / GST_SECOND);
  }
  gboolean ok = g_file_set_contents (path, csv->str, csv->len, error);
  g_string_free (csv, TRUE);
  return ok;
}

gboolean
mc_plot (const McJob *job, gchar **labels, const gchar *output_png, GError **error)
{
  if (labels == NULL || job->posteriors->len == 0) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
        "no posteriors were recorded, nothing to plot");
    return FALSE;
  }
  gchar *script = mc_plot_script ();
  if (script == NULL) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "plot_posteriors.py not found");
    return FALSE;
  }
  gchar *dir = g_dir_make_tmp ("mega-classify-XXXXXX", error);
  if (dir == NULL) {
    g_free (script);
    return FALSE;
  }
  gchar *post = g_build_filename (dir, "posteriors.csv", NULL);
  gchar *dets = g_build_filename (dir, "detections.csv", NULL);
  gboolean ok = write_posteriors (job, labels, post, error) && write_detections (job, dets, error);
  if (ok) {
    const gchar *argv[] = { MEGA_PYTHON3, script, "--posteriors", post, "--detections", dets,
      "--title", job->display, "--output", output_png, NULL };
    gchar *err_text = NULL;
    gint status = 0;
    ok = g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL,
        &err_text, &status, error);
    if (ok && !g_spawn_check_wait_status (status, NULL)) {
      g_strstrip (err_text);
      const gchar *last = strrchr (err_text, '\n');
      g_set_error (error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "%s failed: %s", script,
          last ? last + 1 : err_text);
      ok = FALSE;
    }
    g_free (err_text);
  }
  g_unlink (post);
  g_unlink (dets);
  g_rmdir (dir);
  g_free (post);
  g_free (dets);
  g_free (dir);
  g_free (script);
  return ok;
}
