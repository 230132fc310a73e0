/* Element tests of megaclassify (gst-check + GstHarness, and small real pipelines).
 *
 * The model is tests/plugin/make_test_model.py's hand-made model: silence -> _silence_, a
 * 300 Hz tone -> "yes", a 2 kHz tone -> "no". Expected detections are computed here, apart
 * from the element: the engine (mega.h) is run directly on the same audio for per-frame
 * posteriors, and a naive re-implementation of the documented detection rule turns them into
 * detections. The element's message/event/meta fields and timestamps are checked against that. */
#include <gst/audio/audio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mega.h"

#define RATE 16000
#define SHIFT 160
#define FLEN 400
#define K 4
#define NS_PER_SAMPLE 62500     /* 1e9 / 16000 */
#define SIG_SECONDS 1.8
#define THRESHOLD 0.6
#define WINDOW 20               /* smoothing 200 ms */
#define SUPPRESS 30             /* 300 ms */
#define MIN_COUNT 3

static const char *LABELS[K] = { "_silence_", "_unknown_", "yes", "no" };

/* The test audio: silence, a 300 Hz tone, silence, then a 2 kHz tone up to the end. */
static double
sig (double t)
{
  if (t >= 0.3 && t < 0.8)
    return 0.5 * sin (2 * G_PI * 300 * t);
  if (t >= 1.1 && t < SIG_SECONDS)
    return 0.5 * sin (2 * G_PI * 2000 * t);
  return 0;
}

static float
sig_s16 (gint64 i, int rate)   /* the value after S16 quantisation, as the element sees it */
{
  return (gint16) lrint (sig ((double) i / rate) * 32767) / 32768.0f;
}

/* ---------------- independent reference ---------------- */

typedef struct {
  int label;
  double conf;
  guint64 frame, first, start, end;
} RefDet;

static void
collect_logits (const float *logits, size_t n, uint64_t first, void *user_data)
{
  GArray *rows = user_data;
  g_assert_cmpuint (first, ==, rows->len / K);
  float *p = g_memdup2 (logits, n * K * sizeof (float));
  mega_softmax_rows (p, n, K);
  g_array_append_vals (rows, p, n * K);
  g_free (p);
}

/* Per-frame posteriors of 16 kHz mono samples, pushed in 1000-sample chunks. */
static GArray *
ref_posteriors (const float *x, gsize n)
{
  GError *error = NULL;
  MegaModel *model = mega_model_load (TEST_MODEL, &error);
  g_assert_no_error (error);
  MegaStream *stream = mega_stream_new (model, &error);
  g_assert_no_error (error);
  GArray *rows = g_array_new (FALSE, FALSE, sizeof (float));
  for (gsize pos = 0; pos < n; pos += 1000)
    mega_stream_push_audio (stream, x + pos, MIN (1000, n - pos), collect_logits, rows);
  mega_stream_free (stream);
  mega_model_free (model);
  return rows;
}

static float *
signal_16k (gint64 from, gint64 to, gboolean s16)
{
  float *x = g_new (float, to - from);
  for (gint64 i = from; i < to; i++)
    x[i - from] = s16 ? sig_s16 (i, RATE) : (float) sig ((double) i / RATE);
  return x;
}

static double
window_mean (GArray *rows, guint64 first, guint64 f, int k)
{
  double s = 0;
  for (guint64 j = first; j <= f; j++)
    s += g_array_index (rows, float, j * K + k);
  return s / (f - first + 1);
}

/* The documented rule, written out the slow way. */
static GArray *
ref_detect_suppressing (GArray *rows, guint64 suppress)
{
  GArray *dets = g_array_new (FALSE, FALSE, sizeof (RefDet));
  guint64 n = rows->len / K, last_frame = 0;
  int last = -1;
  for (guint64 f = 0; f < n; f++) {
    guint64 first = f + 1 >= WINDOW ? f + 1 - WINDOW : 0;
    if (f - first + 1 < MIN (MIN_COUNT, WINDOW))
      continue;
    int best = -1;
    double best_mean = -1;
    for (int k = 0; k < K; k++) {
      if (LABELS[k][0] == '_')
        continue;
      double m = window_mean (rows, first, f, k);
      if (m > best_mean) {
        best = k;
        best_mean = m;
      }
    }
    if (best_mean < THRESHOLD || (best == last && f - last_frame < suppress))
      continue;
    RefDet d = { best, best_mean, f, first, G_MAXUINT64, 0 };
    for (guint64 j = first; j <= f; j++)
      if (g_array_index (rows, float, j * K + best) >= THRESHOLD / 2) {
        d.start = MIN (d.start, j);
        d.end = j;
      }
    g_array_append_val (dets, d);
    last = best;
    last_frame = f;
  }
  return dets;
}

static GArray *
ref_detect (GArray *rows)
{
  return ref_detect_suppressing (rows, SUPPRESS);
}

static GArray *
ref_detect_signal (gint64 from, gint64 to, gboolean s16, GArray **rows_out)
{
  float *x = signal_16k (from, to, s16);
  GArray *rows = ref_posteriors (x, to - from);
  g_free (x);
  GArray *dets = ref_detect (rows);
  if (rows_out)
    *rows_out = rows;
  else
    g_array_unref (rows);
  return dets;
}

/* ---------------- element helpers ---------------- */

static GstElement *
make_element (void)
{
  GstElement *e = gst_element_factory_make ("megaclassify", NULL);
  fail_unless (e != NULL);
  /* end-padding 0: the results are those of exactly the audio pushed (test_end_padding
   * covers the padding) */
  g_object_set (e, "model", TEST_MODEL, "threshold", THRESHOLD,
      "smoothing", (guint64) (WINDOW * 10 * GST_MSECOND),
      "suppression", (guint64) (SUPPRESS * 10 * GST_MSECOND), "minimum-count", MIN_COUNT,
      "end-padding", (guint64) 0, NULL);
  return e;
}

static GstHarness *
new_harness (GstElement *e, GstBus **bus)
{
  *bus = gst_bus_new ();
  gst_element_set_bus (e, *bus);
  GstHarness *h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  return h;
}

static void
free_harness (GstHarness *h, GstBus *bus)
{
  gst_element_set_bus (h->element, NULL);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

static void
set_caps (GstHarness *h, const char *format, int rate, int channels)
{
  gchar *caps = g_strdup_printf ("audio/x-raw, format=%s, layout=interleaved, rate=%d, "
      "channels=%d", format, rate, channels);
  gst_harness_set_src_caps_str (h, caps);
  g_free (caps);
}

/* Frames [from, to) of the signal at `rate`; with 2 channels they are 1.5x and 0.5x the
 * signal, whose average is the signal. pts of frame `origin` is pts0. */
static GstBuffer *
make_buffer (gboolean s16, int rate, int channels, gint64 from, gint64 to, gint64 origin,
    GstClockTime pts0)
{
  gsize n = to - from, bps = s16 ? 2 : 4;
  GstBuffer *buf = gst_buffer_new_allocate (NULL, n * channels * bps, NULL);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (gsize i = 0; i < n; i++) {
    double v = sig ((double) (from + i) / rate);
    for (int c = 0; c < channels; c++) {
      double cv = channels == 2 ? v * (c == 0 ? 1.5 : 0.5) : v;
      if (s16)
        ((gint16 *) map.data)[i * channels + c] = (gint16) lrint (CLAMP (cv, -1, 1) * 32767);
      else
        ((float *) map.data)[i * channels + c] = (float) cv;
    }
  }
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = pts0 + gst_util_uint64_scale_int (from - origin, GST_SECOND, rate);
  GST_BUFFER_DURATION (buf) = pts0 + gst_util_uint64_scale_int (to - origin, GST_SECOND, rate)
      - GST_BUFFER_PTS (buf);
  return buf;
}

/* Pushes frames [from, to) in chunks; returns how many buffers went out. */
static guint
push_signal (GstHarness *h, gboolean s16, int rate, int channels, gint64 from, gint64 to,
    GstClockTime pts0, gint64 chunk, gboolean discont)
{
  guint n = 0;
  for (gint64 pos = from; pos < to; pos += chunk, n++) {
    GstBuffer *buf = make_buffer (s16, rate, channels, pos, MIN (pos + chunk, to), from, pts0);
    if (discont && pos == from)
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  }
  return n;
}

/* All element messages on the bus whose structure has this name, in order (copies). */
static GPtrArray *
pop_structures (GstBus *bus, const char *name)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  GstMessage *msg;
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (msg);
    if (gst_structure_has_name (s, name))
      g_ptr_array_add (out, gst_structure_copy (s));
    gst_message_unref (msg);
  }
  return out;
}

static guint64
get_u64 (const GstStructure *s, const char *field)
{
  guint64 v = 0;
  fail_unless (gst_structure_get_uint64 (s, field, &v), "no field %s", field);
  return v;
}

static double
get_double (const GstStructure *s, const char *field)
{
  double v = NAN;
  fail_unless (gst_structure_get_double (s, field, &v), "no field %s", field);
  fail_unless (isfinite (v));
  return v;
}

/* Checks detection structures against the reference, with the segment mapping
 * running = rbase + (ts - seg_start), stream = stime + (ts - seg_start). */
