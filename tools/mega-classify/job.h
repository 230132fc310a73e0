/* One input of mega-classify: its pipeline run and what the element reported about it. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* What every job shares: the element's settings, read-only while jobs run. */
typedef struct {
  gchar *model;              /* NULL: the element's default model */
  gboolean set_threshold;
  gdouble threshold;
  gboolean set_smoothing;
  guint64 smoothing_ns;
  gboolean set_suppression;
  guint64 suppression_ns;
  gboolean set_minimum_count;
  guint minimum_count;
  gboolean set_end_padding;
  guint64 end_padding_ns;
  guint top_k;               /* 0: the element's default */
  guint64 interval_ns;       /* > 0 only for --plot: record posteriors */
  gchar **labels;            /* the model's labels, in class order */
} McSettings;

typedef struct {
  gchar *label;
  gint class_index;
  gdouble confidence;
  GstClockTime start;        /* keyword span, ns from the start of the file */
  GstClockTime end;
  GstClockTime time;         /* when the decision was made: end of the smoothing window */
} McDetection;

typedef struct {
  gchar *label;
  gdouble score;
} McScore;

/* Posteriors at one instant, one score per model label (class order). */
typedef struct {
  GstClockTime time;
  gdouble *scores;
} McPosteriors;

typedef struct {
  /* input */
  gchar *arg;                /* as given on the command line */
  gchar *display;            /* arg, valid UTF-8 for output */
  gchar *uri;                /* what uridecodebin played; NULL when never started */
  guint index;               /* place in the list of inputs (the manifest's line) */

  /* results, written by the job's worker thread before `done` is set */
  gchar *error;              /* NULL when the input was classified */
  GArray *detections;        /* McDetection */
  gboolean have_summary;
  gchar *clip_label;
  gdouble clip_confidence;
  GArray *clip_top_k;        /* McScore, best first */
  GstClockTime duration;     /* audio classified */
  GArray *posteriors;        /* McPosteriors, only when interval_ns > 0 */

  /* progress, read by the main thread while the job runs */
  gint64 position_ns;        /* atomic */
  gint done;                 /* atomic */
} McJob;

McJob *mc_job_new (const gchar *arg);
void mc_job_free (McJob *job);

/* Builds uridecodebin ! audioconvert ! megaclassify ! fakesink for job->arg, runs it to
 * EOS as fast as possible and fills in the results (or job->error). Thread-safe: many
 * jobs may run at once, each in its own thread. */
void mc_job_run (McJob *job, const McSettings *settings);

/* Creates a megaclassify element configured from settings (shared by the jobs and the
 * start-up check). */
GstElement *mc_make_classifier (const McSettings *settings, GError **error);

G_END_DECLS
