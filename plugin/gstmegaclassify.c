/* megaclassify: a pass-through GstAudioFilter that classifies the audio flowing through it
 * with a streaming Mega model (model/mega.h) and reports keyword detections. What is computed
 * from the logits is plugin/analyzer.c's; this file feeds it and turns its sample positions
 * into times, messages, events and meta. */

/**
 * SECTION:element-megaclassify
 * @title: megaclassify
 * @short_description: streaming keyword spotting / audio classification with a Mega network
 *
 * megaclassify analyses raw audio in place and lets it through untouched (bit-identical, no
 * copy). Any rate up to 1 MHz and any channel count is accepted: internally the channels are
 * averaged to mono, non-finite samples (NaN, Inf) are replaced by 0 and the audio is resampled
 * to the model's rate. The model runs one frame every frame-shift (10 ms for the shipped model)
 * and gives per-frame posteriors (softmax of the logits).
 *
 * ## Detection rule
 *
 * The posteriors are averaged over the last #GstMegaClassify:smoothing of frames (the
 * "window"). On each frame, the non-background label with the highest mean is a detection when
 * its mean is at least #GstMegaClassify:threshold, the window holds at least
 * min(#GstMegaClassify:minimum-count, window) frames, and the label differs from the last
 * detected one or #GstMegaClassify:suppression has passed since that detection. Labels whose
 * name starts with '_' (`_silence_`, `_unknown_`) are background and never detected.
 *
 * ## Time fields
 *
 * All times are guint64 nanoseconds. Frame f (counted from the last reset) covers model samples
 * [f * shift, f * shift + frame_length). Times are the PTS of the first buffer after the last
 * reset plus a sample counter at the model rate (no drift). `stream-time` and `running-time` are
 * `timestamp` converted with the current TIME segment; a result whose time lies outside the
 * segment is not reported. A reset happens on the first buffer, on a DISCONT buffer, on
 * FLUSH_STOP and on a caps change: the model state, the resampler and the smoothing window
 * restart, as for a new stream.
 *
 * ## GAPs
 *
 * GAP events and GAP buffers count as silence. Silence brings the model's state to a fixed
 * point within its memory (the slowest EMA decay plus the attention window per layer, the
 * causal feature normalisation, the smoothing window: a few seconds for the shipped model), so
 * past that the frames of a long GAP are counted but not computed: results, frame counts and
 * timestamps after the GAP are those of running it through the model (within float rounding),
 * and a day-long GAP costs milliseconds of CPU. `megaclassify-posteriors` messages are not
 * posted for the skipped frames (they would all be the same).
 *
 * ## Detections: message, event and meta
 *
 * Each detection is one #GstStructure named `megaclassify` (fields in this order; the list
 * follows the table in plugin/result_fields.c, which tests/plugin/test_result_fields.c checks):
 *
 * * `label` (string): the detected label.
 * * `class-index` (int): its index in #GstMegaClassify:labels.
 * * `confidence` (double, 0..1): its mean posterior over the window.
 * * `timestamp` (guint64): end of the frame on which the decision was made (buffer time).
 * * `stream-time`, `running-time` (guint64): `timestamp` in stream and running time.
 * * `duration` (guint64): length of the audio the window covered; the window is
 *   [`timestamp` - `duration`, `timestamp`).
 * * `start`, `end` (guint64, buffer time like `timestamp`): estimated span of the keyword: the
 *   start of the first and the end of the last window frame where the label's own posterior
 *   reached half the threshold.
 *
 * It is delivered three ways:
 *
 * 1. as an element message (when #GstMegaClassify:post-messages is TRUE), posted as soon as
 *    it is computed;
 * 2. as a serialized %GST_EVENT_CUSTOM_DOWNSTREAM event with the same structure (when
 *    #GstMegaClassify:emit-events is TRUE), pushed right after the buffer in which the
 *    detection was computed (the one that completed its frame, or, when frames are batched,
 *    see below, a later one), i.e. before the next buffer, GAP, SEGMENT, CAPS or EOS;
 * 3. as a #GstCustomMeta registered as `MegaClassifyMeta` (no tags, so audioconvert and
 *    audioresample keep it) on the buffer in which the detection happened, its structure holding
 *    the same fields (when #GstMegaClassify:attach-meta is TRUE; buffers are then made writable
 *    by a shallow copy). A buffer holds one meta per detection: iterate with
 *    gst_buffer_iterate_meta() and gst_custom_meta_has_name(). Detections made while draining
 *    at EOS or during a GAP event have no buffer and carry no meta.
 *
 * ## Posteriors: `megaclassify-posteriors`
 *
 * With #GstMegaClassify:interval > 0, an element message is posted on the first frame whose end
 * passes each multiple of the interval (counted from the last reset). Fields:
 *
 * * `timestamp`, `stream-time`, `running-time`, `duration` (guint64): as for a detection.
 * * `labels` (#GstValueArray of strings): the #GstMegaClassify:top-k labels of the window mean,
 *   best first (background labels included).
 * * `scores` (#GstValueArray of doubles): their mean posteriors.
 * * `label` (string), `class-index` (int), `confidence` (double): the best of them.
 *
 * ## Summary at EOS: `megaclassify-summary`
 *
 * Before EOS goes downstream the element drains its resampler, runs
 * #GstMegaClassify:end-padding of digital silence through the model (250 ms by default: the
 * model decides on a word up to about 250 ms after the word ends, so without it a clip that
 * stops right after its word, as 1-s keyword clips do, would end before the decision) and
 * posts one element message with the clip-level result, for classifying short clips and whole
 * files. Detections made in the padding are reported with their window clipped to the end of
 * the audio (`timestamp` and `end` are at most the audio's end). Each label's clip
 * score is its peak smoothed posterior (the window mean the detections use) over every frame
 * since the element started or the last FLUSH_STOP (resets inside the stream do not clear it),
 * counting frames where the window holds at least #GstMegaClassify:minimum-count frames. The
 * clip's class is the best non-background label whose score reaches #GstMegaClassify:threshold;
 * else the best background label other than `_silence_` that reaches it; else `_silence_`.
 * (A mean over the clip would let the silence around a single word outvote it.) The frames are
 * exactly those mega_model_forward_audio() gives for the audio followed by the end-padding's
 * zeros (at the model's rate), and at least one frame: audio shorter than that is zero-padded
 * to one frame. Fields:
 *
 * * `label`, `class-index`, `confidence`: the clip's class and its score.
 * * `labels`, `scores` (#GstValueArray): the top-k labels, the clip's class first, then the
 *   others by descending score.
 * * `frames` (guint64): number of frames the peaks were taken over (the end-padding's included).
 * * `timestamp` (guint64): buffer time of the first sample analysed.
 * * `duration` (guint64): duration of the audio analysed (the end-padding not included).
 *
 * No message is ever posted from an empty window, and no field is ever NaN.
 *
 * ## Batching
 *
 * The model runs on several frames at once, as matrix products, which costs less per frame
 * the more frames there are. When upstream is live (its answer to the latency query), or
 * #GstMegaClassify:batch-frames is 1, each buffer's frames run as soon as the buffer arrives,
 * so no result is held back. When it is not live (a file), frames are collected across
 * buffers and run 64 at a time (#GstMegaClassify:batch-frames: 640 ms with the shipped
 * model): the results are the same (timestamps exact, scores within float rounding) but are
 * computed, posted and sent up to that much audio later in the stream. The frames held back
 * run before EOS (before the end-padding and the summary), a GAP, a DISCONT buffer, a caps
 * change and any other serialized event, so results still come before the event that follows
 * their audio and are timed with their own segment; FLUSH_STOP and a stop drop them with the
 * rest of the data in flight. With #GstMegaClassify:attach-meta every buffer's frames run
 * before the buffer leaves, so a detection's meta is on its own buffer. Set batch-frames to 1
 * for prompt results from a file played in real time (sync=true).
 *
 * ## Example pipelines
 * |[
 * gst-launch-1.0 -m filesrc location=speech.wav ! decodebin ! audioconvert ! megaclassify ! fakesink
 * gst-launch-1.0 -m autoaudiosrc ! queue ! megaclassify threshold=0.7 ! autoaudiosink
 * gst-launch-1.0 -m filesrc location=clip.wav ! decodebin ! megaclassify interval=100000000 top-k=5 ! fakesink
 * ]|
 * The model defaults to the installed default model; the environment variable
 * `MEGA_MODEL_PATH` overrides that default.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmegaclassify.h"

#include "analyzer.h"
#include "mega.h"
#include "megaclassify-defaults.h"
#include "monoinput.h"
#include "result_fields.h"
#include "results.h"

GST_DEBUG_CATEGORY_STATIC (mega_classify_debug);
#define GST_CAT_DEFAULT mega_classify_debug

enum {
  PROP_0,
  PROP_MODEL,
  PROP_LABELS,
  PROP_THRESHOLD,
  PROP_SMOOTHING,
  PROP_SUPPRESSION,
  PROP_MINIMUM_COUNT,
  PROP_INTERVAL,
  PROP_TOP_K,
  PROP_POST_MESSAGES,
  PROP_EMIT_EVENTS,
  PROP_ATTACH_META,
  PROP_END_PADDING,
  PROP_BATCH_FRAMES,
};

/* Properties the streaming thread reads; copied under the object lock once per buffer. */
typedef struct {
  gdouble threshold;
  guint64 smoothing, suppression, interval, end_padding;
  guint minimum_count, top_k, batch_frames;
  gboolean post_messages, emit_events, attach_meta;
} Settings;