static void
check_detections (GPtrArray *got, GArray *ref, GstClockTime base_pts, GstClockTime seg_start,
    GstClockTime rbase, GstClockTime stime, double conf_tol)
{
  fail_unless_equals_int (got->len, ref->len);
  for (guint i = 0; i < ref->len; i++) {
    const GstStructure *s = g_ptr_array_index (got, i);
    const RefDet *d = &g_array_index (ref, RefDet, i);
    int idx = -1;
    fail_unless_equals_string (gst_structure_get_string (s, "label"), LABELS[d->label]);
    fail_unless (gst_structure_get_int (s, "class-index", &idx));
    fail_unless_equals_int (idx, d->label);
    double conf = get_double (s, "confidence");
    fail_unless (fabs (conf - d->conf) <= conf_tol, "confidence %f vs %f", conf, d->conf);
    guint64 ts = base_pts + (d->frame * SHIFT + FLEN) * NS_PER_SAMPLE;
    fail_unless_equals_uint64 (get_u64 (s, "timestamp"), ts);
    fail_unless_equals_uint64 (get_u64 (s, "duration"),
        ((d->frame - d->first) * SHIFT + FLEN) * NS_PER_SAMPLE);
    fail_unless_equals_uint64 (get_u64 (s, "start"), base_pts + d->start * SHIFT * NS_PER_SAMPLE);
    fail_unless_equals_uint64 (get_u64 (s, "end"),
        base_pts + (d->end * SHIFT + FLEN) * NS_PER_SAMPLE);
    fail_unless_equals_uint64 (get_u64 (s, "running-time"), rbase + (ts - seg_start));
    fail_unless_equals_uint64 (get_u64 (s, "stream-time"), stime + (ts - seg_start));
  }
}

static const gint64 SIG_N = (gint64) (SIG_SECONDS * RATE);

/* ---------------- tests ---------------- */

GST_START_TEST (test_detection_messages_and_summary)
{
  GstBus *bus;
  GstHarness *h = new_harness (make_element (), &bus);
  set_caps (h, "F32LE", RATE, 1);
  /* A segment that starts at 1 s, maps to stream time 5 s and running time 100 s. */
  GstSegment seg;
  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.start = GST_SECOND;
  seg.time = 5 * GST_SECOND;
  seg.base = 100 * GST_SECOND;
  seg.position = seg.start;
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  push_signal (h, FALSE, RATE, 1, 0, SIG_N, GST_SECOND, 1000, FALSE);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));

  GArray *rows;
  GArray *ref = ref_detect_signal (0, SIG_N, FALSE, &rows);
  fail_unless (ref->len >= 3, "the test audio should give several detections");

  /* Messages in bus order: detections, then the summary last. */
  GPtrArray *all = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  GstMessage *msg;
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    g_ptr_array_add (all, gst_structure_copy (gst_message_get_structure (msg)));
    gst_message_unref (msg);
  }
  fail_unless_equals_int (all->len, ref->len + 1);
  fail_unless (gst_structure_has_name (g_ptr_array_index (all, all->len - 1),
          "megaclassify-summary"));
  g_ptr_array_remove_index (all, all->len - 1);
  GPtrArray *dets = all;
  check_detections (dets, ref, GST_SECOND, GST_SECOND, 100 * GST_SECOND, 5 * GST_SECOND, 1e-4);

  g_array_unref (ref);
  g_array_unref (rows);
  g_ptr_array_unref (dets);
  free_harness (h, bus);
}
GST_END_TEST;

/* The summary: clip rule on peak smoothed posteriors, top-k, frames, duration, timestamp. */
GST_START_TEST (test_summary_at_eos)
{
  GstBus *bus;
  GstElement *e = make_element ();
  g_object_set (e, "top-k", 10, NULL);   /* capped at the 4 labels */
  GstHarness *h = new_harness (e, &bus);
  set_caps (h, "F32LE", RATE, 1);
  push_signal (h, FALSE, RATE, 1, 0, SIG_N, 3 * GST_SECOND, 777, FALSE);
  GPtrArray *before = pop_structures (bus, "megaclassify-summary");
  fail_unless_equals_int (before->len, 0);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  GPtrArray *sums = pop_structures (bus, "megaclassify-summary");
  fail_unless_equals_int (sums->len, 1);
  const GstStructure *s = g_ptr_array_index (sums, 0);

  GArray *rows;
  GArray *ref = ref_detect_signal (0, SIG_N, FALSE, &rows);
  guint64 n = rows->len / K;
  fail_unless_equals_uint64 (n, (SIG_N - FLEN) / SHIFT + 1);
  fail_unless_equals_uint64 (get_u64 (s, "frames"), n);
  fail_unless_equals_uint64 (get_u64 (s, "duration"), (guint64) SIG_N * NS_PER_SAMPLE);
  fail_unless_equals_uint64 (get_u64 (s, "timestamp"), 3 * GST_SECOND);
  /* Clip score: each label's peak smoothed posterior over the frames where the window holds
   * at least MIN_COUNT frames (and the first frame); the class by the clip rule. */
  double mean[K] = { 0 };
  for (guint64 f = 0; f < n; f++) {
    if (f != 0 && f + 1 < MIN_COUNT)
      continue;
    guint64 first = f + 1 >= WINDOW ? f + 1 - WINDOW : 0;
    for (int k = 0; k < K; k++)
      mean[k] = MAX (mean[k], window_mean (rows, first, f, k));
  }
  int best = -1;
  for (int k = 2; k < K; k++)          /* "yes", "no": the keywords */
    if (mean[k] >= THRESHOLD && (best < 0 || mean[k] > mean[best]))
      best = k;
  if (best < 0)
    best = mean[1] >= THRESHOLD ? 1 : 0;
  fail_unless (best >= 2, "the test signal holds keywords");
  const GValue *labels = gst_structure_get_value (s, "labels");
  const GValue *scores = gst_structure_get_value (s, "scores");
  fail_unless_equals_int (gst_value_array_get_size (labels), K);
  fail_unless_equals_int (gst_value_array_get_size (scores), K);
  fail_unless_equals_string (gst_structure_get_string (s, "label"), LABELS[best]);
  fail_unless (fabs (get_double (s, "confidence") - mean[best]) < 1e-4);
  double prev = 2;
  for (int i = 0; i < K; i++) {
    const char *l = g_value_get_string (gst_value_array_get_value (labels, i));
    double sc = g_value_get_double (gst_value_array_get_value (scores, i));
    int k = 0;
    while (k < K && strcmp (LABELS[k], l) != 0)
      k++;
    fail_unless (k < K);
    fail_unless (fabs (sc - mean[k]) < 1e-4, "%s: %f vs %f", l, sc, mean[k]);
    if (i == 0) {
      fail_unless_equals_int (k, best);
    } else {
      fail_unless (sc <= prev);
      prev = sc;
    }
  }
  g_array_unref (ref);
  g_array_unref (rows);
  g_ptr_array_unref (before);
  g_ptr_array_unref (sums);
  free_harness (h, bus);
}
GST_END_TEST;

/* ---- event order and meta ---- */

typedef struct {
  gboolean is_event;
  GstClockTime pts;
  GstStructure *s;
} Seen;

static GstPadProbeReturn
record_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GArray *seen = user_data;
  Seen e = { FALSE, GST_CLOCK_TIME_NONE, NULL };
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    e.pts = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));
  } else {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (ev) != GST_EVENT_CUSTOM_DOWNSTREAM && GST_EVENT_TYPE (ev) != GST_EVENT_EOS)
      return GST_PAD_PROBE_OK;
    e.is_event = TRUE;
    e.s = gst_event_get_structure (ev) ? gst_structure_copy (gst_event_get_structure (ev))
        : gst_structure_new_empty ("eos");
  }
  g_array_append_val (seen, e);
  return GST_PAD_PROBE_OK;
}

static gboolean
same_fields (const GstStructure *a, const GstStructure *b)
{
  /* Compare the fields, not the name (the meta's structure has its own name). */
  GstStructure *ca = gst_structure_copy (a), *cb = gst_structure_copy (b);
  gst_structure_set_name (ca, "x");
  gst_structure_set_name (cb, "x");
  gboolean eq = gst_structure_is_equal (ca, cb);
  gst_structure_free (ca);
  gst_structure_free (cb);
  return eq;
}

/* Events right after the buffer that completed their frame, meta on that buffer. A source
 * that is not live gets the same: with attach-meta every buffer's frames run before it leaves
 * (no batching across buffers), so that the meta can go on it. */
