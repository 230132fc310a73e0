/* The report of bench/soak.c: memory samples, the JSON lines and the checks. */
#include "soak.h"

#include <malloc.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <sys/utsname.h>

#include "bench_util.h"

static long
heap_kb (void)
{
  struct mallinfo2 mi = mallinfo2 ();
  return (long) ((mi.uordblks + mi.hblkhd) / 1024);
}

void
soak_take_sample (Soak *s, GArray *samples, double audio_s, double t0, double cpu0)
{
  Sample x = { audio_s / 3600, bench_now () - t0, bench_cpu_self () - cpu0, 0,
    bench_rss_kb (), heap_kb () };
  g_mutex_lock (&s->lock);
  for (int p = 0; p < PARTS; p++)
    x.element_cpu += s->element_cpu[p];
  g_mutex_unlock (&s->lock);
  g_array_append_val (samples, x);
  bench_json_begin ("soak_sample");
  bench_json_num ("audio_h", x.audio_h);
  bench_json_num ("wall_s", x.wall);
  bench_json_num ("cpu_s", x.cpu);
  bench_json_num ("element_cpu_s", x.element_cpu);
  bench_json_num ("rss_kb", x.rss_kb);
  bench_json_num ("heap_kb", x.heap_kb);
  bench_json_end ();
}

/* Least-squares slope of the RSS (or heap) against audio hours, KB per hour, over the samples
 * taken from `from_h` hours of audio on. */
static double
slope (const GArray *samples, gboolean heap, double from_h)
{
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (guint i = 0; i < samples->len; i++) {
    const Sample *x = &g_array_index (samples, Sample, i);
    double y = heap ? x->heap_kb : x->rss_kb;
    if (x->audio_h < from_h)
      continue;
    n++;
    sx += x->audio_h;
    sy += y;
    sxx += x->audio_h * x->audio_h;
    sxy += x->audio_h * y;
  }
  double d = n * sxx - sx * sx;
  return n > 1 && d > 0 ? (n * sxy - sx * sy) / d : NAN;
}

/* On stderr for people, and as a JSON line for bench/soak_report.py. */
static void
check (int *failures, gboolean ok, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  gchar *what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_printerr ("%s %s\n", ok ? "ok    " : "FAILED", what);
  bench_json_begin ("soak_check");
  bench_json_num ("ok", ok);
  bench_json_str ("what", what);
  bench_json_end ();
  g_free (what);
  *failures += !ok;
}

static void
machine_json (void)
{
  struct utsname u;
  uname (&u);
  gchar *cpuinfo = NULL, *model = NULL;
  if (g_file_get_contents ("/proc/cpuinfo", &cpuinfo, NULL, NULL)) {
    char *m = strstr (cpuinfo, "model name");
    if (m && strchr (m, ':'))
      model = g_strstrip (g_strndup (strchr (m, ':') + 1, strcspn (strchr (m, ':') + 1, "\n")));
  }
  bench_json_str ("cpu", model ? model : "?");
  bench_json_num ("cores", g_get_num_processors ());
  bench_json_str ("kernel", u.release);
  g_free (cpuinfo);
  g_free (model);
}