struct _GstMegaClassify {
  GstAudioFilter parent;

  /* Under the object lock. */
  gchar *model_path;
  Settings props;
  MegaModel *model;          /* the model loaded for loaded_path (latest published) */
  gchar *loaded_path;
  MegaModel *running_model;  /* the model the stream runs on (start to stop); not freed while
                              * set, even when a newer one is published */

  /* Streaming thread only (and start/stop while no data flows). */
  Settings snap;
  MegaStream *stream;
  guint batch;               /* the stream's batch_frames (1: each buffer's frames at once) */
  MegaAnalyzer *analyzer;
  MegaMonoInput *input;
  GstAudioInfo input_info;
  int rate, shift, frame_length, n_labels, window;   /* window: the attention window */
  const char *const *labels;
  gboolean started;          /* base_pts is set (false until the first buffer after a reset) */
  GstClockTime base_pts;
  guint64 pushed;            /* model samples given to the stream since reset */
  guint64 summary_samples;   /* audio (not end-padding) in the summary, at the model rate */
  GstClockTime summary_ts;
  guint64 nonfinite_samples;
  guint64 settle_frames;     /* mega_model_settle_frames (0: the model never forgets) */
  guint64 silent_in;         /* input frames of GAP silence fed since the last audio or reset */
  GQueue pending_events;     /* detection events waiting for the next serialized item */
  GstBuffer *current;        /* the buffer being analysed, for meta */
};

#define CAPS_STR "audio/x-raw, format = (string) { F32LE, S16LE, S32LE, F64LE }, " \
  "layout = (string) interleaved, rate = (int) [ 1, " G_STRINGIFY (MEGACLASSIFY_MAX_RATE) " ], " \
  "channels = (int) [ 1, MAX ]"

G_DEFINE_TYPE (GstMegaClassify, gst_mega_classify, GST_TYPE_AUDIO_FILTER);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (megaclassify, "megaclassify", GST_RANK_NONE,
    GST_TYPE_MEGA_CLASSIFY, mega_result_register_meta ());

/* ---- model ---- */

static gchar *
default_model_path (void)
{
  const gchar *env = g_getenv ("MEGA_MODEL_PATH");
  if (env && *env)
    return g_strdup (env);
  /* Uninstalled use: the checkout's model when nothing is installed. */
  if (!g_file_test (MEGA_DEFAULT_MODEL, G_FILE_TEST_EXISTS)
      && g_file_test (MEGA_SOURCE_MODEL, G_FILE_TEST_EXISTS))
    return g_strdup (MEGA_SOURCE_MODEL);
  return g_strdup (MEGA_DEFAULT_MODEL);
}