static void
check_event_order_and_meta (gboolean live)
{
  GstBus *bus;
  GstElement *e = make_element ();
  g_object_set (e, "attach-meta", TRUE, NULL);
  GstHarness *h = new_harness (e, &bus);
  gst_harness_set_live (h, live);
  GArray *seen = g_array_new (FALSE, FALSE, sizeof (Seen));
  gst_pad_add_probe (h->sinkpad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      record_probe, seen, NULL);
  set_caps (h, "F32LE", RATE, 1);
  const gint64 chunk = 1000;
  GPtrArray *inputs = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  for (gint64 pos = 0; pos < SIG_N; pos += chunk) {
    GstBuffer *buf = make_buffer (FALSE, RATE, 1, pos, MIN (pos + chunk, SIG_N), 0, 0);
    g_ptr_array_add (inputs, gst_buffer_ref (buf));
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  GPtrArray *msgs = pop_structures (bus, "megaclassify");
  fail_unless (msgs->len >= 3);

  /* Each detection event comes right after the buffer holding the end of its deciding frame
   * and before the next buffer (or EOS). */
  guint m = 0;
  gint last_buffer = -1;
  for (guint i = 0; i < seen->len; i++) {
    Seen *x = &g_array_index (seen, Seen, i);
    if (!x->is_event) {
      last_buffer = (gint) (x->pts / (chunk * NS_PER_SAMPLE));
      continue;
    }
    if (gst_structure_has_name (x->s, "eos"))
      break;
    fail_unless (gst_structure_has_name (x->s, "megaclassify"));
    fail_unless (m < msgs->len);
    fail_unless (gst_structure_is_equal (x->s, g_ptr_array_index (msgs, m)));
    guint64 end_sample = get_u64 (x->s, "timestamp") / NS_PER_SAMPLE;
    fail_unless_equals_int (last_buffer, (gint) ((end_sample - 1) / chunk));
    if (i + 1 < seen->len) {
      Seen *next = &g_array_index (seen, Seen, i + 1);
      fail_unless (next->is_event || next->pts / (chunk * NS_PER_SAMPLE) == (guint64) last_buffer + 1);
    }
    m++;
  }
  fail_unless_equals_int (m, msgs->len);

  /* The meta: on the buffer of the detection, same fields; data untouched and not copied. */
  guint metas = 0;
  for (guint b = 0; b < inputs->len; b++) {
    GstBuffer *in = g_ptr_array_index (inputs, b);
    GstBuffer *out = gst_harness_pull (h);
    fail_unless (out != NULL);
    fail_unless (gst_buffer_peek_memory (out, 0) == gst_buffer_peek_memory (in, 0));
    gpointer state = NULL;
    GstMeta *meta;
    while ((meta = gst_buffer_iterate_meta (out, &state))) {
      if (!gst_meta_info_is_custom (meta->info)
          || !gst_custom_meta_has_name ((GstCustomMeta *) meta, "MegaClassifyMeta"))
        continue;
      const GstStructure *ms = gst_custom_meta_get_structure ((GstCustomMeta *) meta);
      guint64 end_sample = get_u64 (ms, "timestamp") / NS_PER_SAMPLE;
      fail_unless_equals_int ((end_sample - 1) / chunk, b);
      fail_unless (metas < msgs->len);
      fail_unless (same_fields (ms, g_ptr_array_index (msgs, metas)));
      metas++;
    }
    gst_buffer_unref (out);
  }
  fail_unless_equals_int (metas, msgs->len);

  for (guint i = 0; i < seen->len; i++)
    if (g_array_index (seen, Seen, i).s)
      gst_structure_free (g_array_index (seen, Seen, i).s);
  g_array_unref (seen);
  g_ptr_array_unref (inputs);
  g_ptr_array_unref (msgs);
  free_harness (h, bus);
}

GST_START_TEST (test_event_order_and_meta)
{
  check_event_order_and_meta (TRUE);
  check_event_order_and_meta (FALSE);
}
GST_END_TEST;

GST_START_TEST (test_flags_turn_outputs_off)
{
  GstBus *bus;
  GstElement *e = make_element ();
  g_object_set (e, "post-messages", FALSE, "emit-events", FALSE, NULL);
  GstHarness *h = new_harness (e, &bus);
  set_caps (h, "F32LE", RATE, 1);
  push_signal (h, FALSE, RATE, 1, 0, SIG_N, 0, 1600, FALSE);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  fail_unless (msg == NULL);
  GstEvent *ev;
  while ((ev = gst_harness_try_pull_event (h))) {
    fail_if (GST_EVENT_TYPE (ev) == GST_EVENT_CUSTOM_DOWNSTREAM);
    gst_event_unref (ev);
  }
  free_harness (h, bus);
}
GST_END_TEST;

GST_START_TEST (test_posteriors_interval)
{
  GstBus *bus;
  GstElement *e = make_element ();
  const guint64 interval = 100 * GST_MSECOND;
  g_object_set (e, "interval", interval, "top-k", 2, NULL);
  GstHarness *h = new_harness (e, &bus);
  set_caps (h, "F32LE", RATE, 1);
  push_signal (h, FALSE, RATE, 1, 0, SIG_N, 0, 1234, FALSE);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  GPtrArray *got = pop_structures (bus, "megaclassify-posteriors");

  GArray *rows;
  GArray *ref = ref_detect_signal (0, SIG_N, FALSE, &rows);
  guint64 n = rows->len / K, last_k = 0;
  guint i = 0;
  for (guint64 f = 0; f < n; f++) {
    guint64 end_ns = (f * SHIFT + FLEN) * NS_PER_SAMPLE;
    if (end_ns / interval <= last_k)
      continue;
    last_k = end_ns / interval;
    fail_unless (i < got->len, "missing posteriors message for frame %" G_GUINT64_FORMAT, f);
    const GstStructure *s = g_ptr_array_index (got, i++);
    guint64 w0 = f + 1 >= WINDOW ? f + 1 - WINDOW : 0;
    fail_unless_equals_uint64 (get_u64 (s, "timestamp"), end_ns);
    fail_unless_equals_uint64 (get_u64 (s, "running-time"), end_ns);
    fail_unless_equals_uint64 (get_u64 (s, "duration"),
        ((f - w0) * SHIFT + FLEN) * NS_PER_SAMPLE);
    const GValue *labels = gst_structure_get_value (s, "labels");
    const GValue *scores = gst_structure_get_value (s, "scores");
    fail_unless_equals_int (gst_value_array_get_size (labels), 2);
    int top = 0;
    for (int k = 1; k < K; k++)
      if (window_mean (rows, w0, f, k) > window_mean (rows, w0, f, top))
        top = k;
    fail_unless_equals_string (gst_structure_get_string (s, "label"), LABELS[top]);
    fail_unless_equals_string (g_value_get_string (gst_value_array_get_value (labels, 0)),
        LABELS[top]);
    double sc = g_value_get_double (gst_value_array_get_value (scores, 0));
    fail_unless (fabs (sc - window_mean (rows, w0, f, top)) < 1e-4);
    fail_unless (fabs (get_double (s, "confidence") - sc) < 1e-12);
    fail_unless (g_value_get_double (gst_value_array_get_value (scores, 1)) <= sc);
  }
  /* 1.8 s of audio, last frame ends at 1.795 s: one message per 100 ms boundary passed. */
  fail_unless_equals_int (i, 17);
  fail_unless_equals_int (got->len, i);
  g_array_unref (ref);
  g_array_unref (rows);
  g_ptr_array_unref (got);
  free_harness (h, bus);
}
GST_END_TEST;

/* ---- format matrix: same detections, untouched buffers ---- */

static void
run_format (gboolean s16, int rate, int channels, GArray *ref)
{
  GstBus *bus;
  GstHarness *h = new_harness (make_element (), &bus);
  set_caps (h, s16 ? "S16LE" : "F32LE", rate, channels);
  gint64 n = (gint64) (SIG_SECONDS * rate), chunk = rate / 20 + 7;
  for (gint64 pos = 0; pos < n; pos += chunk) {
    GstBuffer *buf = make_buffer (s16, rate, channels, pos, MIN (pos + chunk, n), 0, 0);
    GstMapInfo map;
    gst_buffer_map (buf, &map, GST_MAP_READ);
    gpointer copy = g_memdup2 (map.data, map.size);
    gsize size = map.size;
    gst_buffer_unmap (buf, &map);
    gst_buffer_ref (buf);
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
    GstBuffer *out = gst_harness_pull (h);
    fail_unless (out == buf, "pass-through must hand on the same buffer");
    gst_buffer_map (out, &map, GST_MAP_READ);
    fail_unless (map.size == size && memcmp (map.data, copy, size) == 0);
    gst_buffer_unmap (out, &map);
    g_free (copy);
    gst_buffer_unref (out);
    gst_buffer_unref (buf);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  GPtrArray *got = pop_structures (bus, "megaclassify");
  fail_unless_equals_int (got->len, ref->len);
  for (guint i = 0; i < ref->len; i++) {
    const GstStructure *s = g_ptr_array_index (got, i);
    const RefDet *d = &g_array_index (ref, RefDet, i);
    gint64 ts = (d->frame * SHIFT + FLEN) * NS_PER_SAMPLE;
    fail_unless_equals_string (gst_structure_get_string (s, "label"), LABELS[d->label]);
    fail_unless (ABS ((gint64) get_u64 (s, "timestamp") - ts) <= 10 * GST_MSECOND,
        "%s %d Hz x%d: detection %u at %" G_GUINT64_FORMAT " vs %" G_GINT64_FORMAT,
        s16 ? "S16" : "F32", rate, channels, i, get_u64 (s, "timestamp"), ts);
    fail_unless (fabs (get_double (s, "confidence") - d->conf) < 0.05);
  }
  g_ptr_array_unref (got);
  free_harness (h, bus);
}

GST_START_TEST (test_format_matrix)
{
  GArray *ref = ref_detect_signal (0, SIG_N, FALSE, NULL);
  fail_unless (ref->len >= 3);
  const int rates[] = { 8000, 16000, 44100, 48000 };
  for (int s16 = 0; s16 <= 1; s16++)
    for (int ch = 1; ch <= 2; ch++)
      for (guint r = 0; r < G_N_ELEMENTS (rates); r++)
        run_format (s16, rates[r], ch, ref);
  g_array_unref (ref);
}
GST_END_TEST;

/* ---- resets ---- */

GST_START_TEST (test_discont_resets_state)
{
  GstBus *bus;
  GstHarness *h = new_harness (make_element (), &bus);
  set_caps (h, "F32LE", RATE, 1);
  /* Stop in the middle of the first tone: the window and the EMA are full of "yes". */
  push_signal (h, FALSE, RATE, 1, 0, (gint64) (0.6 * RATE), 0, 1000, FALSE);
  GPtrArray *before = pop_structures (bus, "megaclassify");
  fail_unless (before->len >= 1);
  push_signal (h, FALSE, RATE, 1, 0, SIG_N, 10 * GST_SECOND, 1000, TRUE);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  GPtrArray *after = pop_structures (bus, "megaclassify");
  GArray *ref = ref_detect_signal (0, SIG_N, FALSE, NULL);
  check_detections (after, ref, 10 * GST_SECOND, 0, 0, 0, 1e-6);
  g_array_unref (ref);
  g_ptr_array_unref (before);
  g_ptr_array_unref (after);
  free_harness (h, bus);
}
GST_END_TEST;

GST_START_TEST (test_caps_change_resets_state)
{
  GstBus *bus;
  GstHarness *h = new_harness (make_element (), &bus);
  set_caps (h, "S16LE", 48000, 2);
  push_signal (h, TRUE, 48000, 2, 0, (gint64) (0.6 * 48000), 0, 4800, FALSE);
  GPtrArray *before = pop_structures (bus, "megaclassify");
  fail_unless (before->len >= 1);
  set_caps (h, "F32LE", RATE, 1);
  push_signal (h, FALSE, RATE, 1, 0, SIG_N, 20 * GST_SECOND, 1000, FALSE);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  GPtrArray *after = pop_structures (bus, "megaclassify");
  GArray *ref = ref_detect_signal (0, SIG_N, FALSE, NULL);
  check_detections (after, ref, 20 * GST_SECOND, 0, 0, 0, 1e-6);
  g_array_unref (ref);
  g_ptr_array_unref (before);
  g_ptr_array_unref (after);
  free_harness (h, bus);
}
GST_END_TEST;

/* ---- real pipelines: flush seek, state cycles, two elements ---- */

static gchar *
write_wav (void)
{
  gchar *path = NULL;
  int fd = g_file_open_tmp ("megaclassify-XXXXXX.wav", &path, NULL);
  fail_unless (fd >= 0);
  close (fd);
  guint32 n = (guint32) SIG_N, data_bytes = n * 2;
  guint8 *wav = g_malloc (44 + data_bytes);
  memcpy (wav, "RIFF", 4);
  GST_WRITE_UINT32_LE (wav + 4, 36 + data_bytes);
  memcpy (wav + 8, "WAVEfmt ", 8);
  GST_WRITE_UINT32_LE (wav + 16, 16);
  GST_WRITE_UINT16_LE (wav + 20, 1);
  GST_WRITE_UINT16_LE (wav + 22, 1);
  GST_WRITE_UINT32_LE (wav + 24, RATE);
  GST_WRITE_UINT32_LE (wav + 28, RATE * 2);
  GST_WRITE_UINT16_LE (wav + 32, 2);
  GST_WRITE_UINT16_LE (wav + 34, 16);
  memcpy (wav + 36, "data", 4);
  GST_WRITE_UINT32_LE (wav + 40, data_bytes);
  for (guint32 i = 0; i < n; i++)
    GST_WRITE_UINT16_LE (wav + 44 + 2 * i, (guint16) (gint16) lrint (sig ((double) i / RATE) * 32767));
  fail_unless (g_file_set_contents (path, (const gchar *) wav, 44 + data_bytes, NULL));
  g_free (wav);
  return path;
}

static GstElement *
wav_pipeline (const char *wav, const char *tail)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! wavparse ! megaclassify name=mc "
      "model=\"%s\" threshold=%f smoothing=%" G_GUINT64_FORMAT " suppression=%" G_GUINT64_FORMAT
      " minimum-count=%d end-padding=0 %s", wav, TEST_MODEL, THRESHOLD, (guint64) (WINDOW * 10 * GST_MSECOND),
      (guint64) (SUPPRESS * 10 * GST_MSECOND), MIN_COUNT, tail);
  GError *error = NULL;
  GstElement *p = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  g_free (desc);
  return p;
}

