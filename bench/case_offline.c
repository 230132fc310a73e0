/* Case 2 (and the offline half of cases 3 and 5): a whole signal at once through
 * mega_model_forward_audio, plus its two parts timed alone: the front end
 * (mega_model_fbank) and the network over those features (the engine's own block loop,
 * optionally without flush-to-zero for the denormal A/B). */
#include "bench_cases.h"
#include "bench_util.h"
#include "mega_internal.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#define BLOCK 512  /* as model/offline.c */

/* Seconds to run the network over the features in blocks, as forward_features does;
 * *cpu gets the process CPU seconds (less sensitive to a busy machine than the wall clock). */
static double
time_network (const MegaModel *m, const float *feats, size_t frames, gboolean ftz, double *cpu)
{
  size_t M = (size_t) m->cfg.fbank.n_mels;
  MegaRunState *rs = mega_run_state_new (m, MIN (MAX (frames, 1), BLOCK));
  MegaFpGuard g = { 0 };
  double c0 = bench_cpu_self (), t0 = bench_now ();
  if (ftz)
    mega_fp_enter (&g);
  for (size_t t = 0; t < frames; t += rs->max_frames)
    mega_network_forward (m, rs, feats + t * M, MIN (rs->max_frames, frames - t));
  if (ftz)
    mega_fp_leave (&g);
  double dt = bench_now () - t0;
  *cpu = bench_cpu_self () - c0;
  mega_run_state_free (rs);
  return dt;
}

static int
cmp_d (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (double *v, int n)
{
  qsort (v, n, sizeof (double), cmp_d);
  return v[n / 2];
}

/* Medians of reps runs of time_network: wall seconds, and CPU seconds in *cpu. */
static double
median_network (const MegaModel *m, const float *feats, size_t frames, gboolean ftz, int reps,
    double *cpu)
{
  double wall[reps], cpus[reps];
  for (int r = 0; r < reps; r++)
    wall[r] = time_network (m, feats, frames, ftz, &cpus[r]);
  *cpu = median (cpus, reps);
  return median (wall, reps);
}

int
bench_offline (const BenchOptions *o)
{
  MegaModel *m = bench_load_model (o);
  const MegaInfo *info = mega_model_info (m);
  size_t n;
  float *x = bench_read_f32 (o->audio, (size_t) (o->minutes * 60.0 * info->sample_rate), &n);
  double audio_s = (double) n / info->sample_rate;
  if (audio_s < o->minutes * 60.0 - 1e-3)
    bench_die ("%s: only %.1f s of audio", o->audio, audio_s);

  /* one untimed pass over 10 s first: OpenBLAS's buffers, the allocator's pools and the
   * code are then warm for every length alike, so that time(60 min) / time(1 min) compares
   * the work alone */
  size_t warm_frames;
  g_free (mega_model_forward_audio (m, x, MIN (n, (size_t) info->sample_rate * 10), &warm_frames,
      NULL));

  int reps = MAX (o->repeats, 1);
  double wall[reps], cpus[reps];
  size_t frames = 0;
  float *logits = NULL;
  for (int r = 0; r < reps; r++) {
    g_free (logits);
    GError *err = NULL;
    double c0 = bench_cpu_self (), t0 = bench_now ();
    logits = mega_model_forward_audio (m, x, n, &frames, &err);
    wall[r] = bench_now () - t0;
    cpus[r] = bench_cpu_self () - c0;
    if (logits == NULL)
      bench_die ("%s", err->message);
  }
  double t_all = median (wall, reps), cpu = median (cpus, reps);
  long rss_forward = bench_peak_rss_kb ();  /* before the parts below add their buffers */

  double checksum = 0;
  for (size_t i = 0; i < frames * info->n_labels; i++)
    checksum += logits[i];
  if (o->dump != NULL) {
    size_t rows = MIN (frames, (size_t) MAX (o->dump_frames, 0));
    if (!bench_write_f32 (o->dump, logits, rows * info->n_labels))
      bench_die ("%s: cannot write", o->dump);
  }
  g_free (logits);

  double t0 = bench_now ();
  size_t nf;
  float *feats = mega_model_fbank (m, x, n, &nf);
  double t_fbank = bench_now () - t0;
  double c_net, c_net_noftz = NAN;
  double t_net = median_network (m, feats, nf, TRUE, reps, &c_net);
  double t_net_noftz = o->no_ftz ? median_network (m, feats, nf, FALSE, reps, &c_net_noftz) : NAN;
  g_free (feats);

  double flops = 2.0 * bench_macs_per_frame (info) * frames;
  bench_json_begin ("offline");
  bench_json_str ("label", o->label ? o->label : "");
  bench_json_num ("minutes", o->minutes);
  bench_json_num ("threads", openblas_get_num_threads ());
  bench_json_num ("frames", (double) frames);
  bench_json_num ("repeats", reps);
  bench_json_num ("seconds", t_all);
  bench_json_num ("cpu_seconds", cpu);
  bench_json_num ("x_realtime", audio_s / t_all);
  bench_json_num ("fbank_seconds", t_fbank);
  bench_json_num ("network_seconds", t_net);
  bench_json_num ("network_cpu_seconds", c_net);
  bench_json_num ("network_seconds_noftz", t_net_noftz);
  bench_json_num ("network_cpu_seconds_noftz", c_net_noftz);
  bench_json_num ("network_gflops", flops / t_net * 1e-9);
  bench_json_num ("mflop_per_frame", flops / MAX (frames, 1) * 1e-6);
  bench_json_num ("peak_rss_kb", (double) rss_forward);
  bench_json_num ("checksum", checksum);
  bench_json_end ();

  g_free (x);
  mega_model_free (m);
  return isfinite (checksum) ? 0 : 1;
}
