/* Case 1 (and the streaming half of case 3): one MegaStream fed hop_ms of audio per call, as
 * a live pipeline feeds it (or, with --batch-frames > 1, as a file pipeline may: frames wait
 * across pushes for a larger batch, and the last ones are flushed); every push is timed. The audio is read from the file one buffer
 * at a time and the times go into a fixed histogram, so the process's memory shows the
 * stream's own, which must not grow with the length. */
#include "bench_cases.h"
#include "bench_util.h"

#include <cblas.h>
#include <math.h>

typedef struct {
  FILE *dump;
  uint64_t dump_left, frames;
  int n_labels;
  double checksum;
} Sink;

static void
on_logits (const float *logits, size_t n, uint64_t first, void *data)
{
  Sink *s = data;
  size_t k = (size_t) s->n_labels;
  if (s->dump != NULL && s->dump_left > 0) {
    size_t rows = (size_t) MIN ((uint64_t) n, s->dump_left);
    fwrite (logits, sizeof (float), rows * k, s->dump);
    s->dump_left -= rows;
  }
  for (size_t i = 0; i < n * k; i++)
    s->checksum += logits[i];
  s->frames += n;
  (void) first;
}

int
bench_stream (const BenchOptions *o)
{
  openblas_set_num_threads (1);
  MegaModel *m = bench_load_model (o);
  const MegaInfo *info = mega_model_info (m);
  size_t hop = (size_t) (o->hop_ms * info->sample_rate / 1000.0 + 0.5);
  size_t total = (size_t) (o->minutes * 60.0 * info->sample_rate);
  FILE *in = fopen (o->audio, "rb");
  if (in == NULL || hop == 0)
    bench_die ("stream: need --audio and --hop-ms > 0");
  Sink sink = { .n_labels = info->n_labels, .dump_left = (uint64_t) MAX (o->dump_frames, 0) };
  if (o->dump != NULL && (sink.dump = fopen (o->dump, "wb")) == NULL)
    bench_die ("%s: cannot write", o->dump);
  GError *err = NULL;
  MegaStreamParams params = mega_stream_default_params ();
  params.batch_frames = (size_t) MAX (o->batch_frames, 0);
  MegaStream *s = mega_stream_new_with_params (m, &params, &err);
  if (s == NULL)
    bench_die ("%s", err->message);

  float *buf = g_new (float, hop);
  BenchHist *hist = g_new0 (BenchHist, 1);
  size_t done = 0;
  double cpu0 = bench_cpu_self ();
  while (done < total) {
    size_t want = MIN (hop, total - done);
    size_t got = fread (buf, sizeof (float), want, in);
    if (got == 0)
      break;
    double t0 = bench_now ();
    mega_stream_push_audio (s, buf, got, on_logits, &sink);
    bench_hist_add (hist, bench_now () - t0);
    done += got;
  }
  if (mega_stream_pending_frames (s) > 0) {   /* the last frames of a batch: one more "hop" */
    double t0 = bench_now ();
    mega_stream_flush (s, on_logits, &sink);
    bench_hist_add (hist, bench_now () - t0);
  }
  double cpu = bench_cpu_self () - cpu0;
  double audio_s = (double) done / info->sample_rate;
  if (done < total)
    bench_die ("%s: only %.1f s of audio", o->audio, audio_s);

  bench_json_begin ("stream");
  bench_json_str ("label", o->label ? o->label : "");
  bench_json_num ("hop_ms", o->hop_ms);
  bench_json_num ("batch_frames", (double) params.batch_frames);
  bench_json_num ("minutes", o->minutes);
  bench_json_num ("hops", (double) hist->n);
  bench_json_num ("frames", (double) sink.frames);
  bench_json_num ("median_us", bench_hist_quantile (hist, 0.5) * 1e6);
  bench_json_num ("p99_us", bench_hist_quantile (hist, 0.99) * 1e6);
  bench_json_num ("max_us", hist->max * 1e6);
  bench_json_num ("mean_us", hist->sum / hist->n * 1e6);
  bench_json_num ("us_per_frame", hist->sum / MAX (sink.frames, 1) * 1e6);
  bench_json_num ("rtf", hist->sum / audio_s);
  bench_json_num ("cpu_rtf", cpu / audio_s);
  bench_json_num ("peak_rss_kb", (double) bench_peak_rss_kb ());
  bench_json_num ("checksum", sink.checksum);
  bench_json_end ();

  if (sink.dump != NULL)
    fclose (sink.dump);
  fclose (in);
  g_free (hist);
  g_free (buf);
  mega_stream_free (s);
  mega_model_free (m);
  return isfinite (sink.checksum) ? 0 : 1;
}