/* Under the object lock: a model for the current path is published. */
static gboolean
model_current_locked (GstMegaClassify *self)
{
  return self->model && g_strcmp0 (self->loaded_path, self->model_path) == 0;
}

/* Replaces the published model; one a stream still runs on is freed by stop() instead. */
static void
publish_model_locked (GstMegaClassify *self, MegaModel *model, const gchar *path)
{
  if (self->model != self->running_model)
    g_clear_pointer (&self->model, mega_model_free);
  g_free (self->loaded_path);
  self->model = model;
  self->loaded_path = g_strdup (path);
}

/* Makes self->model match self->model_path. Reading the file, parsing it and planning the FFT
 * take a while (longer on a network file system), so they run without the object lock, which
 * every property access takes; only the result is published under it. When the path changed
 * or another thread published the same model meanwhile, the result is dropped. On success
 * *path_out (if given) is the path loaded. Call without the object lock. */
static gboolean
ensure_model (GstMegaClassify *self, gchar **path_out, GError **error)
{
  GST_OBJECT_LOCK (self);
  gboolean current = model_current_locked (self);
  gchar *path = g_strdup (self->model_path);
  GST_OBJECT_UNLOCK (self);
  if (path_out)
    *path_out = g_strdup (path);
  if (current) {
    g_free (path);
    return TRUE;
  }
  if (!path || !*path) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_INVALID, "no model file set (property 'model')");
    g_free (path);
    return FALSE;
  }
  MegaModel *model = mega_model_load (path, error);
  if (!model) {
    g_free (path);
    return FALSE;
  }
  GST_OBJECT_LOCK (self);
  gboolean still_wanted = g_strcmp0 (path, self->model_path) == 0;
  if (still_wanted && !model_current_locked (self)) {
    publish_model_locked (self, model, path);
    model = NULL;
  }
  GST_OBJECT_UNLOCK (self);
  g_clear_pointer (&model, mega_model_free);
  g_free (path);
  if (!still_wanted) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_INVALID, "the model path changed while loading");
    return FALSE;
  }
  return TRUE;
}

/* ---- streaming state ---- */

static guint64
frames_for (GstMegaClassify *self, guint64 ns)
{
  return gst_util_uint64_scale_round (ns, self->rate, (guint64) self->shift * GST_SECOND);
}

static GstClockTime
sample_time (GstMegaClassify *self, guint64 sample)
{
  return self->base_pts + gst_util_uint64_scale_int (sample, GST_SECOND, self->rate);
}

static void
take_snapshot (GstMegaClassify *self)
{
  GST_OBJECT_LOCK (self);
  self->snap = self->props;
  GST_OBJECT_UNLOCK (self);
  MegaAnalyzerParams params = {
    .threshold = self->snap.threshold,
    .smoothing_frames = (guint) MAX (frames_for (self, self->snap.smoothing), 1),
    .suppression_frames = frames_for (self, self->snap.suppression),
    .minimum_count = self->snap.minimum_count,
    .interval_ns = self->snap.interval,
  };
  mega_analyzer_set_params (self->analyzer, &params);
}

static void
drop_pending_events (GstMegaClassify *self)
{
  GstEvent *ev;
  while ((ev = g_queue_pop_head (&self->pending_events)))
    gst_event_unref (ev);
}

static void
push_pending_events (GstMegaClassify *self)
{
  GstEvent *ev;
  while ((ev = g_queue_pop_head (&self->pending_events)))
    gst_pad_push_event (GST_BASE_TRANSFORM_SRC_PAD (self), ev);
}

/* Back to the state of a fresh stream; the next buffer's PTS becomes the time base. */
static void
reset_stream (GstMegaClassify *self)
{
  if (self->stream)
    mega_stream_reset (self->stream);
  if (self->analyzer)
    mega_analyzer_reset (self->analyzer);
  if (self->input)
    mega_mono_input_reset (self->input);
  self->started = FALSE;
  self->pushed = 0;
  self->silent_in = 0;
}

static void
reset_summary (GstMegaClassify *self)
{
  if (self->analyzer)
    mega_analyzer_reset_summary (self->analyzer);
  self->summary_samples = 0;
  self->summary_ts = GST_CLOCK_TIME_NONE;
}

static void
begin_stream (GstMegaClassify *self, GstClockTime pts)
{
  GstSegment *segment = &GST_BASE_TRANSFORM (self)->segment;
  if (GST_CLOCK_TIME_IS_VALID (pts))
    self->base_pts = pts;
  else if (segment->format == GST_FORMAT_TIME && GST_CLOCK_TIME_IS_VALID (segment->start))
    self->base_pts = segment->start;
  else
    self->base_pts = 0;
  if (!GST_CLOCK_TIME_IS_VALID (self->summary_ts))
    self->summary_ts = self->base_pts;
  self->started = TRUE;
}

/* Fills the time fields of a result ending at model sample `end` and spanning `span` samples.
 * FALSE when it lies outside the segment, so it must not be reported. */
static gboolean
result_times (GstMegaClassify *self, guint64 end, guint64 span, MegaResultTimes *t)
{
  GstSegment *segment = &GST_BASE_TRANSFORM (self)->segment;
  t->timestamp = sample_time (self, end);
  t->duration = gst_util_uint64_scale_int (span, GST_SECOND, self->rate);
  if (segment->format != GST_FORMAT_TIME) {
    t->stream_time = t->running_time = t->timestamp;
    return TRUE;
  }
  t->running_time = gst_segment_to_running_time (segment, GST_FORMAT_TIME, t->timestamp);
  t->stream_time = gst_segment_to_stream_time (segment, GST_FORMAT_TIME, t->timestamp);
  return GST_CLOCK_TIME_IS_VALID (t->running_time) && GST_CLOCK_TIME_IS_VALID (t->stream_time);
}

