/* mega-soak: the soak as a benchmark (issue 13, item 6). Hours of audio through
 *
 *   appsrc ! megaclassify interval=1s ! fakesink sync=false
 *
 * as fast as it goes, in three parts of N + 0.5 seconds each (N = hours * 3600 / 3):
 *   0. 16 kHz mono S16 from position 0;
 *   1. a caps change to 48 kHz stereo, the positions going on;
 *   2. a flushing seek back to the middle of part 1, whose second half is heard again.
 * The audio cycles through speech, silence and noise (soak_audio.h).
 *
 * Prints JSON lines on stdout (one per RSS sample, then one summary; bench/soak_report.py
 * makes section 8 of bench/RESULTS.md from them), a summary on stderr, and exits 1 when a
 * check fails:
 *   - nothing lost: every part posts exactly N megaclassify-posteriors messages (the half
 *     second absorbs the frame length and the resampler's delay, whatever the model);
 *   - no drift: the k-th message of a part is stamped k s after the part's start, within one
 *     frame shift, on every message of the run (after the seek: k s after the seek position);
 *   - stream-time and running-time follow the segments (running time restarts after the seek);
 *   - each detection message has its downstream event, except those the flush drops;
 *   - the EOS summary counts exactly the frames of the audio after the seek;
 *   - the heap in use and the RSS grow by at most --max-growth-kb and --max-rss-growth-kb
 *     between the first memory sample and the end.
 *
 *   mega-soak --model models/default.safetensors --hours 24 --speech-dir data/streams
 */
#include <gst/app/app.h>
#include <gst/audio/audio.h>
#include <gst/gst.h>
#include <malloc.h>
#include <time.h>

#include "bench_util.h"
#include "mega.h"
#include "soak.h"
#include "soak_audio.h"

#define QUEUE 8            /* buffers the generator may run ahead of the element */

static double
thread_cpu (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static guint64
get_u64 (const GstStructure *st, const char *field)
{
  guint64 v = GST_CLOCK_TIME_NONE;
  gst_structure_get_uint64 (st, field, &v);
  return v;
}

/* Called for each element message, in the thread that posts it (under lock). */
static void
count_result (Soak *s, const GstStructure *st)
{
  int p = s->part;
  GstClockTime ts = get_u64 (st, "timestamp");
  GstClockTime seg_start = p == 2 ? s->seek_to : 0;   /* running time 0 of the segment */
  gboolean times_ok = get_u64 (st, "stream-time") == ts
      && get_u64 (st, "running-time") == ts - seg_start;
  if (gst_structure_has_name (st, "megaclassify-posteriors")) {
    guint64 k = ++s->posteriors[p];
    gint64 dev = (gint64) ts - (gint64) (s->start[MIN (p, 2)] + k * GST_SECOND);
    s->dev_min = MIN (s->dev_min, dev);
    s->dev_max = MAX (s->dev_max, dev);
    s->dev_last = dev;
    s->last_posterior = ts;
    if (p == 2 && k == 1)
      s->first_after_seek = ts;
    s->time_errors += !times_ok;
  } else if (gst_structure_has_name (st, "megaclassify")) {
    /* inside its part's audio, and in order */
    GstClockTime from = s->start[MIN (p, 2)];
    if (ts <= from || ts > from + s->len || ts < s->last_detection[p] || !times_ok)
      s->detection_errors++;
    s->last_detection[p] = ts;
    s->detections[p]++;
    s->dets_in_buffer++;
  } else if (gst_structure_has_name (st, "megaclassify-summary")) {
    s->summary_frames = get_u64 (st, "frames");
  }
}

/* A sync handler, not a bus watch: each message is counted in the thread that posts it and
 * dropped, so no backlog builds on the bus at 100x real time and the RSS is the element's.
 * Returning GST_BUS_DROP, the handler owns the message and unrefs it. */
static GstBusSyncReply
on_message (GstBus *bus, GstMessage *msg, gpointer data)
{
  Soak *s = data;
  g_mutex_lock (&s->lock);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT) {
    count_result (s, gst_message_get_structure (msg));
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;
    gst_message_parse_error (msg, &err, NULL);
    if (s->error == NULL)
      s->error = g_strdup (err->message);
    g_error_free (err);
    g_cond_broadcast (&s->cond);
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
    s->eos = TRUE;
    g_cond_broadcast (&s->cond);
  }
  g_mutex_unlock (&s->lock);
  gst_message_unref (msg);
  return GST_BUS_DROP;
}