/* Runs until EOS; returns the element messages named `name` from element `src` (NULL: any). */
static GPtrArray *
run_to_eos (GstElement *pipeline, const char *name, const char *src)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND,
        GST_MESSAGE_ELEMENT | GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    fail_unless (msg != NULL, "timeout");
    fail_if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      gst_message_unref (msg);
      break;
    }
    const GstStructure *s = gst_message_get_structure (msg);
    if (gst_structure_has_name (s, name)
        && (!src || strcmp (GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), src) == 0))
      g_ptr_array_add (out, gst_structure_copy (s));
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
  return out;
}

static GstPadProbeReturn
first_pts_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstClockTime *pts = user_data;
  if (!GST_CLOCK_TIME_IS_VALID (*pts))
    *pts = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));
  return GST_PAD_PROBE_OK;
}

GST_START_TEST (test_flush_seek_resets_state)
{
  gchar *wav = write_wav ();
  GstElement *p = wav_pipeline (wav, "! fakesink sync=false");
  GstElement *mc = gst_bin_get_by_name (GST_BIN (p), "mc");
  fail_unless_equals_int (gst_element_set_state (p, GST_STATE_PLAYING), GST_STATE_CHANGE_ASYNC);
  GPtrArray *first = run_to_eos (p, "megaclassify", NULL);
  GArray *ref_full = ref_detect_signal (0, SIG_N, TRUE, NULL);
  check_detections (first, ref_full, 0, 0, 0, 0, 1e-4);

  /* At EOS the model state holds the 2 kHz tone; seek back into the first tone. */
  GstClockTime pts = GST_CLOCK_TIME_NONE;
  GstPad *sink = gst_element_get_static_pad (mc, "sink");
  gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER, first_pts_probe, &pts, NULL);
  fail_unless (gst_element_seek_simple (p, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE, 350 * GST_MSECOND));
  GPtrArray *second = run_to_eos (p, "megaclassify", NULL);
  fail_unless (GST_CLOCK_TIME_IS_VALID (pts));
  gint64 from = (gint64) gst_util_uint64_scale (pts, RATE, GST_SECOND);
  GArray *ref = ref_detect_signal (from, SIG_N, TRUE, NULL);
  fail_unless (ref->len >= 2);
  /* The seek's segment starts at 350 ms (running time 0 there, stream time 350 ms). */
  check_detections (second, ref, pts, 350 * GST_MSECOND, 0, 350 * GST_MSECOND, 1e-4);

  gst_element_set_state (p, GST_STATE_NULL);
  /* A NULL -> PLAYING cycle gives the first run again. */
  fail_unless (gst_element_set_state (p, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  GPtrArray *third = run_to_eos (p, "megaclassify", NULL);
  check_detections (third, ref_full, 0, 0, 0, 0, 1e-4);
  gst_element_set_state (p, GST_STATE_NULL);

  gst_object_unref (sink);
  gst_object_unref (mc);
  gst_object_unref (p);
  g_ptr_array_unref (first);
  g_ptr_array_unref (second);
  g_ptr_array_unref (third);
  g_array_unref (ref);
  g_array_unref (ref_full);
  g_unlink (wav);
  g_free (wav);
}
GST_END_TEST;

/* Two elements after a tee (buffers not writable there: meta needs the shallow copy). */
GST_START_TEST (test_two_elements_after_tee)
{
  gchar *wav = write_wav ();
  gchar *tail = g_strdup_printf ("attach-meta=true ! tee name=t "
      "t. ! queue ! megaclassify name=a model=\"%s\" attach-meta=true threshold=%f smoothing=%"
      G_GUINT64_FORMAT " suppression=%" G_GUINT64_FORMAT " end-padding=0 ! fakesink sync=false "
      "t. ! queue ! megaclassify name=b model=\"%s\" threshold=%f smoothing=%" G_GUINT64_FORMAT
      " suppression=%" G_GUINT64_FORMAT " end-padding=0 ! fakesink sync=false",
      TEST_MODEL, THRESHOLD, (guint64) (WINDOW * 10 * GST_MSECOND),
      (guint64) (SUPPRESS * 10 * GST_MSECOND), TEST_MODEL, THRESHOLD,
      (guint64) (WINDOW * 10 * GST_MSECOND), (guint64) (SUPPRESS * 10 * GST_MSECOND));
  GstElement *p = wav_pipeline (wav, tail);
  gst_element_set_state (p, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus (p);
  GPtrArray *got[3] = { g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free),
    g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free),
    g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free) };
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND,
        GST_MESSAGE_ELEMENT | GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    fail_unless (msg != NULL);
    fail_if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      gst_message_unref (msg);
      break;
    }
    const GstStructure *s = gst_message_get_structure (msg);
    const char *src = GST_OBJECT_NAME (GST_MESSAGE_SRC (msg));
    int which = !strcmp (src, "mc") ? 0 : !strcmp (src, "a") ? 1 : 2;
    if (gst_structure_has_name (s, "megaclassify"))
      g_ptr_array_add (got[which], gst_structure_copy (s));
    gst_message_unref (msg);
  }
  GArray *ref = ref_detect_signal (0, SIG_N, TRUE, NULL);
  for (int i = 0; i < 3; i++) {
    check_detections (got[i], ref, 0, 0, 0, 0, 1e-4);
    g_ptr_array_unref (got[i]);
  }
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (p);
  g_array_unref (ref);
  g_free (tail);
  g_unlink (wav);
  g_free (wav);
}
GST_END_TEST;

/* ---- input oddities ---- */

