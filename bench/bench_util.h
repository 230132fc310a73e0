/* Small helpers shared by the benchmark programs: clocks, resource usage, statistics,
 * signals and JSON output. The benchmarks print one JSON object per measurement on stdout
 * so that bench/report.py can put C and reference numbers side by side. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

double bench_now (void);          /* monotonic wall clock, seconds */
double bench_cpu_self (void);     /* user + system CPU of this process, seconds */
long bench_peak_rss_kb (void);    /* getrusage ru_maxrss of this process */
long bench_rss_kb (void);         /* resident set now (/proc/self/statm) */

/* Sorts v in place and returns the q-quantile (0..1, nearest rank). */
double bench_quantile (double *v, size_t n, double q);

/* Durations in a fixed log-spaced histogram (0.5% wide bins from 10 ns to 100 s), so timing
 * every hop of an hour-long stream needs no memory that grows with its length. */
#define BENCH_HIST_BINS 4700
typedef struct {
  uint32_t count[BENCH_HIST_BINS];
  uint64_t n;
  double sum, max;
} BenchHist;
void bench_hist_add (BenchHist *h, double seconds);
double bench_hist_quantile (const BenchHist *h, double q);  /* bin centre, seconds */

/* Deterministic generator so every run (and the reference) sees the same signal. */
typedef struct { uint64_t s; } BenchRng;
void bench_rng_seed (BenchRng *r, uint64_t seed);
float bench_rng_uniform (BenchRng *r);   /* [-1, 1) */

/* Signal kinds of the benchmark:
 *   speech  - recorded speech streams (WAV files of speech_dir, looped), or, when there are
 *             none, syllable-like bursts of band-limited noise;
 *   silence - digital zeros;
 *   quiet   - white noise at -90 dBFS RMS. */
typedef enum { BENCH_SPEECH, BENCH_SILENCE, BENCH_QUIET } BenchSignal;
int bench_signal_parse (const char *name, BenchSignal *out);

/* Fills n samples at 16 kHz, in [-1, 1]. Returns a description of the source (static). */
const char *bench_signal_fill (BenchSignal kind, const char *speech_dir, float *x, size_t n);

/* Raw float32 files (little endian, mono): what the benchmarks and the reference read. */
float *bench_read_f32 (const char *path, size_t max_samples, size_t *n);
int bench_write_f32 (const char *path, const float *x, size_t n);
int bench_write_wav16 (const char *path, const float *x, size_t n, int rate);

/* Prints `"key": value` pairs of one JSON object; start with bench_json_begin. */
void bench_json_begin (const char *case_name);
void bench_json_num (const char *key, double v);
void bench_json_str (const char *key, const char *v);
void bench_json_end (void);

void bench_die (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), noreturn));

#endif /* BENCH_UTIL_H */
