/* mega-classify: classify audio files with the megaclassify GStreamer element.
 * Runs up to --jobs pipelines in worker threads; the main thread prints results in
 * input order as soon as they are complete and keeps the progress bar. With
 * --output-dir the workers write each result file as soon as their job is done. */
#include "batch.h"
#include "job.h"
#include "locate.h"
#include "options.h"
#include "plot.h"
#include "progress.h"
#include "report.h"
#include "values.h"

#include "manifest.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

typedef struct {
  McJob **jobs;
  guint n_jobs;
  const McSettings *settings;
  McMode mode;
  gboolean to_files;         /* --output-dir: results go to files, not stdout */
  gchar **result_paths;      /* --output-dir: where each job's result goes */
  gchar **write_errors;      /* why a result file could not be written, or NULL */
  gdouble freed_seconds;     /* audio of the jobs already freed (--output-dir) */
  gint *ready;               /* atomic, per job: run and (--output-dir) written; the main
                              * thread may then print or free it */
  gint next;                 /* atomic: index of the next job to start */
  GMutex lock;
  GCond finished;
} Queue;

static gpointer
worker (gpointer data)
{
  Queue *q = data;
  for (;;) {
    guint i = (guint) g_atomic_int_add (&q->next, 1);
    if (i >= q->n_jobs)
      return NULL;
    mc_job_run (q->jobs[i], q->settings);
    if (q->to_files) {
      GError *err = NULL;
      if (!mc_result_write (q->result_paths[i], q->mode, q->jobs[i], &err)) {
        q->write_errors[i] = g_strdup (err->message);
        g_error_free (err);
      }
    }
    g_atomic_int_set (&q->ready[i], 1);
    g_mutex_lock (&q->lock);
    g_cond_signal (&q->finished);
    g_mutex_unlock (&q->lock);
  }
}

/* Loads the model once before any file is touched, so a bad model or a missing plugin is
 * one error (exit 2) rather than one per file. Fills settings->labels. */