static void
post_structure (GstMegaClassify *self, GstStructure *s)
{
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
}

static void
report_detection (GstMegaClassify *self, const MegaAnalyzerDetection *det)
{
  MegaResultTimes t;
  if (!result_times (self, det->end, det->span, &t)) {
    GST_DEBUG_OBJECT (self, "detection of %s outside the segment, not reported",
        self->labels[det->label]);
    return;
  }
  MegaDetectionResult r = { self->labels[det->label], det->label, det->confidence,
    t.timestamp, t.stream_time, t.running_time, t.duration,
    sample_time (self, det->start), sample_time (self, det->stop) };
  GstStructure *s = mega_detection_result_to_structure (&r);
  GST_INFO_OBJECT (self, "detected %s (%.3f) at %" GST_TIME_FORMAT, self->labels[det->label],
      det->confidence, GST_TIME_ARGS (t.timestamp));

  if (self->snap.attach_meta && self->current) {
    if (gst_buffer_is_writable (self->current))
      mega_result_attach_meta (self->current, s);
    else
      GST_WARNING_OBJECT (self, "buffer not writable, detection meta dropped");
  }
  if (self->snap.emit_events)
    g_queue_push_tail (&self->pending_events,
        gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM, gst_structure_copy (s)));
  if (self->snap.post_messages)
    post_structure (self, s);
  else
    gst_structure_free (s);
}

static void
report_posteriors (GstMegaClassify *self)
{
  guint64 end, span;
  MegaResultTimes t;
  const double *mean = mega_analyzer_window (self->analyzer, &end, &span);
  if (!mean || !result_times (self, end, span, &t))
    return;
  GstStructure *s = mega_result_top_k ("megaclassify-posteriors", self->labels, mean,
      self->n_labels, (int) self->snap.top_k, -1);
  gst_structure_set (s, "timestamp", G_TYPE_UINT64, t.timestamp,
      "stream-time", G_TYPE_UINT64, t.stream_time,
      "running-time", G_TYPE_UINT64, t.running_time,
      "duration", G_TYPE_UINT64, t.duration, NULL);
  post_structure (self, s);
}

static void
handle_frame (GstMegaClassify *self, const float *logits)
{
  MegaAnalyzerFrame f;
  mega_analyzer_push (self->analyzer, logits, &f);
  if (f.nonfinite)
    GST_WARNING_OBJECT (self, "non-finite model output on frame %" G_GUINT64_FORMAT, f.frame);
  if (f.detected)
    report_detection (self, &f.det);
  if (self->snap.post_messages && mega_analyzer_interval_due (self->analyzer))
    report_posteriors (self);
}

static void
on_logits (const float *logits, size_t n_frames, uint64_t first_frame, void *user_data)
{
  GstMegaClassify *self = user_data;
  for (size_t i = 0; i < n_frames; i++)
    handle_frame (self, logits + i * self->n_labels);
}

/* Runs the frames the stream holds back for a batch, so that the analyzer has seen all the
 * audio so far; whatever reads its state, or must come after the results of the audio so far,
 * calls this first. */
static void
flush_frames (GstMegaClassify *self)
{
  if (self->stream)
    mega_stream_flush (self->stream, on_logits, self);
}

static void
on_mono (const float *samples, gsize n, gpointer user_data)
{
  GstMegaClassify *self = user_data;
  self->summary_samples += n;
  self->pushed += n;
  mega_stream_push_audio (self->stream, samples, n, on_logits, self);
}

static void
feed (GstMegaClassify *self, gconstpointer data, gsize n_frames)
{
  guint64 bad = mega_mono_input_push (self->input, data, n_frames, on_mono, self);
  if (bad) {
    self->nonfinite_samples += bad;
    GST_DEBUG_OBJECT (self, "replaced %" G_GUINT64_FORMAT " non-finite samples by 0 (%"
        G_GUINT64_FORMAT " so far)", bad, self->nonfinite_samples);
  }
  if (data)
    self->silent_in = 0;
  else
    self->silent_in += n_frames;
}

/* Input frames of silence after which nothing before them shows in the output: the
 * resampler's filter, the model's memory (mega_model_settle_frames), one analysis window
 * and the smoothing window. 0 when the model never forgets. */
static guint64
silence_horizon (GstMegaClassify *self)
{
  if (self->settle_frames == 0)
    return 0;
  guint64 frames = self->settle_frames + MAX (frames_for (self, self->snap.smoothing), 1)
      + (guint64) (self->frame_length + self->shift - 1) / self->shift;
  return gst_util_uint64_scale_int_ceil (frames * self->shift,
      GST_AUDIO_INFO_RATE (&self->input_info), self->rate)
      + mega_mono_input_settle_frames (self->input);
}

/* Accounts for n_in input frames of settled silence without running them; n_in is a
 * multiple of the skip unit, so resampler phase, frame grid and attention chunk position
 * are the same as if they had been processed. */
static void
skip_silence (GstMegaClassify *self, guint64 n_in, guint64 n_out)
{
  guint64 frames = n_out / self->shift;
  GST_DEBUG_OBJECT (self, "silence past the model's memory: skipping %" G_GUINT64_FORMAT
      " frames", frames);
  mega_mono_input_skip (self->input, n_in);
  mega_stream_skip_frames (self->stream, frames);
  mega_analyzer_skip (self->analyzer, frames);
  self->silent_in += n_in;
  self->summary_samples += n_out;
  self->pushed += n_out;
}

static void
feed_zeros (GstMegaClassify *self, guint64 n_in)
{
  while (n_in > 0) {
    gsize n = (gsize) MIN (n_in, (guint64) G_MAXINT32);
    feed (self, NULL, n);
    n_in -= n;
  }
}

/* A GAP: n_in frames of silence. Silence drives the model's state to a fixed point, so once
 * the state has settled (silence_horizon) the frames that follow would all give the same
 * posteriors; they are counted instead of computed, which bounds a GAP's cost by the model's
 * memory instead of its duration (a day of GAP would otherwise take minutes of CPU). Frames
 * are not skipped while the settled posteriors could fire a detection, so skipping never
 * drops a detection or changes the output beyond float rounding. */
