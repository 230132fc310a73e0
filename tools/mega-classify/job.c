/* Runs one input through uridecodebin ! audioconvert ! megaclassify ! fakesink and
 * collects the element's messages. */
#include "job.h"
#include "result_fields.h"
#include "values.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>
#include <unistd.h>

#define MC_APP_NO_AUDIO "mega-classify-no-audio"

McJob *
mc_job_new (const gchar *arg)
{
  McJob *job = g_new0 (McJob, 1);
  job->arg = g_strdup (arg);
  if (g_utf8_validate (arg, -1, NULL))
    job->display = g_strdup (arg);
  else
    job->display = g_filename_display_name (arg);
  job->detections = g_array_new (FALSE, TRUE, sizeof (McDetection));
  job->clip_top_k = g_array_new (FALSE, TRUE, sizeof (McScore));
  job->posteriors = g_array_new (FALSE, TRUE, sizeof (McPosteriors));
  job->duration = GST_CLOCK_TIME_NONE;
  return job;
}

void
mc_job_free (McJob *job)
{
  if (job == NULL)
    return;
  for (guint i = 0; i < job->detections->len; i++)
    g_free (g_array_index (job->detections, McDetection, i).label);
  for (guint i = 0; i < job->clip_top_k->len; i++)
    g_free (g_array_index (job->clip_top_k, McScore, i).label);
  for (guint i = 0; i < job->posteriors->len; i++)
    g_free (g_array_index (job->posteriors, McPosteriors, i).scores);
  g_array_unref (job->detections);
  g_array_unref (job->clip_top_k);
  g_array_unref (job->posteriors);
  g_free (job->clip_label);
  g_free (job->error);
  g_free (job->display);
  g_free (job->uri);
  g_free (job->arg);
  g_free (job);
}

static gboolean
has_property (GstElement *element, const gchar *name)
{
  return g_object_class_find_property (G_OBJECT_GET_CLASS (element), name) != NULL;
}

GstElement *
mc_make_classifier (const McSettings *s, GError **error)
{
  GstElement *cls = gst_element_factory_make ("megaclassify", NULL);
  if (cls == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "the GStreamer element 'megaclassify' was not found (is the plugin installed, "
        "or GST_PLUGIN_PATH set to <builddir>/plugin?)");
    return NULL;
  }
  if (s->model != NULL)
    g_object_set (cls, "model", s->model, NULL);
  if (s->set_threshold)
    g_object_set (cls, "threshold", s->threshold, NULL);
  if (s->set_smoothing)
    g_object_set (cls, "smoothing", s->smoothing_ns, NULL);
  if (s->set_suppression)
    g_object_set (cls, "suppression", s->suppression_ns, NULL);
  if (s->set_minimum_count && has_property (cls, "minimum-count"))
    g_object_set (cls, "minimum-count", s->minimum_count, NULL);
  if (s->set_end_padding)
    g_object_set (cls, "end-padding", s->end_padding_ns, NULL);
  if (s->top_k > 0)
    g_object_set (cls, "top-k", s->top_k, NULL);
  if (has_property (cls, "interval"))
    g_object_set (cls, "interval", s->interval_ns, NULL);
  /* The CLI reads bus messages only: no events or metas to build. */
  if (has_property (cls, "emit-events"))
    g_object_set (cls, "emit-events", FALSE, NULL);
  if (has_property (cls, "attach-meta"))
    g_object_set (cls, "attach-meta", FALSE, NULL);
  return cls;
}

/* The reason a local file cannot be read, checked before GStreamer sees it so the
 * message names the real problem ("No such file or directory") rather than a
 * generic "Resource not found". */
static gchar *
local_file_problem (const gchar *path)
{
  GStatBuf st;
  if (g_stat (path, &st) != 0)
    return g_strdup (g_strerror (errno));
  if (S_ISDIR (st.st_mode))
    return g_strdup ("is a directory");
  if (access (path, R_OK) != 0)
    return g_strdup (g_strerror (errno));
  if (st.st_size == 0)
    return g_strdup ("file is empty");
  return NULL;
}

typedef struct {
  GstElement *pipeline;
  GstElement *convert;
  gboolean linked;           /* streaming threads only */
} Run;

static gboolean
is_raw_audio (GstPad *pad)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  gboolean audio = caps != NULL && gst_caps_get_size (caps) > 0 &&
      g_str_has_prefix (gst_structure_get_name (gst_caps_get_structure (caps, 0)), "audio/x-raw");
  if (caps)
    gst_caps_unref (caps);
  return audio;
}

/* Links the first audio stream to the classifier; other streams (video, a second
 * audio track) go to their own fakesink so they do not stop the pipeline with
 * not-linked. */
static void
on_pad_added (GstElement *decoder, GstPad *pad, Run *run)
{
  if (!run->linked && is_raw_audio (pad)) {
    GstPad *sink = gst_element_get_static_pad (run->convert, "sink");
    if (gst_pad_link (pad, sink) == GST_PAD_LINK_OK)
      run->linked = TRUE;
    gst_object_unref (sink);
    if (run->linked)
      return;
  }
  GstElement *discard = gst_element_factory_make ("fakesink", NULL);
  g_object_set (discard, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (run->pipeline), discard);
  gst_element_sync_state_with_parent (discard);
  GstPad *sink = gst_element_get_static_pad (discard, "sink");
  gst_pad_link (pad, sink);
  gst_object_unref (sink);
}

