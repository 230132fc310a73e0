#include "batch.h"
#include "manifest.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* What a rerun does with an input whose result file may exist. */
typedef enum { HAVE_NONE, HAVE_RESULT, HAVE_ERROR, HAVE_OTHER_MODE } Have;

static Have
existing_result (const gchar *path, const gchar *input, McMode mode)
{
  GError *err = NULL;
  McMode written = mode;
  McJob *job = mc_result_read (path, &written, &err);
  if (job == NULL) {
    if (!g_error_matches (err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      fprintf (stderr, "mega-classify: %s: %s; classifying it again\n", input, err->message);
    g_clear_error (&err);
    return HAVE_NONE;
  }
  gchar *display = g_utf8_validate (input, -1, NULL) ? g_strdup (input) : g_filename_display_name (input);
  Have have = job->error != NULL ? HAVE_ERROR : HAVE_RESULT;
  if (!g_str_equal (job->display, display)) {
    fprintf (stderr, "mega-classify: %s: %s holds the result of '%s'; classifying it again\n",
        input, path, job->display);
    have = HAVE_NONE;
  } else if (have == HAVE_RESULT && written != mode) {
    have = HAVE_OTHER_MODE;
  }
  g_free (display);
  mc_job_free (job);
  return have;
}

void
mc_plan_make (McPlan *plan, const McOptions *opts)
{
  memset (plan, 0, sizeof *plan);
  plan->jobs = g_ptr_array_new ();
  if (opts->output_dir != NULL)
    plan->result_paths = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; opts->inputs[i] != NULL; i++) {
    if (i % opts->shard_n != opts->shard_k)
      continue;
    plan->n_inputs++;
    gchar *path = NULL;
    if (opts->output_dir != NULL) {
      path = mc_result_path (opts->output_dir, opts->inputs[i]);
      Have have = existing_result (path, opts->inputs[i], opts->mode);
      if (have == HAVE_OTHER_MODE) {
        /* Never overwrite results of the other mode: one directory, one mode. */
        fprintf (stderr, "mega-classify: --output-dir %s holds %s results (%s); give %s or "
            "another directory\n", opts->output_dir, opts->mode == MC_MODE_CLIP ? "--events" : "--clip",
            path, opts->mode == MC_MODE_CLIP ? "--events" : "--clip");
        plan->mode_conflict = TRUE;
        g_free (path);
        return;
      }
      if (have == HAVE_RESULT || (have == HAVE_ERROR && !opts->retry_failed)) {
        if (have == HAVE_RESULT)
          plan->n_done_before++;
        else
          plan->n_failed_before++;
        g_free (path);
        continue;
      }
      g_ptr_array_add (plan->result_paths, path);
    }
    McJob *job = mc_job_new (opts->inputs[i]);
    job->index = i;
    g_ptr_array_add (plan->jobs, job);
  }
}

void
mc_plan_clear (McPlan *plan)
{
  g_ptr_array_free (plan->jobs, TRUE);
  if (plan->result_paths)
    g_ptr_array_free (plan->result_paths, TRUE);
  memset (plan, 0, sizeof *plan);
}