/* A reset of the element: caps that differ from the last ones, or the end of a flush. */
static gboolean
is_boundary (GstEvent *ev, GstCaps **last)
{
  if (GST_EVENT_TYPE (ev) == GST_EVENT_FLUSH_STOP)
    return TRUE;
  if (GST_EVENT_TYPE (ev) != GST_EVENT_CAPS)
    return FALSE;
  GstCaps *caps;
  gst_event_parse_caps (ev, &caps);
  gboolean changed = *last != NULL && !gst_caps_is_equal (caps, *last);
  gst_caps_replace (last, caps);
  return changed;
}

/* Element CPU: this thread's CPU time from entering megaclassify's sink pad to leaving its
 * source pad, per buffer (the generator and fakesink are outside). */
static GstPadProbeReturn
on_sink (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Soak *s = data;
  g_mutex_lock (&s->lock);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    s->dets_in_buffer = 0;
    s->t_enter = thread_cpu ();
  } else if (is_boundary (GST_PAD_PROBE_INFO_EVENT (info), &s->sink_caps)) {
    s->part = MIN (s->part + 1, PARTS - 1);
  }
  g_mutex_unlock (&s->lock);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_src (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Soak *s = data;
  g_mutex_lock (&s->lock);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    s->element_cpu[s->part] += thread_cpu () - s->t_enter;
    s->processed++;
    if (s->waiting)
      g_cond_signal (&s->cond);
  } else {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
    if (is_boundary (ev, &s->src_caps))
      s->src_part = MIN (s->src_part + 1, PARTS - 1);
    else if (GST_EVENT_TYPE (ev) == GST_EVENT_CUSTOM_DOWNSTREAM
        && gst_event_has_name (ev, "megaclassify"))
      s->events[s->src_part]++;
  }
  g_mutex_unlock (&s->lock);
  return GST_PAD_PROBE_OK;
}

static gboolean
on_seek_data (GstAppSrc *src, guint64 offset, gpointer data)
{
  Soak *s = data;
  g_mutex_lock (&s->lock);
  s->seek_data = offset;
  g_mutex_unlock (&s->lock);
  return TRUE;
}

/* Waits until at most `ahead` pushed buffers are not yet through the element; FALSE on error. */
static gboolean
wait_processed (Soak *s, guint64 ahead)
{
  g_mutex_lock (&s->lock);
  s->waiting = TRUE;
  while (s->pushed - s->processed > ahead && s->error == NULL)
    g_cond_wait (&s->cond, &s->lock);
  s->waiting = FALSE;
  gboolean ok = s->error == NULL;
  g_mutex_unlock (&s->lock);
  return ok;
}

/* The application's side: generates the audio, pushes it, samples the memory. */
typedef struct {
  Soak *s;
  GstAppSrc *src;
  SoakAudio audio;
  const Options *o;
  GArray *samples;
  double audio_s, next_sample, t0, cpu0;
} Feeder;

/* Pushes timeline positions [from, to) (frames at rate) in buffers of --buffer-ms. */
static gboolean
push_range (Feeder *f, guint64 from, guint64 to, int rate, int channels)
{
  guint64 per = MAX ((guint64) (rate * f->o->buffer_ms / 1000), 1);
  for (guint64 pos = from; pos < to;) {
    gsize n = (gsize) MIN (per, to - pos);
    if (!wait_processed (f->s, QUEUE))
      return FALSE;
    GstBuffer *buf = gst_buffer_new_allocate (NULL, n * channels * sizeof (gint16), NULL);
    GstMapInfo map;
    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    soak_audio_fill (&f->audio, (gint16 *) map.data, pos, n, rate, channels);
    gst_buffer_unmap (buf, &map);
    GST_BUFFER_PTS (buf) = gst_util_uint64_scale_int (pos, GST_SECOND, rate);
    GST_BUFFER_DURATION (buf) = gst_util_uint64_scale_int (pos + n, GST_SECOND, rate)
        - GST_BUFFER_PTS (buf);
    g_mutex_lock (&f->s->lock);
    f->s->pushed++;
    g_mutex_unlock (&f->s->lock);
    if (gst_app_src_push_buffer (f->src, buf) != GST_FLOW_OK)
      return FALSE;
    pos += n;
    f->audio_s += (double) n / rate;
    if (f->audio_s >= f->next_sample) {
      soak_take_sample (f->s, f->samples, f->audio_s, f->t0, f->cpu0);
      f->next_sample += f->o->sample_every;
    }
  }
  return TRUE;
}