static void
feed_silence (GstMegaClassify *self, guint64 n_in)
{
  guint64 horizon = silence_horizon (self);
  if (horizon == 0) {
    feed_zeros (self, n_in);
    return;
  }
  guint64 settling = self->silent_in < horizon ? MIN (n_in, horizon - self->silent_in) : 0;
  feed_zeros (self, settling);
  n_in -= settling;
  guint64 unit_out, unit_in = mega_mono_input_skip_unit (self->input,
      (guint64) self->shift * self->window, &unit_out);
  guint64 units = n_in / unit_in;
  if (units > 0 && self->silent_in >= horizon) {
    /* the analyzer's state decides, and the skipped frames come after the held-back ones */
    flush_frames (self);
    if (mega_stream_frames (self->stream) > 0 && !mega_analyzer_would_fire (self->analyzer)) {
      skip_silence (self, units * unit_in, units * unit_out);
      n_in -= units * unit_in;
    }
  }
  feed_zeros (self, n_in);
}

/* Zeros straight into the model (after the resampler), outside the summary's duration. */
static void
push_zeros (GstMegaClassify *self, guint64 n)
{
  if (n == 0)
    return;
  float *zeros = g_new0 (float, n);
  mega_stream_push_audio (self->stream, zeros, n, on_logits, self);
  g_free (zeros);
}

/* End of stream: everything still buffered goes through the model, then end-padding of
 * silence (so that a word at the very end reaches its decision), then the summary. */
static void
finish_stream (GstMegaClassify *self)
{
  if (!self->input || !self->started)
    return;
  take_snapshot (self);
  mega_mono_input_drain (self->input, on_mono, self);
  /* the audio's own frames are analysed before the padding begins */
  flush_frames (self);
  guint64 padding = gst_util_uint64_scale_round (self->snap.end_padding, self->rate, GST_SECOND);
  mega_analyzer_set_audio_end (self->analyzer, self->pushed);
  push_zeros (self, padding);
  flush_frames (self);
  MegaAnalyzerSummary sum;
  if (!mega_analyzer_summary (self->analyzer, &sum) && self->summary_samples > 0
      && mega_stream_frames (self->stream) == 0) {
    /* A clip shorter than one frame still gets one (zero-padded) frame. */
    guint64 have = self->pushed + padding;
    push_zeros (self, self->frame_length - MIN (have, (guint64) self->frame_length));
    flush_frames (self);
  }
  if (mega_analyzer_summary (self->analyzer, &sum) && self->snap.post_messages) {
    GstStructure *s = mega_result_top_k ("megaclassify-summary", self->labels, sum.peak,
        self->n_labels, (int) self->snap.top_k, sum.label);
    gst_structure_set (s, "frames", G_TYPE_UINT64, sum.frames,
        "timestamp", G_TYPE_UINT64, self->summary_ts,
        "duration", G_TYPE_UINT64,
        gst_util_uint64_scale_int (self->summary_samples, GST_SECOND, self->rate), NULL);
    post_structure (self, s);
  }
  mega_analyzer_set_audio_end (self->analyzer, G_MAXUINT64);
  self->started = FALSE;
}

/* ---- batching ---- */

/* Whether upstream says it is live. One that does not answer the latency query is taken as
 * live: holding frames back there could delay results someone waits for. */
static gboolean
upstream_is_live (GstMegaClassify *self)
{
  GstQuery *query = gst_query_new_latency ();
  gboolean live = TRUE;
  if (gst_pad_peer_query (GST_BASE_TRANSFORM_SINK_PAD (self), query))
    gst_query_parse_latency (query, &live, NULL, NULL);
  else
    GST_DEBUG_OBJECT (self, "upstream did not answer the latency query: taken as live");
  gst_query_unref (query);
  return live;
}

/* The batch-frames property, or for 0 (automatic) the batch that suits the source: 1 (each
 * buffer's frames at once) for a live one, MEGACLASSIFY_AUTO_BATCH_FRAMES for a file. Queries
 * upstream: call without the object lock. */
static guint
choose_batch (GstMegaClassify *self)
{
  GST_OBJECT_LOCK (self);
  guint batch = self->props.batch_frames;
  GST_OBJECT_UNLOCK (self);
  if (batch == 0)
    batch = upstream_is_live (self) ? 1 : MEGACLASSIFY_AUTO_BATCH_FRAMES;
  return batch;
}

/* Gives the element a stream that batches `batch` frames. The work buffers are sized for the
 * batch when the stream is made, so a new batch means a new stream: done only when it
 * changes, at start and on caps, where the state restarts anyway. */
static gboolean
configure_batch (GstMegaClassify *self, guint batch)
{
  if (self->stream && self->batch == batch)
    return TRUE;
  MegaStreamParams params = mega_stream_default_params ();
  params.batch_frames = batch;
  GError *error = NULL;
  MegaStream *stream = mega_stream_new_with_params (self->running_model, &params, &error);
  if (!stream) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED, ("Could not create model state: %s",
            error->message), (NULL));
    g_error_free (error);
    return FALSE;
  }
  g_clear_pointer (&self->stream, mega_stream_free);
  self->stream = stream;
  self->batch = batch;
  GST_INFO_OBJECT (self, "the model runs every %u frames", batch);
  return TRUE;
}

/* ---- GstBaseTransform / GstAudioFilter vfuncs ---- */