static void
on_no_more_pads (GstElement *decoder, Run *run)
{
  if (!run->linked)
    gst_element_post_message (run->pipeline, gst_message_new_application (
        GST_OBJECT (run->pipeline), gst_structure_new_empty (MC_APP_NO_AUDIO)));
}

static GstClockTime
get_time (const GstStructure *s, const gchar *field)
{
  GstClockTime t = GST_CLOCK_TIME_NONE;
  if (!gst_structure_get_clock_time (s, field, &t))
    return GST_CLOCK_TIME_NONE;
  return t;
}

static void
take_detection (McJob *job, const GstStructure *s)
{
  MegaDetectionResult r;
  if (!mega_detection_result_from_structure (s, &r))
    return;
  McDetection d = { (gchar *) r.label, r.class_index, r.confidence, r.start, r.end,
      r.timestamp };
  /* Without a keyword estimate, the window that made the decision is the span. */
  if (!GST_CLOCK_TIME_IS_VALID (d.start))
    d.start = r.timestamp;
  if (!GST_CLOCK_TIME_IS_VALID (d.end))
    d.end = GST_CLOCK_TIME_IS_VALID (r.timestamp) && GST_CLOCK_TIME_IS_VALID (r.duration)
        ? r.timestamp + r.duration : r.timestamp;
  g_array_append_val (job->detections, d);  /* d owns the label now */
}

static void
take_summary (McJob *job, const GstStructure *s)
{
  gchar **labels = mc_structure_get_strings (s, "labels");
  GArray *scores = mc_structure_get_doubles (s, "scores");
  guint n = MIN (labels ? g_strv_length (labels) : 0, scores->len);
  for (guint i = 0; i < job->clip_top_k->len; i++)
    g_free (g_array_index (job->clip_top_k, McScore, i).label);
  g_array_set_size (job->clip_top_k, 0);
  for (guint i = 0; i < n; i++) {
    McScore sc = { g_strdup (labels[i]), g_array_index (scores, gdouble, i) };
    g_array_append_val (job->clip_top_k, sc);
  }
  g_free (job->clip_label);
  job->clip_label = g_strdup (gst_structure_get_string (s, "label"));
  if (job->clip_label == NULL && n > 0)
    job->clip_label = g_strdup (labels[0]);
  if (!gst_structure_get_double (s, "confidence", &job->clip_confidence) && n > 0)
    job->clip_confidence = g_array_index (scores, gdouble, 0);
  GstClockTime dur = get_time (s, "duration");
  if (GST_CLOCK_TIME_IS_VALID (dur))
    job->duration = dur;
  job->have_summary = job->clip_label != NULL;
  g_strfreev (labels);
  g_array_unref (scores);
}

static void
take_posteriors (McJob *job, const McSettings *settings, const GstStructure *s)
{
  guint n_classes = settings->labels ? g_strv_length (settings->labels) : 0;
  if (n_classes == 0)
    return;
  gchar **labels = mc_structure_get_strings (s, "labels");
  GArray *scores = mc_structure_get_doubles (s, "scores");
  McPosteriors p = { get_time (s, "timestamp"), g_new0 (gdouble, n_classes) };
  /* Messages list the top-k best first; put each score back at its class index. */
  for (guint i = 0; labels && labels[i] && i < scores->len; i++)
    for (guint c = 0; c < n_classes; c++)
      if (g_strcmp0 (labels[i], settings->labels[c]) == 0)
        p.scores[c] = g_array_index (scores, gdouble, i);
  g_array_append_val (job->posteriors, p);
  g_strfreev (labels);
  g_array_unref (scores);
}

static gchar *
describe_error (GstMessage *msg)
{
  GError *err = NULL;
  gchar *debug = NULL;
  gst_message_parse_error (msg, &err, &debug);
  gchar *text;
  /* decodebin reports a file it cannot decode as a core/stream error with a terse
   * message; say what it means for the user. */
  if (g_error_matches (err, GST_STREAM_ERROR, GST_STREAM_ERROR_TYPE_NOT_FOUND) ||
      g_error_matches (err, GST_STREAM_ERROR, GST_STREAM_ERROR_WRONG_TYPE))
    text = g_strdup_printf ("cannot decode: unknown or corrupt format (%s)", err->message);
  else if (g_error_matches (err, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN))
    text = g_strdup_printf ("cannot decode: %s", err->message);
  else if (err->domain == GST_STREAM_ERROR)
    text = g_strdup_printf ("cannot decode: %s", err->message);
  else
    text = g_strdup (err->message);
  g_clear_error (&err);
  g_free (debug);
  return text;
}