gchar *
soak_loadavg (void)
{
  gchar *text = NULL;
  if (!g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
    return g_strdup ("?");
  gchar **f = g_strsplit (text, " ", 4);
  gchar *three = g_strdup_printf ("%s %s %s", f[0], f[1], f[2]);
  g_strfreev (f);
  g_free (text);
  return three;
}

void
soak_summary_json (const Soak *s, const Options *o, const GArray *samples, double audio_s,
    double wall, double cpu, const char *speech, const char *load0, const char *load1)
{
  double elem = 0;
  guint64 post = 0, dets = 0, events = 0;
  long rss_peak = 0, heap_peak = 0;
  for (int p = 0; p < PARTS; p++) {
    elem += s->element_cpu[p];
    post += s->posteriors[p];
    dets += s->detections[p];
    events += s->events[p];
  }
  for (guint i = 0; i < samples->len; i++) {
    rss_peak = MAX (rss_peak, g_array_index (samples, Sample, i).rss_kb);
    heap_peak = MAX (heap_peak, g_array_index (samples, Sample, i).heap_kb);
  }
  const Sample *first = &g_array_index (samples, Sample, 0);
  const Sample *last = &g_array_index (samples, Sample, samples->len - 1);
  double part_s = (double) s->len / GST_SECOND;
  bench_json_begin ("soak");
  machine_json ();
  bench_json_str ("model", o->model);
  bench_json_str ("speech", speech);
  bench_json_str ("load_before", load0);
  bench_json_str ("load_after", load1);
  GDateTime *now = g_date_time_new_now_utc ();
  gchar *date = g_date_time_format (now, "%Y-%m-%d %H:%M UTC");
  bench_json_str ("date", date);
  g_free (date);
  g_date_time_unref (now);
  bench_json_num ("hours", o->hours);
  bench_json_num ("buffer_ms", o->buffer_ms);
  bench_json_num ("part_s", part_s);
  bench_json_num ("seek_from_s", 2 * part_s);
  bench_json_num ("seek_to_s", (double) s->seek_to / GST_SECOND);
  bench_json_num ("audio_s", audio_s);
  bench_json_num ("wall_s", wall);
  bench_json_num ("cpu_s", cpu);
  bench_json_num ("element_cpu_s", elem);
  bench_json_num ("element_cpu_per_audio_s", elem / audio_s);
  bench_json_num ("element_cpu_per_audio_s_16k_mono", s->element_cpu[0] / part_s);
  bench_json_num ("element_cpu_per_audio_s_48k_stereo",
      (s->element_cpu[1] + s->element_cpu[2]) / (2 * part_s));
  bench_json_num ("cpu_per_audio_s", cpu / audio_s);
  bench_json_num ("rtf", wall / audio_s);
  bench_json_num ("rss_first_kb", first->rss_kb);
  bench_json_num ("rss_peak_kb", rss_peak);
  bench_json_num ("rss_final_kb", last->rss_kb);
  /* the caps change allocates the larger input buffers of 48 kHz stereo once: the slope
   * after it is the one a leak would show */
  double caps_h = part_s / 3600;
  bench_json_num ("rss_slope_kb_per_h", slope (samples, FALSE, 0));
  bench_json_num ("rss_slope_after_caps_kb_per_h", slope (samples, FALSE, caps_h));
  bench_json_num ("heap_first_kb", first->heap_kb);
  bench_json_num ("heap_peak_kb", heap_peak);
  bench_json_num ("heap_final_kb", last->heap_kb);
  bench_json_num ("heap_slope_kb_per_h", slope (samples, TRUE, 0));
  bench_json_num ("heap_slope_after_caps_kb_per_h", slope (samples, TRUE, caps_h));
  bench_json_num ("posteriors", post);
  for (int p = 0; p < 3; p++) {
    gchar *k = g_strdup_printf ("posteriors_%d", p);
    bench_json_num (k, s->posteriors[p]);
    g_free (k);
  }
  bench_json_num ("detections", dets);
  bench_json_num ("detection_events", events);
  bench_json_num ("events_dropped_by_flush", s->flush_dropped);
  bench_json_num ("drift_min_ms", s->dev_min / 1e6);
  bench_json_num ("drift_max_ms", s->dev_max / 1e6);
  bench_json_num ("drift_last_ms", s->dev_last / 1e6);
  bench_json_num ("first_after_seek_s", (double) s->first_after_seek / GST_SECOND);
  bench_json_num ("last_posterior_s", (double) s->last_posterior / GST_SECOND);
  bench_json_num ("end_of_audio_s", (double) (s->seek_to + s->len) / GST_SECOND);
  bench_json_num ("summary_frames", s->summary_frames);
  bench_json_end ();
}

int
soak_run_checks (const Soak *s, const Options *o, const GArray *samples, guint64 expected_frames)
{
  int bad = 0;
  check (&bad, s->error == NULL && s->eos, "the pipeline reached EOS without error%s%s",
      s->error ? ": " : "", s->error ? s->error : "");
  check (&bad, s->part == 2 && s->src_part == 2,
      "one caps change and one flushing seek reset the element (resets seen: %d, %d)",
      s->part, s->src_part);
  check (&bad, s->seek_data == s->seek_to, "appsrc was asked for the seek position");
  for (int p = 0; p < 3; p++)
    check (&bad, s->posteriors[p] == s->n_seconds,
        "part %d: %" G_GUINT64_FORMAT " posteriors messages for %" G_GUINT64_FORMAT ".5 s",
        p, s->posteriors[p], s->n_seconds);
  check (&bad, s->dev_min >= 0 && s->dev_max < (gint64) s->hop,
      "every posteriors timestamp within one frame shift after its second: %+.3f to %+.3f ms",
      s->dev_min / 1e6, s->dev_max / 1e6);
  check (&bad, s->first_after_seek >= s->seek_to + GST_SECOND
      && s->first_after_seek < s->seek_to + GST_SECOND + s->hop,
      "after the seek the first message is 1 s after the seek position (%.3f s, seek to %.3f s)",
      (double) s->first_after_seek / GST_SECOND, (double) s->seek_to / GST_SECOND);
  check (&bad, s->time_errors == 0, "stream-time and running-time of every message follow "
      "the segment (%" G_GUINT64_FORMAT " wrong)", s->time_errors);
  check (&bad, s->detection_errors == 0, "every detection inside its part, in order, with "
      "segment times (%" G_GUINT64_FORMAT " wrong)", s->detection_errors);
  check (&bad, s->events[0] == s->detections[0]
      && s->events[1] + s->flush_dropped == s->detections[1]
      && s->events[2] == s->detections[2],
      "each detection message has its event (%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
      "/%" G_GUINT64_FORMAT " events for %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
      "/%" G_GUINT64_FORMAT " messages, %" G_GUINT64_FORMAT " dropped by the flush)",
      s->events[0], s->events[1], s->events[2], s->detections[0], s->detections[1],
      s->detections[2], s->flush_dropped);
  check (&bad, s->summary_frames == expected_frames, "the EOS summary counts the %"
      G_GUINT64_FORMAT " frames after the seek (%" G_GUINT64_FORMAT ")", expected_frames,
      s->summary_frames);
  const Sample *first = &g_array_index (samples, Sample, 0);
  const Sample *last = &g_array_index (samples, Sample, samples->len - 1);
  check (&bad, last->heap_kb - first->heap_kb <= o->max_growth_kb, "heap in use grew by %ld KB "
      "from the first sample to the end (at most %.0f)", last->heap_kb - first->heap_kb,
      o->max_growth_kb);
  check (&bad, last->rss_kb - first->rss_kb <= o->max_rss_growth_kb, "RSS grew by %ld KB from "
      "the first sample to the end (at most %.0f)", last->rss_kb - first->rss_kb,
      o->max_rss_growth_kb);
  return bad;
}

