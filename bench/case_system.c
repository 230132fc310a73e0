/* Cases about the machine rather than the model: test signals, the sgemm peak the offline
 * throughput is compared with, and the CPU/memory of a child process (the pipelines). */
#include "bench_cases.h"
#include "bench_util.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int
bench_gen (const BenchOptions *o)
{
  BenchSignal kind;
  if (!bench_signal_parse (o->kind, &kind))
    bench_die ("unknown --kind '%s'", o->kind);
  size_t n = (size_t) (o->minutes * 60.0 * 16000.0);
  float *x = g_new (float, MAX (n, 1));
  const char *source = bench_signal_fill (kind, o->speech_dir, x, n);
  if (o->raw != NULL && !bench_write_f32 (o->raw, x, n))
    bench_die ("%s: cannot write", o->raw);
  if (o->wav != NULL && !bench_write_wav16 (o->wav, x, n, 16000))
    bench_die ("%s: cannot write", o->wav);
  double ss = 0;
  for (size_t i = 0; i < n; i++)
    ss += (double) x[i] * x[i];
  bench_json_begin ("gen");
  bench_json_str ("kind", o->kind);
  bench_json_str ("source", source);
  bench_json_num ("minutes", o->minutes);
  bench_json_num ("rms_dbfs", n && ss > 0 ? 10.0 * log10 (ss / n) : -INFINITY);
  bench_json_end ();
  g_free (x);
  return 0;
}

/* Seconds per call of C[m x n] = A[m x k] B[n x k]^T, the product `linear` makes. */
static double
time_sgemm (int m, int n, int k)
{
  float *a = g_new (float, (size_t) m * k), *b = g_new (float, (size_t) n * k);
  float *c = g_new0 (float, (size_t) m * n);
  BenchRng r;
  bench_rng_seed (&r, 1);
  for (size_t i = 0; i < (size_t) m * k; i++)
    a[i] = bench_rng_uniform (&r);
  for (size_t i = 0; i < (size_t) n * k; i++)
    b[i] = bench_rng_uniform (&r);
  double best = INFINITY;
  for (int rep = 0; rep < 5; rep++) {
    int calls = 0;
    double t0 = bench_now (), t;
    do {
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, k, b, k, 1.0f, c, n);
      calls++;
    } while ((t = bench_now () - t0) < 0.05);
    best = MIN (best, t / calls);
  }
  g_free (a);
  g_free (b);
  g_free (c);
  return best;
}

int
bench_sgemm (const BenchOptions *o)
{
  openblas_set_num_threads (1);
  static const int shapes[][3] = {
    { 1024, 1024, 1024 }, { 512, 512, 512 },
    /* the model's products over an offline block of 512 frames (D=64, H=128, E=288) */
    { 512, 288, 64 }, { 512, 128, 64 }, { 512, 64, 128 },
  };
  double peak = 0;
  for (size_t i = 0; i < G_N_ELEMENTS (shapes); i++) {
    int m = shapes[i][0], n = shapes[i][1], k = shapes[i][2];
    double gflops = 2.0 * m * n * k / time_sgemm (m, n, k) * 1e-9;
    peak = MAX (peak, gflops);
    bench_json_begin ("sgemm");
    bench_json_num ("m", m);
    bench_json_num ("n", n);
    bench_json_num ("k", k);
    bench_json_num ("gflops", gflops);
    bench_json_end ();
  }
  bench_json_begin ("sgemm_peak");
  bench_json_num ("gflops", peak);
  bench_json_str ("openblas_config", openblas_get_config ());
  bench_json_str ("openblas_core", openblas_get_corename ());
  bench_json_end ();
  (void) o;
  return 0;
}

int
bench_run_child (const BenchOptions *o)
{
  if (o->rest == NULL || o->rest[0] == NULL)
    bench_die ("run: give the command after --");
  double t0 = bench_now ();
  pid_t pid = fork ();
  if (pid < 0)
    bench_die ("fork: %s", strerror (errno));
  if (pid == 0) {
    /* the child's stdout would mix with the JSON */
    if (dup2 (STDERR_FILENO, STDOUT_FILENO) < 0)
      _exit (127);
    execvp (o->rest[0], o->rest);
    fprintf (stderr, "mega-bench: %s: %s\n", o->rest[0], strerror (errno));
    _exit (127);
  }
  int status;
  struct rusage ru;
  if (wait4 (pid, &status, 0, &ru) < 0)
    bench_die ("wait4: %s", strerror (errno));
  double wall = bench_now () - t0;
  bench_json_begin ("run");
  bench_json_str ("label", o->label ? o->label : o->rest[0]);
  bench_json_num ("exit", WIFEXITED (status) ? WEXITSTATUS (status) : -1);
  bench_json_num ("wall_s", wall);
  bench_json_num ("user_s", ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6);
  bench_json_num ("sys_s", ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6);
  bench_json_num ("peak_rss_kb", ru.ru_maxrss);
  bench_json_num ("minutes", o->minutes);
  bench_json_end ();
  return WIFEXITED (status) && WEXITSTATUS (status) == 0 ? 0 : 1;
}