static gboolean
gst_mega_classify_start (GstBaseTransform *trans)
{
  GstMegaClassify *self = GST_MEGA_CLASSIFY (trans);
  GError *error = NULL;

  gchar *path = NULL;
  if (!ensure_model (self, &path, &error)) {
    gboolean missing = error->domain == MEGA_ERROR && error->code == MEGA_ERROR_IO
        && path && !g_file_test (path, G_FILE_TEST_EXISTS);
    if (missing)
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("Could not load model: %s", error->message),
          ("model file \"%s\"", path ? path : "(none)"));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("Could not load model: %s", error->message),
          ("model file \"%s\"", path ? path : "(none)"));
    g_error_free (error);
    g_free (path);
    return FALSE;
  }

  GST_OBJECT_LOCK (self);
  self->running_model = self->model;
  GST_OBJECT_UNLOCK (self);
  const MegaInfo *info = mega_model_info (self->running_model);
  /* frames at once until caps tell what the source is (setup) */
  if (!configure_batch (self, 1)) {
    g_free (path);
    return FALSE;
  }
  self->rate = info->sample_rate;
  self->shift = info->frame_shift;
  self->frame_length = info->frame_length;
  self->n_labels = info->n_labels;
  self->window = info->window;
  self->labels = info->labels;
  guint max_window = (guint) gst_util_uint64_scale_ceil (MEGACLASSIFY_MAX_SMOOTHING, self->rate,
      (guint64) self->shift * GST_SECOND) + 1;
  self->analyzer = mega_analyzer_new (info, max_window);
  self->nonfinite_samples = 0;
  self->settle_frames = mega_model_settle_frames (self->running_model);
  reset_stream (self);
  reset_summary (self);
  GST_INFO_OBJECT (self, "model %s: %d labels, %d Hz, frame %d/%d samples", path,
      self->n_labels, self->rate, self->frame_length, self->shift);
  g_free (path);
  return TRUE;
}

static gboolean
gst_mega_classify_stop (GstBaseTransform *trans)
{
  GstMegaClassify *self = GST_MEGA_CLASSIFY (trans);
  drop_pending_events (self);
  g_clear_pointer (&self->stream, mega_stream_free);
  g_clear_pointer (&self->analyzer, mega_analyzer_free);
  g_clear_pointer (&self->input, mega_mono_input_free);
  self->started = FALSE;
  GST_OBJECT_LOCK (self);
  if (self->running_model != self->model)
    mega_model_free (self->running_model);
  self->running_model = NULL;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static gboolean
gst_mega_classify_setup (GstAudioFilter *filter, const GstAudioInfo *info)
{
  GstMegaClassify *self = GST_MEGA_CLASSIFY (filter);
  if (!self->stream)
    return FALSE;
  if (self->input && gst_audio_info_is_equal (&self->input_info, info))
    return TRUE;
  /* The template already refuses such caps; this guards the resampler's allocation in case
   * caps reach setup some other way (a subclass, a changed template). */
  if (GST_AUDIO_INFO_RATE (info) > MEGACLASSIFY_MAX_RATE) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("Unsupported sample rate %d Hz",
            GST_AUDIO_INFO_RATE (info)), ("megaclassify accepts at most %d Hz",
            MEGACLASSIFY_MAX_RATE));
    return FALSE;
  }
  GST_DEBUG_OBJECT (self, "input %s, %d Hz, %d channels -> model %d Hz mono",
      GST_AUDIO_INFO_NAME (info), GST_AUDIO_INFO_RATE (info), GST_AUDIO_INFO_CHANNELS (info),
      self->rate);
  /* the old caps' complete frames are analysed, as they would have been without batching */
  flush_frames (self);
  if (!configure_batch (self, choose_batch (self)))
    return FALSE;
  g_clear_pointer (&self->input, mega_mono_input_free);
  self->input = mega_mono_input_new (info, self->rate);
  self->input_info = *info;
  reset_stream (self);
  return TRUE;
}

static gboolean
gst_mega_classify_sink_event (GstBaseTransform *trans, GstEvent *event)
{
  GstMegaClassify *self = GST_MEGA_CLASSIFY (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_STOP:
      drop_pending_events (self);
      reset_stream (self);
      reset_summary (self);
      break;
    case GST_EVENT_EOS:
      push_pending_events (self);
      finish_stream (self);
      push_pending_events (self);
      break;
    case GST_EVENT_GAP:{
      flush_frames (self);
      push_pending_events (self);
      GstClockTime ts, duration;
      gst_event_parse_gap (event, &ts, &duration);
      if (self->input && GST_CLOCK_TIME_IS_VALID (duration)) {
        take_snapshot (self);
        if (!self->started)
          begin_stream (self, ts);
        feed_silence (self, gst_util_uint64_scale_round (duration,
                GST_AUDIO_INFO_RATE (&self->input_info), GST_SECOND));
      }
      break;
    }
    default:
      /* The results of the audio before a serialized event come before it, and are timed
       * with the segment they belong to (a SEGMENT event replaces it). */
      if (GST_EVENT_IS_SERIALIZED (event)) {
        flush_frames (self);
        push_pending_events (self);
      }
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (gst_mega_classify_parent_class)->sink_event (trans, event);
}

static GstFlowReturn
gst_mega_classify_transform_ip (GstBaseTransform *trans, GstBuffer *buf)
{
  GstMegaClassify *self = GST_MEGA_CLASSIFY (trans);

  push_pending_events (self);
  if (!self->input)
    return GST_FLOW_NOT_NEGOTIATED;

  take_snapshot (self);
  if (GST_BUFFER_IS_DISCONT (buf) && self->started) {
    GST_DEBUG_OBJECT (self, "discont at %" GST_TIME_FORMAT ": reset",
        GST_TIME_ARGS (GST_BUFFER_PTS (buf)));
    flush_frames (self);   /* the frames before the DISCONT belong to the old time base */
    reset_stream (self);
  }
  if (!self->started)
    begin_stream (self, GST_BUFFER_PTS (buf));

  gsize n_frames = gst_buffer_get_size (buf) / GST_AUDIO_INFO_BPF (&self->input_info);
  self->current = buf;
  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP)) {
    feed_silence (self, n_frames);
  } else {
    GstMapInfo map;
    if (!gst_buffer_map (buf, &map, GST_MAP_READ)) {
      self->current = NULL;
      GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Could not map buffer"), (NULL));
      return GST_FLOW_ERROR;
    }
    feed (self, map.data, n_frames);
    gst_buffer_unmap (buf, &map);
  }
  /* a detection's meta belongs on the buffer that completed its frame: no frame waits for a
   * later buffer */
  if (self->snap.attach_meta)
    flush_frames (self);
  self->current = NULL;
  return GST_FLOW_OK;
}