static GstCaps *
s16_caps (int rate, int channels)
{
  GstAudioInfo info;
  gst_audio_info_set_format (&info, GST_AUDIO_FORMAT_S16LE, rate, channels, NULL);
  return gst_audio_info_to_caps (&info);
}

int
main (int argc, char **argv)
{
  /* One malloc arena for all threads: mallinfo2() reports the main arena only, and the
   * element allocates in the streaming thread. */
  mallopt (M_ARENA_MAX, 1);
  Options o = { .hours = 24, .buffer_ms = 10, .sample_every = 3600, .pool_s = 300,
    .max_growth_kb = 512, .max_rss_growth_kb = 2048 };
  GOptionEntry entries[] = {
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &o.model, "model file (required)", "PATH" },
    { "hours", 0, 0, G_OPTION_ARG_DOUBLE, &o.hours, "audio to run (default 24)", "H" },
    { "speech-dir", 0, 0, G_OPTION_ARG_FILENAME, &o.speech_dir,
      "16 kHz mono WAVs for the speech (default: synthetic bursts)", "DIR" },
    { "buffer-ms", 0, 0, G_OPTION_ARG_DOUBLE, &o.buffer_ms, "buffer length (default 10)", "MS" },
    { "sample-every", 0, 0, G_OPTION_ARG_DOUBLE, &o.sample_every,
      "audio seconds between memory samples (default 3600)", "S" },
    { "speech-pool", 0, 0, G_OPTION_ARG_DOUBLE, &o.pool_s,
      "seconds of speech held and looped (default 300)", "S" },
    { "max-growth-kb", 0, 0, G_OPTION_ARG_DOUBLE, &o.max_growth_kb,
      "heap growth allowed from the first sample to the end (default 512)", "KB" },
    { "max-rss-growth-kb", 0, 0, G_OPTION_ARG_DOUBLE, &o.max_rss_growth_kb,
      "RSS growth allowed from the first sample to the end (default 2048)", "KB" },
    { NULL }
  };
  GOptionContext *ctx = g_option_context_new ("- hours of audio through megaclassify");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  GError *err = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &err) || o.model == NULL)
    bench_die ("%s", err ? err->message : "--model is required");
  g_option_context_free (ctx);

  MegaModel *model = mega_model_load (o.model, &err);
  if (model == NULL)
    bench_die ("%s", err->message);
  const MegaInfo *info = mega_model_info (model);
  int rate = info->sample_rate, shift = info->frame_shift, flen = info->frame_length;
  mega_model_free (model);

  Soak s = { .dev_min = G_MAXINT64, .dev_max = G_MININT64 };
  g_mutex_init (&s.lock);
  g_cond_init (&s.cond);
  s.n_seconds = MAX ((guint64) (o.hours * 3600 / 3), 4);
  s.len = s.n_seconds * GST_SECOND + GST_SECOND / 2;
  s.start[1] = s.len;
  s.seek_to = s.start[2] = s.len + s.n_seconds / 2 * GST_SECOND;
  s.hop = gst_util_uint64_scale_int (shift, GST_SECOND, rate);
  guint64 part_16k = s.len * 16000 / GST_SECOND, part_48k = s.len * 48000 / GST_SECOND;
  guint64 part_model = gst_util_uint64_scale_int (s.len, rate, GST_SECOND);
  guint64 expected_frames;        /* the audio's frames, then the end-padding's (below) */

  GstElement *pipeline = gst_parse_launch ("appsrc name=src format=time stream-type=seekable"
      " ! megaclassify name=mc interval=1000000000 ! fakesink sync=false", &err);
  if (pipeline == NULL)
    bench_die ("%s", err->message);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GstElement *mc = gst_bin_get_by_name (GST_BIN (pipeline), "mc");
  g_object_set (mc, "model", o.model, NULL);
  guint64 end_padding = 0;
  g_object_get (mc, "end-padding", &end_padding, NULL);
  expected_frames = (part_model + gst_util_uint64_scale_int_round (end_padding, rate, GST_SECOND)
      - flen) / shift + 1;
  GstCaps *mono16 = s16_caps (16000, 1), *stereo48 = s16_caps (48000, 2);
  gst_app_src_set_caps (GST_APP_SRC (src), mono16);
  GstAppSrcCallbacks callbacks = { .seek_data = on_seek_data };
  gst_app_src_set_callbacks (GST_APP_SRC (src), &callbacks, &s, NULL);
  GstPadProbeType types = GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM
      | GST_PAD_PROBE_TYPE_EVENT_FLUSH;
  GstPad *sink_pad = gst_element_get_static_pad (mc, "sink");
  GstPad *src_pad = gst_element_get_static_pad (mc, "src");
  gst_pad_add_probe (sink_pad, types, on_sink, &s, NULL);
  gst_pad_add_probe (src_pad, types, on_src, &s, NULL);
  GstBus *bus = gst_element_get_bus (pipeline);
  gst_bus_set_sync_handler (bus, on_message, &s, NULL);

  Feeder f = { .s = &s, .src = GST_APP_SRC (src), .o = &o,
    .samples = g_array_new (FALSE, FALSE, sizeof (Sample)) };
  soak_audio_init (&f.audio, o.speech_dir, o.pool_s);
  f.next_sample = o.sample_every;
  gchar *load0 = soak_loadavg ();
  f.t0 = bench_now ();
  f.cpu0 = bench_cpu_self ();
  gboolean ok = gst_element_set_state (pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE
      && push_range (&f, 0, part_16k, 16000, 1);
  gst_app_src_set_caps (GST_APP_SRC (src), stereo48);
  ok = ok && push_range (&f, part_48k, 2 * part_48k, 48000, 2);
  /* Everything before the seek goes through first, so the parts' lengths are exact. */
  ok = ok && wait_processed (&s, 0);
  g_mutex_lock (&s.lock);
  s.flush_dropped = s.dets_in_buffer;   /* their events wait for a next buffer: flushed */
  g_mutex_unlock (&s.lock);
  ok = ok && gst_element_seek (pipeline, 1.0, GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH,
      GST_SEEK_TYPE_SET, (gint64) s.seek_to, GST_SEEK_TYPE_NONE, -1);
  guint64 seek_48k = s.seek_to * 48000 / GST_SECOND;
  ok = ok && push_range (&f, seek_48k, seek_48k + part_48k, 48000, 2);
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  g_mutex_lock (&s.lock);
  while (ok && !s.eos && s.error == NULL)
    g_cond_wait (&s.cond, &s.lock);
  g_mutex_unlock (&s.lock);
  double wall = bench_now () - f.t0, cpu = bench_cpu_self () - f.cpu0;
  soak_take_sample (&s, f.samples, f.audio_s, f.t0, f.cpu0);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gchar *load1 = soak_loadavg ();

  soak_summary_json (&s, &o, f.samples, f.audio_s, wall, cpu, f.audio.speech_desc, load0, load1);
  g_printerr ("%.1f h of audio in %.1f s (%.0fx real time), CPU %.1f s, element CPU %.2f s "
      "(%.2e s per audio s); %" G_GUINT64_FORMAT " detections\n", f.audio_s / 3600, wall,
      f.audio_s / wall, cpu, s.element_cpu[0] + s.element_cpu[1] + s.element_cpu[2],
      (s.element_cpu[0] + s.element_cpu[1] + s.element_cpu[2]) / f.audio_s,
      s.detections[0] + s.detections[1] + s.detections[2]);
  int bad = soak_run_checks (&s, &o, f.samples, expected_frames);

  gst_object_unref (bus);
  gst_object_unref (sink_pad);
  gst_object_unref (src_pad);
  gst_object_unref (mc);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  gst_caps_unref (mono16);
  gst_caps_unref (stereo48);
  gst_caps_replace (&s.sink_caps, NULL);
  gst_caps_replace (&s.src_caps, NULL);
  soak_audio_clear (&f.audio);
  g_array_free (f.samples, TRUE);
  g_free (load0);
  g_free (load1);
  g_free (s.error);
  return bad ? 1 : 0;
}