static gboolean
check_classifier (McSettings *settings, guint *default_top_k)
{
  GError *err = NULL;
  GstElement *cls = mc_make_classifier (settings, &err);
  if (cls == NULL) {
    fprintf (stderr, "mega-classify: %s\n", err->message);
    g_clear_error (&err);
    return FALSE;
  }
  GstElement *pipeline = gst_pipeline_new (NULL);
  gst_bin_add (GST_BIN (pipeline), cls);
  /* GstBaseTransform loads in start(), i.e. on READY->PAUSED. */
  gboolean ok = gst_element_set_state (pipeline, GST_STATE_PAUSED) != GST_STATE_CHANGE_FAILURE;
  if (ok) {
    GValue labels = G_VALUE_INIT;
    GParamSpec *spec = g_object_class_find_property (G_OBJECT_GET_CLASS (cls), "labels");
    if (spec != NULL) {
      g_value_init (&labels, spec->value_type);
      g_object_get_property (G_OBJECT (cls), "labels", &labels);
      settings->labels = mc_value_get_strings (&labels);
      g_value_unset (&labels);
    }
    g_object_get (cls, "top-k", default_top_k, NULL);
  } else {
    GstBus *bus = gst_element_get_bus (pipeline);
    GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (msg != NULL) {
      gst_message_parse_error (msg, &err, NULL);
      gst_message_unref (msg);
    }
    fprintf (stderr, "mega-classify: cannot load the model%s%s: %s\n",
        settings->model ? " " : "", settings->model ? settings->model : "",
        err ? err->message : "the element refused to start");
    g_clear_error (&err);
    gst_object_unref (bus);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return ok;
}

static gdouble
audio_seconds (const Queue *q)
{
  gint64 total = 0;
  for (guint i = 0; i < q->n_jobs; i++)
    if (q->jobs[i] != NULL)
      total += __atomic_load_n (&q->jobs[i]->position_ns, __ATOMIC_RELAXED);
  return q->freed_seconds + (gdouble) total / GST_SECOND;
}

/* --output-dir: the job's result is on disk; name a failure and let the job go. */
static gboolean
finish_batch_job (Queue *q, guint i)
{
  McJob *job = q->jobs[i];
  gboolean ok = job->error == NULL && q->write_errors[i] == NULL;
  if (job->error != NULL)
    fprintf (stderr, "mega-classify: %s: %s\n", job->display, job->error);
  if (q->write_errors[i] != NULL)
    fprintf (stderr, "mega-classify: %s: cannot write the result: %s\n", job->display,
        q->write_errors[i]);
  q->freed_seconds += (gdouble) __atomic_load_n (&job->position_ns, __ATOMIC_RELAXED) / GST_SECOND;
  mc_job_free (job);
  q->jobs[i] = NULL;
  return ok;
}

static void
print_batch_summary (const McOptions *opts, const McPlan *plan, guint classified, guint failed)
{
  gchar *shard = opts->shard_n > 1 ? g_strdup_printf (" (shard %u/%u)", opts->shard_k, opts->shard_n)
      : g_strdup ("");
  fprintf (stderr, "mega-classify: %u inputs%s: %u classified now, %u done before, %u failed",
      plan->n_inputs, shard, classified, plan->n_done_before, failed + plan->n_failed_before);
  if (plan->n_failed_before > 0)
    fprintf (stderr, " (%u before, not retried: --retry-failed retries them)", plan->n_failed_before);
  fputc ('\n', stderr);
  g_free (shard);
}

/* The posteriors for --plot ask the element for every label; give --clip back the top-k
 * the user asked for. */
static void
trim_top_k (McJob *job, guint k)
{
  while (job->clip_top_k->len > k) {
    guint last = job->clip_top_k->len - 1;
    g_free (g_array_index (job->clip_top_k, McScore, last).label);
    g_array_set_size (job->clip_top_k, last);
  }
}

int
main (int argc, char **argv)
{
  McOptions opts;
  int status = mc_options_parse (&opts, argc, argv);
  if (status >= 0) {
    mc_options_clear (&opts);
    return status;
  }
  if (opts.merge != NULL) {
    status = mc_merge (&opts);
    mc_options_clear (&opts);
    return status;
  }
  gst_init (NULL, NULL);

  if (!mc_ensure_plugin ()) {
    fprintf (stderr, "mega-classify: the GStreamer element 'megaclassify' was not found: install "
        "the plugin or set GST_PLUGIN_PATH=<builddir>/plugin\n");
    mc_options_clear (&opts);
    return MC_EXIT_USAGE;
  }
  guint default_top_k = 0;
  if (!check_classifier (&opts.settings, &default_top_k)) {
    mc_options_clear (&opts);
    return MC_EXIT_USAGE;
  }
  guint wanted_top_k = opts.settings.top_k ? opts.settings.top_k : default_top_k;
  if (opts.plot != NULL) {
    opts.settings.interval_ns = 10 * GST_MSECOND;
    if (opts.settings.labels != NULL)
      opts.settings.top_k = g_strv_length (opts.settings.labels);
  }

  if (opts.output_dir != NULL && g_mkdir_with_parents (opts.output_dir, 0755) != 0) {
    fprintf (stderr, "mega-classify: cannot create --output-dir %s: %s\n", opts.output_dir,
        g_strerror (errno));
    mc_options_clear (&opts);
    return MC_EXIT_USAGE;
  }
  McPlan plan;
  mc_plan_make (&plan, &opts);
  if (plan.mode_conflict) {
    for (guint i = 0; i < plan.jobs->len; i++)
      mc_job_free (g_ptr_array_index (plan.jobs, i));
    mc_plan_clear (&plan);
    mc_options_clear (&opts);
    return MC_EXIT_USAGE;
  }
  Queue q = { 0 };
  q.n_jobs = plan.jobs->len;
  q.jobs = (McJob **) g_ptr_array_free (plan.jobs, FALSE);
  plan.jobs = g_ptr_array_new ();
  q.ready = g_new0 (gint, q.n_jobs);
  q.settings = &opts.settings;
  q.mode = opts.mode;
  q.to_files = plan.result_paths != NULL;
  if (q.to_files) {
    q.result_paths = (gchar **) plan.result_paths->pdata;
    q.write_errors = g_new0 (gchar *, q.n_jobs);
  }
  g_mutex_init (&q.lock);
  g_cond_init (&q.finished);

  guint n_threads = MIN (opts.jobs, q.n_jobs);
  GThread **threads = g_new0 (GThread *, n_threads);
  for (guint t = 0; t < n_threads; t++)
    threads[t] = g_thread_new ("mega-classify-job", worker, &q);

  McProgress *progress = !opts.quiet && isatty (STDERR_FILENO) ? mc_progress_new (q.n_jobs) : NULL;
  McReport *report = NULL;
  if (!q.to_files) {
    report = mc_report_new (opts.mode, opts.format, stdout, opts.inputs, opts.settings.labels);
    mc_report_header (report);
    fflush (stdout);
  }

  guint printed = 0, failed = 0;
  while (printed < q.n_jobs) {
    g_mutex_lock (&q.lock);
    if (!g_atomic_int_get (&q.ready[printed]))
      g_cond_wait_until (&q.finished, &q.lock, g_get_monotonic_time () + 100 * G_TIME_SPAN_MILLISECOND);
    g_mutex_unlock (&q.lock);
    while (printed < q.n_jobs && g_atomic_int_get (&q.ready[printed])) {
      McJob *job = q.jobs[printed];
      if (progress)
        mc_progress_clear (progress);
      if (q.to_files) {
        if (!finish_batch_job (&q, printed))
          failed++;
      } else if (job->error != NULL) {
        fflush (stdout);
        fprintf (stderr, "mega-classify: %s: %s\n", job->display, job->error);
        failed++;
      } else {
        if (opts.plot != NULL)
          trim_top_k (job, wanted_top_k);
        mc_report_job (report, job);
      }
      printed++;
    }
    if (progress)
      mc_progress_update (progress, printed, audio_seconds (&q));
  }
  mc_progress_free (progress);
  for (guint t = 0; t < n_threads; t++)
    g_thread_join (threads[t]);

  if (opts.plot != NULL && q.n_jobs == 1 && q.jobs[0]->error == NULL) {
    GError *err = NULL;
    if (!mc_plot (q.jobs[0], opts.settings.labels, opts.plot, &err)) {
      fprintf (stderr, "mega-classify: --plot %s: %s\n", opts.plot, err->message);
      g_clear_error (&err);
      failed++;
    }
  }

  if (q.to_files && !opts.quiet)
    print_batch_summary (&opts, &plan, q.n_jobs - failed, failed);
  failed += plan.n_failed_before;

  if (report != NULL)
    mc_report_free (report);
  for (guint i = 0; i < q.n_jobs; i++)
    mc_job_free (q.jobs[i]);
  for (guint i = 0; q.write_errors != NULL && i < q.n_jobs; i++)
    g_free (q.write_errors[i]);
  g_free (q.write_errors);
  g_free (q.ready);
  mc_plan_clear (&plan);
  g_free (q.jobs);
  g_free (threads);
  g_mutex_clear (&q.lock);
  g_cond_clear (&q.finished);
  mc_options_clear (&opts);
  return failed ? MC_EXIT_SOME_FAILED : MC_EXIT_OK;
}