/* ---- GObject ---- */

static void
gst_mega_classify_set_property (GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
  GstMegaClassify *self = GST_MEGA_CLASSIFY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      if (GST_STATE (self) > GST_STATE_READY) {
        GST_OBJECT_UNLOCK (self);
        /* a message the application can see, not a g_warning that some test setups and
         * G_DEBUG=fatal-warnings turn into an abort */
        GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
            ("The model can only be changed in the NULL or READY state"),
            ("ignoring model \"%s\"", g_value_get_string (value) ? g_value_get_string (value)
                : "(null)"));
        return;
      }
      g_free (self->model_path);
      self->model_path = g_value_dup_string (value);
      break;
    case PROP_THRESHOLD:
      self->props.threshold = g_value_get_double (value);
      break;
    case PROP_SMOOTHING:
      self->props.smoothing = g_value_get_uint64 (value);
      break;
    case PROP_SUPPRESSION:
      self->props.suppression = g_value_get_uint64 (value);
      break;
    case PROP_MINIMUM_COUNT:
      self->props.minimum_count = g_value_get_uint (value);
      break;
    case PROP_INTERVAL:
      self->props.interval = g_value_get_uint64 (value);
      break;
    case PROP_TOP_K:
      self->props.top_k = g_value_get_uint (value);
      break;
    case PROP_POST_MESSAGES:
      self->props.post_messages = g_value_get_boolean (value);
      break;
    case PROP_EMIT_EVENTS:
      self->props.emit_events = g_value_get_boolean (value);
      break;
    case PROP_END_PADDING:
      self->props.end_padding = g_value_get_uint64 (value);
      break;
    case PROP_BATCH_FRAMES:
      self->props.batch_frames = g_value_get_uint (value);
      break;
    case PROP_ATTACH_META:{
      gboolean attach = g_value_get_boolean (value);
      self->props.attach_meta = attach;
      GST_OBJECT_UNLOCK (self);
      /* Adding meta needs writable buffers, so pass-through must be off; this call takes the
       * object lock itself. */
      gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), !attach);
      return;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* The labels property: loads the model on first use (outside the object lock) so labels can
 * be read before the element runs. */
static void
get_labels (GstMegaClassify *self, GValue *value)
{
  GError *error = NULL;
  GStrvBuilder *b = g_strv_builder_new ();
  if (ensure_model (self, NULL, &error)) {
    GST_OBJECT_LOCK (self);
    if (self->model) {
      const MegaInfo *info = mega_model_info (self->model);
      for (int k = 0; k < info->n_labels; k++)
        g_strv_builder_add (b, info->labels[k]);
    }
    GST_OBJECT_UNLOCK (self);
  } else {
    GST_DEBUG_OBJECT (self, "no labels: %s", error->message);
    g_error_free (error);
  }
  g_value_take_boxed (value, g_strv_builder_end (b));
  g_strv_builder_unref (b);
}

static void
gst_mega_classify_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  GstMegaClassify *self = GST_MEGA_CLASSIFY (object);

  if (prop_id == PROP_LABELS) {
    get_labels (self, value);
    return;
  }
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model_path);
      break;
    case PROP_THRESHOLD:
      g_value_set_double (value, self->props.threshold);
      break;
    case PROP_SMOOTHING:
      g_value_set_uint64 (value, self->props.smoothing);
      break;
    case PROP_SUPPRESSION:
      g_value_set_uint64 (value, self->props.suppression);
      break;
    case PROP_MINIMUM_COUNT:
      g_value_set_uint (value, self->props.minimum_count);
      break;
    case PROP_INTERVAL:
      g_value_set_uint64 (value, self->props.interval);
      break;
    case PROP_TOP_K:
      g_value_set_uint (value, self->props.top_k);
      break;
    case PROP_POST_MESSAGES:
      g_value_set_boolean (value, self->props.post_messages);
      break;
    case PROP_EMIT_EVENTS:
      g_value_set_boolean (value, self->props.emit_events);
      break;
    case PROP_END_PADDING:
      g_value_set_uint64 (value, self->props.end_padding);
      break;
    case PROP_BATCH_FRAMES:
      g_value_set_uint (value, self->props.batch_frames);
      break;
    case PROP_ATTACH_META:
      g_value_set_boolean (value, self->props.attach_meta);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_mega_classify_finalize (GObject *object)
{
  GstMegaClassify *self = GST_MEGA_CLASSIFY (object);
  drop_pending_events (self);
  if (self->running_model != self->model)
    mega_model_free (self->running_model);
  g_clear_pointer (&self->model, mega_model_free);
  g_free (self->loaded_path);
  g_free (self->model_path);
  G_OBJECT_CLASS (gst_mega_classify_parent_class)->finalize (object);
}

static void
gst_mega_classify_init (GstMegaClassify *self)
{
  self->model_path = default_model_path ();
  self->props = (Settings) {
    .threshold = MEGACLASSIFY_DEFAULT_THRESHOLD,
    .smoothing = MEGACLASSIFY_DEFAULT_SMOOTHING,
    .suppression = MEGACLASSIFY_DEFAULT_SUPPRESSION,
    .interval = MEGACLASSIFY_DEFAULT_INTERVAL,
    .minimum_count = MEGACLASSIFY_DEFAULT_MINIMUM_COUNT,
    .top_k = MEGACLASSIFY_DEFAULT_TOP_K,
    .post_messages = MEGACLASSIFY_DEFAULT_POST_MESSAGES,
    .emit_events = MEGACLASSIFY_DEFAULT_EMIT_EVENTS,
    .attach_meta = MEGACLASSIFY_DEFAULT_ATTACH_META,
    .end_padding = MEGACLASSIFY_DEFAULT_END_PADDING,
    .batch_frames = MEGACLASSIFY_DEFAULT_BATCH_FRAMES,
  };
  self->summary_ts = GST_CLOCK_TIME_NONE;
  g_queue_init (&self->pending_events);
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), !MEGACLASSIFY_DEFAULT_ATTACH_META);
  gst_base_transform_set_gap_aware (GST_BASE_TRANSFORM (self), TRUE);
}

