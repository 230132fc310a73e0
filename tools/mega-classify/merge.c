/* --merge DIR: the result files of a batch as one output, in list order. */
#include "batch.h"
#include "manifest.h"
#include "report.h"

#include <stdio.h>
#include <string.h>

typedef struct {
  guint index;
  gchar *path;
  gchar *input;              /* the manifest's line; NULL when read from the directory */
} Entry;

typedef struct {
  guint printed, failed, missing, bad;
} Counts;

static gint
by_index (gconstpointer a, gconstpointer b)
{
  const Entry *x = a, *y = b;
  if (x->index != y->index)
    return x->index < y->index ? -1 : 1;
  return strcmp (x->path, y->path);
}

static gboolean
is_result_name (const gchar *name)
{
  if (strlen (name) != 64 + 5 || !g_str_has_suffix (name, ".json"))
    return FALSE;
  for (guint i = 0; i < 64; i++)
    if (!g_ascii_isxdigit (name[i]))
      return FALSE;
  return TRUE;
}

/* Every result file of dir with its index (read from the file), sorted by it. */
static GArray *
entries_from_dir (const gchar *dir, Counts *counts, GError **error)
{
  GDir *d = g_dir_open (dir, 0, error);
  if (d == NULL)
    return NULL;
  GArray *entries = g_array_new (FALSE, FALSE, sizeof (Entry));
  const gchar *name;
  while ((name = g_dir_read_name (d)) != NULL) {
    if (!is_result_name (name))
      continue;
    gchar *path = g_build_filename (dir, name, NULL);
    GError *err = NULL;
    McMode mode;
    McJob *job = mc_result_read (path, &mode, &err);
    if (job == NULL) {
      fprintf (stderr, "mega-classify: %s\n", err->message);
      g_error_free (err);
      counts->bad++;
      g_free (path);
      continue;
    }
    Entry e = { job->index, path, NULL };
    g_array_append_val (entries, e);
    mc_job_free (job);
  }
  g_dir_close (d);
  g_array_sort (entries, by_index);
  return entries;
}

static GArray *
entries_from_manifest (const McOptions *opts)
{
  GArray *entries = g_array_new (FALSE, FALSE, sizeof (Entry));
  for (guint i = 0; opts->inputs[i] != NULL; i++) {
    Entry e = { i, mc_result_path (opts->merge, opts->inputs[i]), opts->inputs[i] };
    g_array_append_val (entries, e);
  }
  return entries;
}

/* Reads one entry's result; NULL (counted, named on stderr) when there is none to print. */
static McJob *
read_entry (const Entry *e, const gchar *dir, McMode *mode, Counts *counts)
{
  GError *err = NULL;
  McJob *job = mc_result_read (e->path, mode, &err);
  if (job == NULL) {
    if (e->input != NULL && g_error_matches (err, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
      fprintf (stderr, "mega-classify: %s: no result in %s\n", e->input, dir);
      counts->missing++;
    } else {
      fprintf (stderr, "mega-classify: %s\n", err->message);
      counts->bad++;
    }
    g_error_free (err);
    return NULL;
  }
  if (e->input != NULL) {
    gchar *display = g_utf8_validate (e->input, -1, NULL) ? g_strdup (e->input)
        : g_filename_display_name (e->input);
    gboolean same = g_str_equal (display, job->display);
    g_free (display);
    if (!same) {
      fprintf (stderr, "mega-classify: %s: %s holds the result of '%s'\n", e->input, e->path, job->display);
      counts->bad++;
      mc_job_free (job);
      return NULL;
    }
  }
  if (job->error != NULL) {
    fprintf (stderr, "mega-classify: %s: %s\n", job->display, job->error);
    counts->failed++;
    mc_job_free (job);
    return NULL;
  }
  return job;
}

int
mc_merge (const McOptions *opts)
{
  Counts counts = { 0 };
  GError *err = NULL;
  GArray *entries = opts->manifest ? entries_from_manifest (opts)
      : entries_from_dir (opts->merge, &counts, &err);
  if (entries == NULL) {
    fprintf (stderr, "mega-classify: --merge: %s\n", err->message);
    g_error_free (err);
    return MC_EXIT_USAGE;
  }
  McMode mode = opts->mode;
  gboolean mode_known = opts->set_mode;
  McReport *report = NULL;
  for (guint i = 0; i < entries->len; i++) {
    const Entry *e = &g_array_index (entries, Entry, i);
    McMode written = mode;
    McJob *job = read_entry (e, opts->merge, &written, &counts);
    if (job == NULL)
      continue;
    if (!mode_known) {
      mode = written;
      mode_known = TRUE;
    }
    if (written != mode) {
      fprintf (stderr, "mega-classify: %s: %s has %s results; merge those with %s\n", job->display,
          e->path, written == MC_MODE_CLIP ? "--clip" : "--events",
          written == MC_MODE_CLIP ? "--clip" : "--events");
      counts.bad++;
    } else {
      if (report == NULL) {
        report = mc_report_new (mode, opts->format, stdout, opts->inputs, NULL);
        mc_report_header (report);
      }
      mc_report_job (report, job);
      counts.printed++;
    }
    mc_job_free (job);
  }
  if (report == NULL) {
    report = mc_report_new (mode, opts->format, stdout, opts->inputs, NULL);
    mc_report_header (report);
  }
  fflush (stdout);
  guint problems = counts.failed + counts.missing + counts.bad;
  if (problems > 0 && !opts->quiet)
    fprintf (stderr, "mega-classify: --merge %s: %u results printed, %u failed, %u without a result, "
        "%u unreadable or mismatched\n", opts->merge, counts.printed, counts.failed, counts.missing,
        counts.bad);
  mc_report_free (report);
  for (guint i = 0; i < entries->len; i++)
    g_free (g_array_index (entries, Entry, i).path);
  g_array_unref (entries);
  return problems > 0 ? MC_EXIT_SOME_FAILED : MC_EXIT_OK;
}
