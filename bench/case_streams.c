/* Case 6: N MegaStreams sharing one MegaModel in one process, each fed 10 ms buffers in turn
 * as N live pipelines would be. Reports CPU per stream and the memory each stream adds:
 * heap bytes (mallinfo2, exact) and resident memory (/proc/self/statm, page-granular). */
#include "bench_cases.h"
#include "bench_util.h"

#include <cblas.h>
#include <malloc.h>
#include <math.h>

static double
heap_bytes (void)
{
  struct mallinfo2 mi = mallinfo2 ();
  return (double) mi.uordblks + (double) mi.hblkhd;
}

static void
count_frames (const float *logits, size_t n, uint64_t first, void *data)
{
  *(uint64_t *) data += n;
  (void) logits;
  (void) first;
}

int
bench_streams (const BenchOptions *o)
{
  openblas_set_num_threads (1);
  MegaModel *m = bench_load_model (o);
  const MegaInfo *info = mega_model_info (m);
  int N = MAX (o->n_streams, 1);
  size_t n;
  float *x = bench_read_f32 (o->audio, (size_t) (o->minutes * 60.0 * info->sample_rate), &n);
  size_t hop = (size_t) info->sample_rate / 100;
  GError *err = NULL;

  /* one throw-away stream first, so that one-time costs (OpenBLAS buffers, FFT plans) are
   * not charged to the streams measured */
  MegaStream *warm = mega_stream_new (m, &err);
  if (warm == NULL)
    bench_die ("%s", err->message);
  mega_stream_push_audio (warm, x, MIN (n, (size_t) info->sample_rate), NULL, NULL);
  mega_stream_free (warm);

  double heap0 = heap_bytes ();
  long rss0 = bench_rss_kb ();
  MegaStream **s = g_new (MegaStream *, N);
  uint64_t frames = 0;
  for (int i = 0; i < N; i++) {
    if ((s[i] = mega_stream_new (m, &err)) == NULL)
      bench_die ("%s", err->message);
    mega_stream_push_audio (s[i], x, MIN (n, 4 * hop), count_frames, &frames);  /* touch it */
  }
  double heap1 = heap_bytes ();
  long rss1 = bench_rss_kb ();
  /* the array of pointers is the caller's, not the streams' */
  double per_stream_heap = (heap1 - heap0 - (double) N * sizeof (MegaStream *)) / N;

  frames = 0;
  double c0 = bench_cpu_self (), t0 = bench_now ();
  for (size_t off = 0; off + hop <= n; off += hop)
    for (int i = 0; i < N; i++)
      mega_stream_push_audio (s[i], x + off, hop, count_frames, &frames);
  double cpu = bench_cpu_self () - c0, wall = bench_now () - t0;
  double audio_s = (double) (n / hop * hop) / info->sample_rate;

  bench_json_begin ("streams");
  bench_json_num ("n_streams", N);
  bench_json_num ("seconds_each", audio_s);
  bench_json_num ("frames", (double) frames);
  bench_json_num ("cpu_seconds", cpu);
  bench_json_num ("wall_seconds", wall);
  bench_json_num ("cpu_rtf_per_stream", cpu / (N * audio_s));
  bench_json_num ("streams_per_core", N * audio_s / cpu);
  bench_json_num ("heap_bytes_per_stream", per_stream_heap);
  bench_json_num ("rss_kb_per_stream", (double) (rss1 - rss0) / N);
  bench_json_num ("peak_rss_kb", (double) bench_peak_rss_kb ());
  bench_json_end ();

  for (int i = 0; i < N; i++)
    mega_stream_free (s[i]);
  g_free (s);
  g_free (x);
  mega_model_free (m);
  return frames > 0 ? 0 : 1;
}