static void
gst_mega_classify_class_init (GstMegaClassifyClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstAudioFilterClass *filter_class = GST_AUDIO_FILTER_CLASS (klass);
  const GParamFlags live = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING;

  GST_DEBUG_CATEGORY_INIT (mega_classify_debug, "megaclassify", 0,
      "Mega streaming audio classifier");

  gobject_class->set_property = gst_mega_classify_set_property;
  gobject_class->get_property = gst_mega_classify_get_property;
  gobject_class->finalize = gst_mega_classify_finalize;

  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "Path of the model file (gst-mega safetensors). Default: $MEGA_MODEL_PATH if set, "
          "else the installed default model (or, uninstalled, the source tree's "
          "models/default.safetensors)", MEGA_DEFAULT_MODEL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_LABELS,
      g_param_spec_boxed ("labels", "Labels",
          "The model's labels in class-index order (read-only; names starting with '_' are "
          "background and never detected)", G_TYPE_STRV,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_THRESHOLD,
      g_param_spec_double ("threshold", "Threshold",
          "Smoothed posterior a label needs to be detected", 0.0, 1.0,
          MEGACLASSIFY_DEFAULT_THRESHOLD, live));
  g_object_class_install_property (gobject_class, PROP_SMOOTHING,
      g_param_spec_uint64 ("smoothing", "Smoothing window",
          "Time over which per-frame posteriors are averaged, in nanoseconds (at least one "
          "frame)", 0, MEGACLASSIFY_MAX_SMOOTHING, MEGACLASSIFY_DEFAULT_SMOOTHING, live));
  g_object_class_install_property (gobject_class, PROP_SUPPRESSION,
      g_param_spec_uint64 ("suppression", "Suppression",
          "Minimum time between two detections of the same label, in nanoseconds", 0,
          MEGACLASSIFY_MAX_SUPPRESSION, MEGACLASSIFY_DEFAULT_SUPPRESSION, live));
  g_object_class_install_property (gobject_class, PROP_MINIMUM_COUNT,
      g_param_spec_uint ("minimum-count", "Minimum count",
          "Frames the smoothing window must hold before anything is detected (capped at the "
          "window length)", 1, 1000, MEGACLASSIFY_DEFAULT_MINIMUM_COUNT, live));
  g_object_class_install_property (gobject_class, PROP_INTERVAL,
      g_param_spec_uint64 ("interval", "Interval",
          "Post a megaclassify-posteriors message with the smoothed posteriors every interval "
          "nanoseconds of audio (0 = never)", 0, G_MAXUINT64, MEGACLASSIFY_DEFAULT_INTERVAL, live));
  g_object_class_install_property (gobject_class, PROP_TOP_K,
      g_param_spec_uint ("top-k", "Top k",
          "Number of labels in posteriors and summary messages (capped at the number of labels)",
          1, 1024, MEGACLASSIFY_DEFAULT_TOP_K, live));
  g_object_class_install_property (gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean ("post-messages", "Post messages",
          "Post element messages (detections, posteriors, summary) on the bus",
          MEGACLASSIFY_DEFAULT_POST_MESSAGES, live));
  g_object_class_install_property (gobject_class, PROP_EMIT_EVENTS,
      g_param_spec_boolean ("emit-events", "Emit events",
          "Send each detection downstream as a serialized custom event named megaclassify",
          MEGACLASSIFY_DEFAULT_EMIT_EVENTS, live));
  g_object_class_install_property (gobject_class, PROP_ATTACH_META,
      g_param_spec_boolean ("attach-meta", "Attach meta",
          "Attach each detection to its buffer as a GstCustomMeta named MegaClassifyMeta "
          "(turns pass-through off so buffers can be made writable)",
          MEGACLASSIFY_DEFAULT_ATTACH_META, live));
  g_object_class_install_property (gobject_class, PROP_END_PADDING,
      g_param_spec_uint64 ("end-padding", "End padding",
          "Digital silence run through the model at EOS, in nanoseconds, so that a word that "
          "ends with the audio still reaches its decision (the model decides up to ~250 ms "
          "after a word); 0 analyses exactly the audio", 0, MEGACLASSIFY_MAX_END_PADDING,
          MEGACLASSIFY_DEFAULT_END_PADDING, live));
  g_object_class_install_property (gobject_class, PROP_BATCH_FRAMES,
      g_param_spec_uint ("batch-frames", "Batch frames",
          "Frames the model collects, across buffers, before it runs on them at once: larger "
          "batches cost less CPU but delay results by up to that many frames (1 = each "
          "buffer's frames as it arrives). 0 = automatic: 1 when upstream is live, "
          G_STRINGIFY (MEGACLASSIFY_AUTO_BATCH_FRAMES) " when it is not (files). Taken when "
          "caps are set", 0, MEGA_STREAM_MAX_BATCH,
          MEGACLASSIFY_DEFAULT_BATCH_FRAMES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));

  gst_element_class_set_static_metadata (element_class, "Mega audio classifier",
      "Filter/Analyzer/Audio",
      "Streaming keyword spotting and audio classification with a Mega network; posts "
      "detections as messages, events and buffer meta",
      "gst-mega developers <https://github.com/gst-mega/gst-mega>");

  GstCaps *caps = gst_caps_from_string (CAPS_STR);
  gst_audio_filter_class_add_pad_templates (filter_class, caps);
  gst_caps_unref (caps);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_mega_classify_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_mega_classify_stop);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_mega_classify_sink_event);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_mega_classify_transform_ip);
  trans_class->passthrough_on_same_caps = FALSE;
  filter_class->setup = GST_DEBUG_FUNCPTR (gst_mega_classify_setup);
}