GST_START_TEST (test_nonfinite_input_is_silence)
{
  GstBus *bus;
  GstHarness *h = new_harness (make_element (), &bus);
  set_caps (h, "F32LE", RATE, 1);
  float *x = signal_16k (0, SIG_N, FALSE);
  float *clean = g_memdup2 (x, SIG_N * sizeof (float));
  for (gint64 i = 0; i < SIG_N; i += 97) {
    x[i] = (i / 97) % 3 == 0 ? NAN : (i / 97) % 3 == 1 ? INFINITY : -INFINITY;
    clean[i] = 0;
  }
  for (gint64 pos = 0; pos < SIG_N; pos += 1000) {
    gsize n = MIN (1000, SIG_N - pos);
    GstBuffer *buf = gst_buffer_new_memdup (x + pos, n * sizeof (float));
    GST_BUFFER_PTS (buf) = pos * NS_PER_SAMPLE;
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  GPtrArray *got = pop_structures (bus, "megaclassify");
  GArray *rows = ref_posteriors (clean, SIG_N);
  GArray *ref = ref_detect (rows);
  fail_unless (ref->len >= 3);
  check_detections (got, ref, 0, 0, 0, 0, 1e-5);
  g_array_unref (rows);
  g_array_unref (ref);
  g_ptr_array_unref (got);
  g_free (x);
  g_free (clean);
  free_harness (h, bus);
}
GST_END_TEST;

/* GAP buffers (filled with junk that must not be read) and a GAP event count as silence. */
GST_START_TEST (test_gap_is_silence)
{
  GstBus *bus;
  GstHarness *h = new_harness (make_element (), &bus);
  set_caps (h, "F32LE", RATE, 1);
  const gint64 chunk = 800;
  guint gaps = 0, gap_events = 0;
  for (gint64 pos = 0; pos < SIG_N; pos += chunk) {
    double t0 = (double) pos / RATE, t1 = (double) (pos + chunk) / RATE;
    gboolean silent = (t1 <= 0.3 + 1e-9) || (t0 >= 0.8 - 1e-9 && t1 <= 1.1 + 1e-9);
    if (silent && pos == 14400) {
      fail_unless (gst_harness_push_event (h, gst_event_new_gap (pos * NS_PER_SAMPLE,
                  chunk * NS_PER_SAMPLE)));
      gap_events++;
      continue;
    }
    GstBuffer *buf = make_buffer (FALSE, RATE, 1, pos, pos + chunk, 0, 0);
    if (silent) {
      gst_buffer_memset (buf, 0, 0x3f, chunk * sizeof (float));   /* 0.75f everywhere */
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_GAP);
      gaps++;
    }
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  }
  fail_unless (gaps >= 8 && gap_events == 1);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  GPtrArray *got = pop_structures (bus, "megaclassify");
  GArray *ref = ref_detect_signal (0, SIG_N, FALSE, NULL);
  check_detections (got, ref, 0, 0, 0, 0, 1e-5);
  g_array_unref (ref);
  g_ptr_array_unref (got);
  free_harness (h, bus);
}
GST_END_TEST;

/* Caps with an absurd rate (the resampler would need 500 GB) must be refused at negotiation:
 * the element advertises the rates it supports, and the application is never killed. */
GST_START_TEST (test_absurd_rate_refused)
{
  GstBus *bus;
  GstHarness *h = new_harness (make_element (), &bus);
  GstPad *sink = gst_element_get_static_pad (h->element, "sink");
  GstCaps *caps = gst_pad_query_caps (sink, NULL);
  const GValue *rate = gst_structure_get_value (gst_caps_get_structure (caps, 0), "rate");
  fail_unless (GST_VALUE_HOLDS_INT_RANGE (rate));
  fail_unless_equals_int (gst_value_get_int_range_min (rate), 1);
  fail_unless_equals_int (gst_value_get_int_range_max (rate), 1000000);
  gst_caps_unref (caps);
  gst_object_unref (sink);

  set_caps (h, "F32LE", G_MAXINT, 1);
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 1000 * sizeof (float), NULL);
  gst_buffer_memset (buf, 0, 0, 1000 * sizeof (float));
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_NOT_NEGOTIATED);

  /* The highest advertised rate still works, and its audio is classified. */
  set_caps (h, "F32LE", 1000000, 1);
  buf = gst_buffer_new_allocate (NULL, 100000 * sizeof (float), NULL);
  gst_buffer_memset (buf, 0, 0, 100000 * sizeof (float));
  GST_BUFFER_PTS (buf) = 0;
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  GPtrArray *sums = pop_structures (bus, "megaclassify-summary");
  fail_unless_equals_int (sums->len, 1);
  /* 0.1 s at 16 kHz: (1600 - 400) / 160 + 1 frames */
  fail_unless_equals_uint64 (get_u64 (g_ptr_array_index (sums, 0), "frames"), 8);
  fail_unless_equals_string (gst_structure_get_string (g_ptr_array_index (sums, 0), "label"),
      "_silence_");
  g_ptr_array_unref (sums);
  free_harness (h, bus);
}
GST_END_TEST;

/* At EOS the element runs end-padding (250 ms by default) of zeros through the model: its
 * results are the reference's on the audio followed by those zeros, and a detection decided
 * in the padding is reported with its window clipped to the end of the audio. */
GST_START_TEST (test_end_padding)
{
  GstElement *probe = gst_element_factory_make ("megaclassify", NULL);
  guint64 pad_ns = 0;
  g_object_get (probe, "end-padding", &pad_ns, NULL);
  fail_unless_equals_uint64 (pad_ns, 250 * GST_MSECOND);
  gst_object_unref (probe);

  const gint64 pad = 4000;             /* 250 ms at 16 kHz */
  float *x = g_new0 (float, SIG_N + pad);
  float *audio = signal_16k (0, SIG_N, FALSE);
  memcpy (x, audio, SIG_N * sizeof (float));
  g_free (audio);
  GArray *rows = ref_posteriors (x, SIG_N + pad);
  g_free (x);
  guint64 n = rows->len / K;
  fail_unless_equals_uint64 (n, (SIG_N + pad - FLEN) / SHIFT + 1);

  /* The 2 kHz tone ("no") lasts to the end of the audio. A suppression that allows the next
   * "no" exactly on the first frame reaching into the padding makes a detection there. */
  guint64 f_pad = (SIG_N - FLEN) / SHIFT + 1, f0 = G_MAXUINT64;
  GArray *first = ref_detect (rows);
  for (guint i = 0; i < first->len && f0 == G_MAXUINT64; i++)
    if (g_array_index (first, RefDet, i).label == 3)
      f0 = g_array_index (first, RefDet, i).frame;
  g_array_unref (first);
  fail_unless (f0 < f_pad);
  GArray *ref = ref_detect_suppressing (rows, f_pad - f0);
  const RefDet *last = &g_array_index (ref, RefDet, ref->len - 1);
  fail_unless (ref->len >= 2 && last->frame == f_pad && last->label == 3,
      "the reference has no detection on the first padded frame");

  GstBus *bus;
  GstElement *e = make_element ();
  g_object_set (e, "end-padding", pad_ns, "suppression",
      (guint64) ((f_pad - f0) * 10 * GST_MSECOND), NULL);
  GstHarness *h = new_harness (e, &bus);
  set_caps (h, "F32LE", RATE, 1);
  push_signal (h, FALSE, RATE, 1, 0, SIG_N, 0, 777, FALSE);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  GPtrArray *got = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  GPtrArray *sums = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  GstMessage *msg;
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *st = gst_message_get_structure (msg);
    if (gst_structure_has_name (st, "megaclassify"))
      g_ptr_array_add (got, gst_structure_copy (st));
    else if (gst_structure_has_name (st, "megaclassify-summary"))
      g_ptr_array_add (sums, gst_structure_copy (st));
    gst_message_unref (msg);
  }
  fail_unless_equals_int (got->len, ref->len);
  for (guint i = 0; i < ref->len; i++) {
    const GstStructure *s = g_ptr_array_index (got, i);
    const RefDet *d = &g_array_index (ref, RefDet, i);
    guint64 end = d->frame * SHIFT + FLEN, span = (d->frame - d->first) * SHIFT + FLEN;
    guint64 over = end > (guint64) SIG_N ? end - SIG_N : 0;
    fail_unless_equals_string (gst_structure_get_string (s, "label"), LABELS[d->label]);
    fail_unless (fabs (get_double (s, "confidence") - d->conf) <= 1e-5);
    fail_unless_equals_uint64 (get_u64 (s, "timestamp"), (end - over) * NS_PER_SAMPLE);
    fail_unless_equals_uint64 (get_u64 (s, "duration"), (span - over) * NS_PER_SAMPLE);
    fail_unless_equals_uint64 (get_u64 (s, "end"),
        MIN (d->end * SHIFT + FLEN, (guint64) SIG_N) * NS_PER_SAMPLE);
  }
  fail_unless (get_u64 (g_ptr_array_index (got, got->len - 1), "timestamp")
      == (guint64) SIG_N * NS_PER_SAMPLE);
  g_ptr_array_unref (got);

  fail_unless_equals_int (sums->len, 1);
  const GstStructure *sum = g_ptr_array_index (sums, 0);
  fail_unless_equals_uint64 (get_u64 (sum, "frames"), n);
  fail_unless_equals_uint64 (get_u64 (sum, "duration"), (guint64) SIG_N * NS_PER_SAMPLE);
  g_ptr_array_unref (sums);
  g_array_unref (ref);
  g_array_unref (rows);
  free_harness (h, bus);
}
GST_END_TEST;

GST_START_TEST (test_no_message_from_empty_window)
{
  GstBus *bus;
  GstElement *e = make_element ();
  g_object_set (e, "interval", (guint64) GST_MSECOND, NULL);
  GstHarness *h = new_harness (e, &bus);
  set_caps (h, "F32LE", RATE, 1);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT) == NULL);
  free_harness (h, bus);

  /* Less than one frame of audio: the summary still reports the one padded frame. */
  h = new_harness (make_element (), &bus);
  set_caps (h, "F32LE", RATE, 1);
  push_signal (h, FALSE, RATE, 1, 0, 200, 0, 100, FALSE);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT) == NULL);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  GPtrArray *sums = pop_structures (bus, "megaclassify-summary");
  fail_unless_equals_int (sums->len, 1);
  fail_unless_equals_uint64 (get_u64 (g_ptr_array_index (sums, 0), "frames"), 1);
  fail_unless_equals_uint64 (get_u64 (g_ptr_array_index (sums, 0), "duration"),
      200 * NS_PER_SAMPLE);
  g_ptr_array_unref (sums);
  free_harness (h, bus);
}
GST_END_TEST;

/* ---- long GAPs ---- */

static double
thread_cpu_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The signal, `silence` ns of silence (a GAP event, or zero buffers when !as_gap), the signal
 * again, EOS. Returns the detection and posteriors messages from the second signal on (their
 * timestamps made relative to its start) and the summary; *gap_cpu gets the silence's CPU. */