static void
update_position (McJob *job, GstElement *pipeline)
{
  gint64 pos = 0;
  if (gst_element_query_position (pipeline, GST_FORMAT_TIME, &pos) && pos > 0)
    __atomic_store_n (&job->position_ns, pos, __ATOMIC_RELAXED);
}

/* Pops the bus until EOS or an error; returns the error text or NULL. */
static gchar *
wait_for_end (McJob *job, const McSettings *settings, GstElement *pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  gchar *error = NULL;
  gboolean finished = FALSE;
  GstMessageType types = GST_MESSAGE_ERROR | GST_MESSAGE_EOS | GST_MESSAGE_ELEMENT |
      GST_MESSAGE_APPLICATION;
  while (!finished) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 100 * GST_MSECOND, types);
    update_position (job, pipeline);
    if (msg == NULL)
      continue;
    const GstStructure *s = gst_message_get_structure (msg);
    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_ERROR:
        error = describe_error (msg);
        finished = TRUE;
        break;
      case GST_MESSAGE_EOS:
        finished = TRUE;
        break;
      case GST_MESSAGE_APPLICATION:
        if (gst_structure_has_name (s, MC_APP_NO_AUDIO)) {
          error = g_strdup ("cannot decode: no audio stream in it");
          finished = TRUE;
        }
        break;
      case GST_MESSAGE_ELEMENT:
        if (gst_structure_has_name (s, MEGA_DETECTION_NAME))
          take_detection (job, s);
        else if (gst_structure_has_name (s, "megaclassify-summary"))
          take_summary (job, s);
        else if (gst_structure_has_name (s, "megaclassify-posteriors") && settings->interval_ns > 0)
          take_posteriors (job, settings, s);
        break;
      default:
        break;
    }
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
  return error;
}

static gchar *
first_error_on_bus (GstElement *pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  gchar *text = msg ? describe_error (msg) : g_strdup ("the pipeline could not start");
  if (msg)
    gst_message_unref (msg);
  gst_object_unref (bus);
  return text;
}

void
mc_job_run (McJob *job, const McSettings *settings)
{
  GError *err = NULL;
  gchar *uri = NULL;

  /* "a:b.wav" is a valid URI to GStreamer; only "scheme://..." counts as one here. */
  if (gst_uri_is_valid (job->arg) && strstr (job->arg, "://") != NULL) {
    uri = g_strdup (job->arg);
    if (g_str_has_prefix (uri, "file:")) {
      gchar *path = g_filename_from_uri (uri, NULL, NULL);
      job->error = path ? local_file_problem (path) : NULL;
      g_free (path);
    }
  } else {
    job->error = local_file_problem (job->arg);
    if (job->error == NULL) {
      uri = gst_filename_to_uri (job->arg, &err);
      if (uri == NULL) {
        job->error = g_strdup (err->message);
        g_clear_error (&err);
      }
    }
  }
  if (job->error != NULL) {
    g_free (uri);
    goto done;
  }

  Run run = { 0 };
  run.pipeline = gst_pipeline_new (NULL);
  GstElement *decoder = gst_element_factory_make ("uridecodebin", NULL);
  run.convert = gst_element_factory_make ("audioconvert", NULL);
  GstElement *cls = mc_make_classifier (settings, &err);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  if (decoder == NULL || run.convert == NULL || cls == NULL || sink == NULL) {
    job->error = err ? g_strdup (err->message) : g_strdup ("a GStreamer base element is missing");
    g_clear_error (&err);
    g_clear_object (&decoder);
    g_clear_object (&run.convert);
    g_clear_object (&cls);
    g_clear_object (&sink);
    gst_object_unref (run.pipeline);
    g_free (uri);
    goto done;
  }
  g_object_set (decoder, "uri", uri, NULL);
  g_object_set (sink, "sync", FALSE, NULL);
  gst_bin_add_many (GST_BIN (run.pipeline), decoder, run.convert, cls, sink, NULL);
  gst_element_link_many (run.convert, cls, sink, NULL);
  g_signal_connect (decoder, "pad-added", G_CALLBACK (on_pad_added), &run);
  g_signal_connect (decoder, "no-more-pads", G_CALLBACK (on_no_more_pads), &run);

  if (gst_element_set_state (run.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    job->error = first_error_on_bus (run.pipeline);
  else
    job->error = wait_for_end (job, settings, run.pipeline);

  if (job->error == NULL && !GST_CLOCK_TIME_IS_VALID (job->duration)) {
    gint64 pos = 0;
    if (gst_element_query_position (run.pipeline, GST_FORMAT_TIME, &pos))
      job->duration = pos;
  }
  gst_element_set_state (run.pipeline, GST_STATE_NULL);
  gst_object_unref (run.pipeline);
  job->uri = uri;

done:
  if (job->error == NULL && !GST_CLOCK_TIME_IS_VALID (job->duration))
    job->duration = __atomic_load_n (&job->position_ns, __ATOMIC_RELAXED);
  if (GST_CLOCK_TIME_IS_VALID (job->duration))
    __atomic_store_n (&job->position_ns, (gint64) job->duration, __ATOMIC_RELAXED);
  g_atomic_int_set (&job->done, 1);
}
