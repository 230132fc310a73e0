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

/* Reads n floats once (sums them in four 8-float lanes): as fast as this core can touch them. */
typedef float bench_v8f __attribute__ ((vector_size (32)));
#pragma GCC diagnostic ignored "-Wpsabi"
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
__attribute__ ((target_clones ("arch=x86-64-v3", "default")))
#endif
#endif
static float
read_all (const float *a, size_t n)
{
  bench_v8f s0 = { 0 }, s1 = { 0 }, s2 = { 0 }, s3 = { 0 }, v;
  for (size_t k = 0; k + 32 <= n; k += 32) {
    memcpy (&v, a + k, sizeof v);
    s0 += v;
    memcpy (&v, a + k + 8, sizeof v);
    s1 += v;
    memcpy (&v, a + k + 16, sizeof v);
    s2 += v;
    memcpy (&v, a + k + 24, sizeof v);
    s3 += v;
  }
  bench_v8f t = s0 + s1 + s2 + s3;
  return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}

/* The floor for one frame at a time: with one frame per call every weight of the model's
 * matrices is read once per frame. Times reading that many floats (warm, as a stream sees
 * them), and cblas_sgemv over a matrix of that size (rows of 64). */
int
bench_gemv (const BenchOptions *o)
{
  openblas_set_num_threads (1);
  MegaModel *m = bench_load_model (o);
  const MegaInfo *i = mega_model_info (m);
  size_t D = i->d_model, E = 2 * D + i->z_dim + i->h_dim;
  size_t weights = i->n_mels * D + i->n_layers * (D * i->h_dim + D * E + i->h_dim * D
      + 2 * D * i->ffn_dim) + D * i->n_labels;
  int cols = 64, rows = (int) (weights / cols);
  float *a = g_new (float, (size_t) rows * cols), *x = g_new (float, cols), *y = g_new (float, rows);
  BenchRng r;
  bench_rng_seed (&r, 2);
  for (size_t k = 0; k < (size_t) rows * cols; k++)
    a[k] = bench_rng_uniform (&r);
  for (int k = 0; k < cols; k++)
    x[k] = bench_rng_uniform (&r);
  double best_read = INFINITY, best_gemv = INFINITY;
  volatile float sink = 0;
  for (int rep = 0; rep < 5; rep++) {
    int calls = 0;
    double t0 = bench_now (), t;
    do {
      sink += read_all (a, (size_t) rows * cols);
      calls++;
    } while ((t = bench_now () - t0) < 0.05);
    best_read = MIN (best_read, t / calls);
    calls = 0;
    t0 = bench_now ();
    do {
      cblas_sgemv (CblasRowMajor, CblasNoTrans, rows, cols, 1.0f, a, cols, x, 1, 0.0f, y, 1);
      calls++;
    } while ((t = bench_now () - t0) < 0.05);
    best_gemv = MIN (best_gemv, t / calls);
  }
  bench_json_begin ("gemv");
  bench_json_num ("weights", (double) weights);
  bench_json_num ("read_us", best_read * 1e6);
  bench_json_num ("read_gbytes_per_s", weights * 4.0 / best_read * 1e-9);
  bench_json_num ("sgemv_us", best_gemv * 1e6);
  bench_json_end ();
  g_free (a);
  g_free (x);
  g_free (y);
  mega_model_free (m);
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