static void
run_with_silence (int rate, GstClockTime silence, gboolean as_gap, GPtrArray **after,
    GstStructure **summary, double *gap_cpu)
{
  GstBus *bus;
  GstElement *e = make_element ();
  g_object_set (e, "interval", (guint64) (250 * GST_MSECOND), NULL);
  GstHarness *h = new_harness (e, &bus);
  set_caps (h, "F32LE", rate, 1);
  gint64 sig_n = (gint64) (SIG_SECONDS * rate);
  push_signal (h, FALSE, rate, 1, 0, sig_n, 0, 800, FALSE);
  GstClockTime t0 = gst_util_uint64_scale_int (sig_n, GST_SECOND, rate), t1 = t0 + silence;
  g_ptr_array_unref (pop_structures (bus, "megaclassify"));
  double cpu = thread_cpu_seconds ();
  if (as_gap) {
    fail_unless (gst_harness_push_event (h, gst_event_new_gap (t0, silence)));
  } else {
    const gint64 chunk = rate;
    gint64 n = (gint64) gst_util_uint64_scale_int_round (silence, rate, GST_SECOND);
    for (gint64 pos = 0; pos < n; pos += chunk) {
      gsize len = MIN (chunk, n - pos);
      GstBuffer *buf = gst_buffer_new_allocate (NULL, len * sizeof (float), NULL);
      gst_buffer_memset (buf, 0, 0, len * sizeof (float));
      GST_BUFFER_PTS (buf) = t0 + gst_util_uint64_scale_int (pos, GST_SECOND, rate);
      fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
      gst_buffer_unref (gst_harness_pull (h));
    }
  }
  *gap_cpu = thread_cpu_seconds () - cpu;
  GstMessage *msg;
  while ((msg = gst_bus_pop (bus)))    /* what the silence itself gave is not compared */
    gst_message_unref (msg);
  push_signal (h, FALSE, rate, 1, 0, sig_n, t1, 800, FALSE);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  *after = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  *summary = NULL;
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    GstStructure *s = gst_structure_copy (gst_message_get_structure (msg));
    gst_message_unref (msg);
    if (gst_structure_has_name (s, "megaclassify-summary")) {
      *summary = s;
      continue;
    }
    guint64 ts = get_u64 (s, "timestamp");
    fail_unless (ts >= t1);
    gst_structure_set (s, "timestamp", G_TYPE_UINT64, ts - t1, NULL);
    gst_structure_remove_fields (s, "stream-time", "running-time", "start", "end", NULL);
    g_ptr_array_add (*after, s);
  }
  fail_unless (*summary != NULL);
  free_harness (h, bus);
}

static gboolean
same_value (const GValue *x, const GValue *y, double tol)
{
  if (G_VALUE_HOLDS_DOUBLE (x) && G_VALUE_HOLDS_DOUBLE (y))
    return fabs (g_value_get_double (x) - g_value_get_double (y)) <= tol;
  if (GST_VALUE_HOLDS_ARRAY (x) && GST_VALUE_HOLDS_ARRAY (y)) {
    guint n = gst_value_array_get_size (x);
    if (n != gst_value_array_get_size (y))
      return FALSE;
    for (guint i = 0; i < n; i++)
      if (!same_value (gst_value_array_get_value (x, i), gst_value_array_get_value (y, i), tol))
        return FALSE;
    return TRUE;
  }
  return gst_value_compare (x, y) == GST_VALUE_EQUAL;
}

/* The same messages: names and every field equal, doubles (confidence, scores) within tol
 * (a skipped GAP and batched frames both change only float rounding in the model). */
static void
check_same_messages (GPtrArray *a, GPtrArray *b, double tol)
{
  fail_unless_equals_int (a->len, b->len);
  for (guint i = 0; i < a->len; i++) {
    const GstStructure *x = g_ptr_array_index (a, i), *y = g_ptr_array_index (b, i);
    fail_unless_equals_string (gst_structure_get_name (x), gst_structure_get_name (y));
    fail_unless_equals_int (gst_structure_n_fields (x), gst_structure_n_fields (y));
    for (gint f = 0; f < gst_structure_n_fields (x); f++) {
      const char *name = gst_structure_nth_field_name (x, f);
      const GValue *vy = gst_structure_get_value (y, name);
      fail_unless (vy != NULL, "message %u: no field %s", i, name);
      fail_unless (same_value (gst_structure_get_value (x, name), vy, tol),
          "message %u (%s): field %s differs", i, gst_structure_get_name (x), name);
    }
  }
}

/* A GAP costs what the model's memory costs, not what its duration would: after it the
 * results equal those of a run that processed the whole silence as audio. At 16 kHz (no
 * resampler), 44.1 kHz (a resampler period of 441 input samples) and 22.05 kHz + 1 Hz
 * (coprime with 16 kHz: the resampler's phase repeats only every second, 22051 samples). */
static void
check_long_gap (int rate, GstClockTime silence)
{
  GPtrArray *gap, *ref;
  GstStructure *gap_sum, *ref_sum;
  double gap_cpu, ref_cpu;
  run_with_silence (rate, silence, TRUE, &gap, &gap_sum, &gap_cpu);
  run_with_silence (rate, silence, FALSE, &ref, &ref_sum, &ref_cpu);
  GST_INFO ("%d Hz, %" G_GUINT64_FORMAT " s of silence: GAP %.3f s CPU, as audio %.3f s", rate,
      silence / GST_SECOND, gap_cpu, ref_cpu);
  fail_unless (gap->len >= 8, "only %u results after the silence", gap->len);
  check_same_messages (gap, ref, 1e-5);
  fail_unless_equals_uint64 (get_u64 (gap_sum, "frames"), get_u64 (ref_sum, "frames"));
  fail_unless_equals_uint64 (get_u64 (gap_sum, "duration"), get_u64 (ref_sum, "duration"));
  g_ptr_array_unref (gap);
  g_ptr_array_unref (ref);
  gst_structure_free (gap_sum);
  gst_structure_free (ref_sum);
}

GST_START_TEST (test_long_gap_equals_processed_silence)
{
  check_long_gap (RATE, 120 * GST_SECOND);
  check_long_gap (44100, 120 * GST_SECOND);
  check_long_gap (22051, 300 * GST_SECOND);
}
GST_END_TEST;

/* One day of GAP in under a second of CPU (every frame used to run: about 8 minutes with the
 * default model), with exact frame count and timestamps after it. The reference processes the
 * whole day of silence as audio when MEGA_TEST_FULL_DAY is set (the plugin-long-gap test, about
 * a minute); otherwise 120 s of it, which past the model's memory gives the same results. */
GST_START_TEST (test_day_long_gap_is_cheap)
{
  const GstClockTime day = 24 * 3600 * GST_SECOND;
  gboolean full = g_getenv ("MEGA_TEST_FULL_DAY") != NULL;
  GPtrArray *gap, *ref;
  GstStructure *gap_sum, *ref_sum;
  double gap_cpu, ref_cpu;
  run_with_silence (RATE, day, TRUE, &gap, &gap_sum, &gap_cpu);
  run_with_silence (RATE, full ? day : 120 * GST_SECOND, FALSE, &ref, &ref_sum, &ref_cpu);
  GST_INFO ("one day of GAP: %.3f s CPU; %s of silence as audio: %.3f s CPU", gap_cpu,
      full ? "one day" : "120 s", ref_cpu);
  fail_unless (gap_cpu < 1.0, "a day of GAP took %.2f s of CPU", gap_cpu);
  check_same_messages (gap, ref, 1e-5);
  if (full)
    fail_unless_equals_uint64 (get_u64 (gap_sum, "frames"), get_u64 (ref_sum, "frames"));
  guint64 n = 2 * SIG_N + day / NS_PER_SAMPLE;
  fail_unless_equals_uint64 (get_u64 (gap_sum, "frames"), (n - FLEN) / SHIFT + 1);
  fail_unless_equals_uint64 (get_u64 (gap_sum, "duration"), n * NS_PER_SAMPLE);
  g_ptr_array_unref (gap);
  g_ptr_array_unref (ref);
  gst_structure_free (gap_sum);
  gst_structure_free (ref_sum);
}
GST_END_TEST;

/* ---- batching: frames held back across buffers when upstream is not live ---- */

/* Every element message on the bus, in order (copies). */
static GPtrArray *
pop_all_structures (GstBus *bus)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  GstMessage *msg;
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    g_ptr_array_add (out, gst_structure_copy (gst_message_get_structure (msg)));
    gst_message_unref (msg);
  }
  return out;
}

static GstHarness *
new_harness_live (GstElement *e, GstBus **bus, gboolean live)
{
  GstHarness *h = new_harness (e, bus);
  gst_harness_set_live (h, live);   /* before the caps: the element asks when they come */
  return h;
}

/* Element messages after the first 0.6 s of the signal (58 frames, under 64): none when the
 * element holds frames back for a batch. */
static guint
early_messages (gboolean live, guint batch_frames)
{
  GstBus *bus;
  GstElement *e = make_element ();
  g_object_set (e, "interval", (guint64) (100 * GST_MSECOND), "batch-frames", batch_frames,
      NULL);
  GstHarness *h = new_harness_live (e, &bus, live);
  set_caps (h, "F32LE", RATE, 1);
  push_signal (h, FALSE, RATE, 1, 0, (gint64) (0.6 * RATE), 0, 1000, FALSE);
  GPtrArray *got = pop_all_structures (bus);
  guint n = got->len;
  g_ptr_array_unref (got);
  free_harness (h, bus);
  return n;
}

/* Automatic batching follows the source's liveness; batch-frames overrides it. */
GST_START_TEST (test_batching_follows_liveness)
{
  GstElement *e = gst_element_factory_make ("megaclassify", NULL);
  guint batch = 99;
  g_object_get (e, "batch-frames", &batch, NULL);
  fail_unless_equals_int (batch, 0);
  GParamSpecUInt *spec = G_PARAM_SPEC_UINT (g_object_class_find_property (G_OBJECT_GET_CLASS (e),
          "batch-frames"));
  fail_unless_equals_int (spec->maximum, MEGA_STREAM_MAX_BATCH);
  gst_object_unref (e);

  fail_unless (early_messages (TRUE, 0) >= 4, "a live source's frames run at once");
  fail_unless_equals_int (early_messages (FALSE, 0), 0);
  fail_unless (early_messages (FALSE, 1) >= 4, "batch-frames=1 runs a file's frames at once");
  fail_unless_equals_int (early_messages (TRUE, 64), 0);
}
GST_END_TEST;

/* At EOS the frames held back run before the end and the summary: nothing is lost. */
GST_START_TEST (test_batched_eos_loses_nothing)
{
  GstBus *bus;
  GstElement *e = make_element ();
  g_object_set (e, "interval", (guint64) (100 * GST_MSECOND), NULL);
  GstHarness *h = new_harness_live (e, &bus, FALSE);
  set_caps (h, "F32LE", RATE, 1);
  push_signal (h, FALSE, RATE, 1, 0, SIG_N, 0, 777, FALSE);
  GPtrArray *all = pop_all_structures (bus);
  guint before = all->len;
  fail_unless (before < 4 + 17, "frames should be held back before EOS");
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  GPtrArray *rest = pop_all_structures (bus);
  for (guint i = 0; i < rest->len; i++)
    g_ptr_array_add (all, gst_structure_copy (g_ptr_array_index (rest, i)));
  g_ptr_array_unref (rest);

  GArray *rows;
  GArray *ref = ref_detect_signal (0, SIG_N, FALSE, &rows);
  fail_unless_equals_int (ref->len, 4);
  GPtrArray *dets = g_ptr_array_new ();
  guint posteriors = 0, sums = 0;
  for (guint i = 0; i < all->len; i++) {
    const GstStructure *st = g_ptr_array_index (all, i);
    if (gst_structure_has_name (st, "megaclassify"))
      g_ptr_array_add (dets, (gpointer) st);
    else if (gst_structure_has_name (st, "megaclassify-posteriors"))
      posteriors++;
    else if (gst_structure_has_name (st, "megaclassify-summary"))
      sums++;
  }
  check_detections (dets, ref, 0, 0, 0, 0, 1e-4);
  fail_unless_equals_int (posteriors, 17);
  fail_unless_equals_int (sums, 1);
  const GstStructure *sum = g_ptr_array_index (all, all->len - 1);
  fail_unless (gst_structure_has_name (sum, "megaclassify-summary"));
  fail_unless_equals_uint64 (get_u64 (sum, "frames"), rows->len / K);
  g_ptr_array_unref (dets);
  g_ptr_array_unref (all);
  g_array_unref (ref);
  g_array_unref (rows);
  free_harness (h, bus);
}
GST_END_TEST;

/* Every point where held-back frames must run first, in one stream: a caps change, a new
 * segment (its times map the results), a long GAP (skipped frames come after them), a
 * DISCONT, EOS with end-padding. A source that is not live gives exactly the messages of a
 * live one, which runs every buffer's frames at once. */
static GPtrArray *
run_interruptions (gboolean live)
{
  GstBus *bus;
  GstElement *e = make_element ();
  g_object_set (e, "interval", (guint64) (100 * GST_MSECOND),
      "end-padding", (guint64) (250 * GST_MSECOND), NULL);
  GstHarness *h = new_harness_live (e, &bus, live);
  set_caps (h, "S16LE", 48000, 2);
  push_signal (h, TRUE, 48000, 2, 0, (gint64) (0.6 * 48000), 0, 4800, FALSE);
  set_caps (h, "F32LE", RATE, 1);
  const gint64 t06 = (gint64) (0.6 * RATE), t12 = (gint64) (1.2 * RATE);
  push_signal (h, FALSE, RATE, 1, 0, t06, 20 * GST_SECOND, 1000, FALSE);
  GstSegment seg;
  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.base = 100 * GST_SECOND;
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  push_signal (h, FALSE, RATE, 1, t06, t12, 20 * GST_SECOND + 600 * GST_MSECOND, 1000, FALSE);
  fail_unless (gst_harness_push_event (h, gst_event_new_gap (21200 * GST_MSECOND,
              120 * GST_SECOND)));
  push_signal (h, FALSE, RATE, 1, 0, SIG_N, 200 * GST_SECOND, 1000, TRUE);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  GPtrArray *all = pop_all_structures (bus);
  free_harness (h, bus);
  return all;
}

GST_START_TEST (test_batched_equals_live_across_interruptions)
{
  GPtrArray *live = run_interruptions (TRUE);
  GPtrArray *file = run_interruptions (FALSE);
  guint detections = 0, first_caps = 0;
  for (guint i = 0; i < live->len; i++) {
    const GstStructure *st = g_ptr_array_index (live, i);
    if (!gst_structure_has_name (st, "megaclassify"))
      continue;
    detections++;
    first_caps += get_u64 (st, "timestamp") < GST_SECOND;
  }
  /* the held-back frames matter at each point: detections before the caps change, several
   * in all (both tones, twice) */
  fail_unless (first_caps >= 1 && detections >= 6, "%u detections, %u before the caps change",
      detections, first_caps);
  check_same_messages (file, live, 1e-5);
  g_ptr_array_unref (live);
  g_ptr_array_unref (file);
}
GST_END_TEST;

/* Detection events and GAP events downstream, in order. */
static GstPadProbeReturn
gap_order_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GArray *seen = user_data;
  GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
  GstClockTime ts = GST_CLOCK_TIME_NONE;
  if (GST_EVENT_TYPE (ev) == GST_EVENT_GAP)
    gst_event_parse_gap (ev, &ts, NULL);
  else if (GST_EVENT_TYPE (ev) == GST_EVENT_CUSTOM_DOWNSTREAM)
    fail_unless (gst_structure_get_uint64 (gst_event_get_structure (ev), "timestamp", &ts));
  else
    return GST_PAD_PROBE_OK;
  Seen e = { GST_EVENT_TYPE (ev) == GST_EVENT_GAP, ts, NULL };
  g_array_append_val (seen, e);
  return GST_PAD_PROBE_OK;
}

/* A GAP that comes while frames are held back: their detections go downstream before the
 * GAP, those of the audio after it after it, all in time order. */
GST_START_TEST (test_batched_gap_keeps_order)
{
  GstBus *bus;
  GstHarness *h = new_harness_live (make_element (), &bus, FALSE);
  GArray *seen = g_array_new (FALSE, FALSE, sizeof (Seen));
  gst_pad_add_probe (h->sinkpad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, gap_order_probe, seen,
      NULL);
  set_caps (h, "F32LE", RATE, 1);
  const gint64 t06 = (gint64) (0.6 * RATE);
  const GstClockTime gap_at = t06 * NS_PER_SAMPLE, gap_len = 120 * GST_SECOND;
  push_signal (h, FALSE, RATE, 1, 0, t06, 0, 1000, FALSE);
  GPtrArray *held = pop_structures (bus, "megaclassify");
  fail_unless_equals_int (held->len, 0);    /* the first detection waits in a batch */
  g_ptr_array_unref (held);
  fail_unless (gst_harness_push_event (h, gst_event_new_gap (gap_at, gap_len)));
  push_signal (h, FALSE, RATE, 1, 0, SIG_N, gap_at + gap_len, 1000, FALSE);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));

  guint before = 0, after = 0, gaps = 0;
  GstClockTime last = 0;
  for (guint i = 0; i < seen->len; i++) {
    Seen *x = &g_array_index (seen, Seen, i);
    if (x->is_event) {     /* here: the GAP */
      gaps++;
      continue;
    }
    fail_unless (x->pts >= last, "detection events out of order");
    last = x->pts;
    if (gaps == 0) {
      fail_unless (x->pts <= gap_at);
      before++;
    } else {
      fail_unless (x->pts > gap_at);
      after++;
    }
  }
  fail_unless_equals_int (gaps, 1);
  fail_unless (before >= 1 && after >= 2, "%u detections before the GAP, %u after", before,
      after);
  g_array_unref (seen);
  free_harness (h, bus);
}
GST_END_TEST;

/* ---- properties and errors ---- */

static gpointer
poke_properties (gpointer data)
{
  GstElement *e = data;
  GRand *r = g_rand_new_with_seed (GPOINTER_TO_UINT (g_thread_self ()));
  for (int i = 0; i < 300; i++) {
    g_object_set (e, "threshold", g_rand_double (r),
        "smoothing", (guint64) g_rand_int_range (r, 0, 2000) * GST_MSECOND,
        "suppression", (guint64) g_rand_int_range (r, 0, 2000) * GST_MSECOND,
        "minimum-count", (guint) g_rand_int_range (r, 1, 30),
        "interval", (guint64) g_rand_int_range (r, 0, 200) * GST_MSECOND,
        "top-k", (guint) g_rand_int_range (r, 1, 10),
        "post-messages", g_rand_boolean (r), "emit-events", g_rand_boolean (r),
        "attach-meta", g_rand_boolean (r), NULL);
    gchar **labels = NULL;
    gdouble thr;
    g_object_get (e, "labels", &labels, "threshold", &thr, NULL);
    fail_unless (labels && g_strv_length (labels) == K);
    g_strfreev (labels);
    g_usleep (100);
  }
  g_rand_free (r);
  return NULL;
}

GST_START_TEST (test_properties_from_threads)
{
  GstBus *bus;
  GstHarness *h = new_harness (make_element (), &bus);
  set_caps (h, "F32LE", RATE, 1);
  GThread *threads[3];
  for (int i = 0; i < 3; i++)
    threads[i] = g_thread_new ("poke", poke_properties, h->element);
  for (int round = 0; round < 3; round++) {
    push_signal (h, FALSE, RATE, 1, 0, SIG_N, round * 10 * GST_SECOND, 640, TRUE);
    GstBuffer *b;
    while ((b = gst_harness_try_pull (h)))
      gst_buffer_unref (b);
  }
  for (int i = 0; i < 3; i++)
    g_thread_join (threads[i]);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  GstMessage *msg;
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (msg);
    double c = get_double (s, "confidence");
    fail_unless (c >= 0 && c <= 1);
    gst_message_unref (msg);
  }
  free_harness (h, bus);
}
GST_END_TEST;

/* A slow model load (here a FIFO: opening it blocks until a writer comes) must not hold the
 * object lock: other threads keep reading and writing properties meanwhile. */
typedef struct {
  GstElement *e;
  GMutex lock;
  GCond cond;
  gboolean done;
  gchar **labels;
} PropAccess;

static gpointer
read_labels (gpointer data)
{
  PropAccess *a = data;
  gchar **labels = NULL;
  g_object_get (a->e, "labels", &labels, NULL);
  g_mutex_lock (&a->lock);
  a->labels = labels;
  a->done = TRUE;
  g_cond_signal (&a->cond);
  g_mutex_unlock (&a->lock);
  return NULL;
}

static gpointer
touch_properties (gpointer data)
{
  PropAccess *a = data;
  gdouble thr = 0;
  g_object_set (a->e, "threshold", 0.25, "smoothing", (guint64) (100 * GST_MSECOND), NULL);
  g_object_get (a->e, "threshold", &thr, NULL);
  fail_unless_equals_float (thr, 0.25);
  g_mutex_lock (&a->lock);
  a->done = TRUE;
  g_cond_signal (&a->cond);
  g_mutex_unlock (&a->lock);
  return NULL;
}

/* Waits up to `seconds` for a->done. */
static gboolean
wait_done (PropAccess *a, double seconds)
{
  gint64 until = g_get_monotonic_time () + (gint64) (seconds * G_TIME_SPAN_SECOND);
  g_mutex_lock (&a->lock);
  while (!a->done && g_cond_wait_until (&a->cond, &a->lock, until))
    ;
  gboolean done = a->done;
  g_mutex_unlock (&a->lock);
  return done;
}

GST_START_TEST (test_slow_model_load_does_not_block_properties)
{
  gchar *dir = g_dir_make_tmp ("megaclassify-fifo-XXXXXX", NULL);
  gchar *fifo = g_build_filename (dir, "slow.safetensors", NULL);
  fail_unless (mkfifo (fifo, 0600) == 0);
  GstElement *e = gst_element_factory_make ("megaclassify", NULL);
  g_object_set (e, "model", fifo, NULL);

  PropAccess loader = { .e = e }, other = { .e = e };
  g_mutex_init (&loader.lock);
  g_cond_init (&loader.cond);
  g_mutex_init (&other.lock);
  g_cond_init (&other.cond);
  GThread *lt = g_thread_new ("labels", read_labels, &loader);
  g_usleep (200 * 1000);       /* let it reach the blocking open */
  GThread *ot = g_thread_new ("props", touch_properties, &other);
  gboolean free_to_go = wait_done (&other, 5.0);
  fail_unless (!wait_done (&loader, 0.0), "the load did not block: the FIFO test is void");

  /* release the load: a writer that writes nothing, so the FIFO is refused as a model */
  int fd = open (fifo, O_WRONLY);
  fail_unless (fd >= 0);
  close (fd);
  g_thread_join (lt);
  g_thread_join (ot);
  fail_unless (free_to_go, "property access waited for the model load");
  fail_unless (loader.labels != NULL && loader.labels[0] == NULL);
  g_strfreev (loader.labels);

  /* and a real model still loads and is published */
  g_object_set (e, "model", TEST_MODEL, NULL);
  gchar **labels = NULL;
  g_object_get (e, "labels", &labels, NULL);
  fail_unless_equals_int (g_strv_length (labels), K);
  g_strfreev (labels);
  gst_object_unref (e);
  g_mutex_clear (&loader.lock);
  g_cond_clear (&loader.cond);
  g_mutex_clear (&other.lock);
  g_cond_clear (&other.cond);
  g_unlink (fifo);
  g_rmdir (dir);
  g_free (fifo);
  g_free (dir);
}
GST_END_TEST;

GST_START_TEST (test_model_refused_when_playing)
{
  GstBus *bus;
  GstHarness *h = new_harness (make_element (), &bus);
  /* refused with an element warning on the bus (a g_warning would abort here: gst-check makes
   * them fatal) */
  g_object_set (h->element, "model", "/tmp/other.safetensors", NULL);
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  GError *error = NULL;
  gst_message_parse_warning (msg, &error, NULL);
  fail_unless (g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS));
  g_error_free (error);
  gst_message_unref (msg);
  gchar *model = NULL;
  g_object_get (h->element, "model", &model, NULL);
  fail_unless_equals_string (model, TEST_MODEL);
  g_free (model);
  free_harness (h, bus);
}
GST_END_TEST;

static void
check_load_error (const char *path, gint code)
{
  GstElement *e = gst_element_factory_make ("megaclassify", NULL);
  g_object_set (e, "model", path, NULL);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (e, bus);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  GError *error = NULL;
  gchar *debug = NULL;
  gst_message_parse_error (msg, &error, &debug);
  fail_unless (error->domain == GST_RESOURCE_ERROR);
  fail_unless_equals_int (error->code, code);
  fail_unless (strstr (error->message, path) != NULL, "message \"%s\" lacks the path",
      error->message);
  g_error_free (error);
  g_free (debug);
  gst_message_unref (msg);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
}

GST_START_TEST (test_bad_model_errors)
{
  check_load_error ("/nonexistent/dir/model.safetensors", GST_RESOURCE_ERROR_NOT_FOUND);
  gchar *path = NULL;
  int fd = g_file_open_tmp ("megaclassify-bad-XXXXXX.safetensors", &path, NULL);
  close (fd);
  fail_unless (g_file_set_contents (path, "this is not a model file at all", -1, NULL));
  check_load_error (path, GST_RESOURCE_ERROR_SETTINGS);
  /* A truncated copy of a valid model. */
  gchar *good = NULL;
  gsize len = 0;
  fail_unless (g_file_get_contents (TEST_MODEL, &good, &len, NULL));
  fail_unless (g_file_set_contents (path, good, len / 2, NULL));
  check_load_error (path, GST_RESOURCE_ERROR_SETTINGS);
  g_free (good);
  g_unlink (path);
  g_free (path);
}
GST_END_TEST;

GST_START_TEST (test_labels_and_default_model)
{
  GstElement *e = gst_element_factory_make ("megaclassify", NULL);
  g_object_set (e, "model", TEST_MODEL, NULL);
  gchar **labels = NULL;
  g_object_get (e, "labels", &labels, NULL);   /* readable before the element ever ran */
  fail_unless_equals_int (g_strv_length (labels), K);
  for (int k = 0; k < K; k++)
    fail_unless_equals_string (labels[k], LABELS[k]);
  g_strfreev (labels);
  gst_object_unref (e);

  g_setenv ("MEGA_MODEL_PATH", TEST_MODEL, TRUE);
  e = gst_element_factory_make ("megaclassify", NULL);
  gchar *model = NULL;
  g_object_get (e, "model", &model, NULL);
  fail_unless_equals_string (model, TEST_MODEL);
  g_free (model);
  g_unsetenv ("MEGA_MODEL_PATH");
  gst_object_unref (e);
}
GST_END_TEST;

static Suite *
megaclassify_suite (void)
{
  Suite *s = suite_create ("megaclassify");
  TCase *tc = tcase_create ("general");
  /* the full-day reference (plugin-long-gap) runs a day of audio through the model */
  tcase_set_timeout (tc, g_getenv ("MEGA_TEST_FULL_DAY") ? 600 : 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_detection_messages_and_summary);
  tcase_add_test (tc, test_summary_at_eos);
  tcase_add_test (tc, test_end_padding);
  tcase_add_test (tc, test_event_order_and_meta);
  tcase_add_test (tc, test_flags_turn_outputs_off);
  tcase_add_test (tc, test_posteriors_interval);
  tcase_add_test (tc, test_format_matrix);
  tcase_add_test (tc, test_discont_resets_state);
  tcase_add_test (tc, test_caps_change_resets_state);
  tcase_add_test (tc, test_flush_seek_resets_state);
  tcase_add_test (tc, test_two_elements_after_tee);
  tcase_add_test (tc, test_nonfinite_input_is_silence);
  tcase_add_test (tc, test_gap_is_silence);
  tcase_add_test (tc, test_no_message_from_empty_window);
  tcase_add_test (tc, test_absurd_rate_refused);
  tcase_add_test (tc, test_long_gap_equals_processed_silence);
  tcase_add_test (tc, test_day_long_gap_is_cheap);
  tcase_add_test (tc, test_batching_follows_liveness);
  tcase_add_test (tc, test_batched_eos_loses_nothing);
  tcase_add_test (tc, test_batched_equals_live_across_interruptions);
  tcase_add_test (tc, test_batched_gap_keeps_order);
  tcase_add_test (tc, test_properties_from_threads);
  tcase_add_test (tc, test_model_refused_when_playing);
  tcase_add_test (tc, test_slow_model_load_does_not_block_properties);
  tcase_add_test (tc, test_bad_model_errors);
  tcase_add_test (tc, test_labels_and_default_model);
  return s;
}

GST_CHECK_MAIN (megaclassify);
