#include "bench_util.h"

#include <glib.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

double
bench_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double
bench_cpu_self (void)
{
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec
      + ru.ru_stime.tv_usec * 1e-6;
}

long
bench_peak_rss_kb (void)
{
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

long
bench_rss_kb (void)
{
  long pages = 0, resident = 0;
  FILE *f = fopen ("/proc/self/statm", "r");
  if (f != NULL) {
    if (fscanf (f, "%ld %ld", &pages, &resident) != 2)
      resident = 0;
    fclose (f);
  }
  return resident * (sysconf (_SC_PAGESIZE) / 1024);
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

double
bench_quantile (double *v, size_t n, double q)
{
  if (n == 0)
    return NAN;
  qsort (v, n, sizeof (double), cmp_double);
  size_t i = (size_t) ceil (q * n);
  return v[i == 0 ? 0 : MIN (i, n) - 1];
}

#define HIST_LO 1e-8
#define HIST_STEP 1.005

void
bench_hist_add (BenchHist *h, double s)
{
  int i = s <= HIST_LO ? 0 : (int) (log (s / HIST_LO) / log (HIST_STEP));
  h->count[CLAMP (i, 0, BENCH_HIST_BINS - 1)]++;
  h->n++;
  h->sum += s;
  h->max = MAX (h->max, s);
}

double
bench_hist_quantile (const BenchHist *h, double q)
{
  if (h->n == 0)
    return NAN;
  uint64_t rank = (uint64_t) ceil (q * h->n), seen = 0;
  for (int i = 0; i < BENCH_HIST_BINS; i++) {
    seen += h->count[i];
    if (seen >= MAX (rank, 1))
      return HIST_LO * pow (HIST_STEP, i + 0.5);
  }
  return h->max;
}

void
bench_rng_seed (BenchRng *r, uint64_t seed)
{
  r->s = seed * 0x9E3779B97F4A7C15ull + 1;
}

float
bench_rng_uniform (BenchRng *r)
{
  /* xorshift64*: plenty for test signals, and identical on every machine */
  r->s ^= r->s >> 12;
  r->s ^= r->s << 25;
  r->s ^= r->s >> 27;
  uint64_t v = r->s * 0x2545F4914F6CDD1Dull;
  return (float) ((v >> 40) * (1.0 / 8388608.0) - 1.0);
}

int
bench_signal_parse (const char *name, BenchSignal *out)
{
  static const char *names[] = { "speech", "silence", "quiet" };
  for (int i = 0; i < 3; i++)
    if (strcmp (name, names[i]) == 0) {
      *out = (BenchSignal) i;
      return 1;
    }
  return 0;
}

/* Appends the samples of a 16-bit PCM mono 16 kHz WAV file; other files are skipped. */
static void
append_wav (GArray *out, const char *path)
{
  gchar *data;
  gsize len;
  if (!g_file_get_contents (path, &data, &len, NULL))
    return;
  const guint8 *p = (const guint8 *) data;
  if (len < 12 || memcmp (p, "RIFF", 4) != 0 || memcmp (p + 8, "WAVE", 4) != 0)
    goto done;
  int ok_fmt = 0;
  for (gsize off = 12; off + 8 <= len;) {
    guint32 size = p[off + 4] | p[off + 5] << 8 | p[off + 6] << 16 | (guint32) p[off + 7] << 24;
    const guint8 *body = p + off + 8;
    if (size > len - off - 8)
      size = (guint32) (len - off - 8);
    if (memcmp (p + off, "fmt ", 4) == 0 && size >= 16) {
      int format = body[0] | body[1] << 8, channels = body[2] | body[3] << 8;
      int rate = body[4] | body[5] << 8 | body[6] << 16 | body[7] << 24;
      int bits = body[14] | body[15] << 8;
      ok_fmt = format == 1 && channels == 1 && rate == 16000 && bits == 16;
    } else if (memcmp (p + off, "data", 4) == 0 && ok_fmt) {
      for (guint32 i = 0; i + 1 < size; i += 2) {
        float v = (gint16) (body[i] | body[i + 1] << 8) / 32768.0f;
        g_array_append_val (out, v);
      }
    }
    off += 8 + size + (size & 1);
  }
done:
  g_free (data);
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Speech recordings of speech_dir (sorted by name), or NULL when there are none. */
static GArray *
load_speech (const char *speech_dir)
{
  GDir *dir = speech_dir ? g_dir_open (speech_dir, 0, NULL) : NULL;
  if (dir == NULL)
    return NULL;
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".wav"))
      g_ptr_array_add (names, g_build_filename (speech_dir, name, NULL));
  g_dir_close (dir);
  qsort (names->pdata, names->len, sizeof (char *), cmp_str);
  GArray *speech = g_array_new (FALSE, FALSE, sizeof (float));
  for (guint i = 0; i < names->len; i++)
    append_wav (speech, names->pdata[i]);
  g_ptr_array_free (names, TRUE);
  if (speech->len < 16000) {
    g_array_free (speech, TRUE);
    return NULL;
  }
  return speech;
}

/* Speech-like stand-in: 150-400 ms syllables (a 90-220 Hz buzz plus low-passed noise under a
 * raised-cosine envelope) with 50-600 ms pauses of faint noise. */
static void
fill_synthetic_speech (float *x, size_t n)
{
  BenchRng r;
  bench_rng_seed (&r, 7);
  size_t i = 0;
  float lp = 0.0f;
  while (i < n) {
    size_t syl = (size_t) (16000 * (0.275 + 0.125 * bench_rng_uniform (&r)));
    size_t gap = (size_t) (16000 * (0.325 + 0.275 * bench_rng_uniform (&r)));
    float f0 = 155.0f + 65.0f * bench_rng_uniform (&r), amp = 0.2f + 0.1f * bench_rng_uniform (&r);
    for (size_t k = 0; k < syl && i < n; k++, i++) {
      float env = 0.5f - 0.5f * cosf (2.0f * (float) M_PI * k / syl);
      lp += 0.3f * (bench_rng_uniform (&r) - lp);
      float buzz = 0.0f;
      for (int h = 1; h <= 8; h++)
        buzz += sinf (2.0f * (float) M_PI * f0 * h * k / 16000.0f) / h;
      x[i] = amp * env * (0.35f * buzz + 0.6f * lp);
    }
    for (size_t k = 0; k < gap && i < n; k++, i++)
      x[i] = 1e-3f * bench_rng_uniform (&r);
  }
}

const char *
bench_signal_fill (BenchSignal kind, const char *speech_dir, float *x, size_t n)
{
  if (kind == BENCH_SILENCE) {
    memset (x, 0, n * sizeof (float));
    return "digital silence";
  }
  if (kind == BENCH_QUIET) {
    BenchRng r;
    bench_rng_seed (&r, 3);
    /* uniform [-a, a) has RMS a/sqrt(3); -90 dBFS RMS */
    float a = (float) (pow (10.0, -90.0 / 20.0) * sqrt (3.0));
    for (size_t i = 0; i < n; i++)
      x[i] = a * bench_rng_uniform (&r);
    return "white noise at -90 dBFS RMS";
  }
  GArray *speech = load_speech (speech_dir);
  if (speech == NULL) {
    fill_synthetic_speech (x, n);
    return "synthetic speech-like bursts (no recordings found)";
  }
  const float *s = (const float *) speech->data;
  for (size_t i = 0; i < n; i++)
    x[i] = s[i % speech->len];
  static char desc[256];
  g_snprintf (desc, sizeof desc, "speech recordings of %s (%.0f s, looped)", speech_dir,
      speech->len / 16000.0);
  g_array_free (speech, TRUE);
  return desc;
}

float *
bench_read_f32 (const char *path, size_t max_samples, size_t *n)
{
  FILE *f = fopen (path, "rb");
  if (f == NULL)
    bench_die ("%s: cannot open", path);
  fseek (f, 0, SEEK_END);
  size_t total = (size_t) ftell (f) / sizeof (float);
  fseek (f, 0, SEEK_SET);
  if (max_samples > 0 && max_samples < total)
    total = max_samples;
  float *x = g_new (float, MAX (total, 1));
  if (fread (x, sizeof (float), total, f) != total)
    bench_die ("%s: short read", path);
  fclose (f);
  *n = total;
  return x;
}

int
bench_write_f32 (const char *path, const float *x, size_t n)
{
  FILE *f = fopen (path, "wb");
  if (f == NULL)
    return 0;
  int ok = fwrite (x, sizeof (float), n, f) == n;
  return fclose (f) == 0 && ok;
}

static void
put_le (FILE *f, uint32_t v, int bytes)
{
  for (int i = 0; i < bytes; i++)
    fputc ((v >> (8 * i)) & 0xff, f);
}

int
bench_write_wav16 (const char *path, const float *x, size_t n, int rate)
{
  FILE *f = fopen (path, "wb");
  if (f == NULL)
    return 0;
  uint32_t bytes = (uint32_t) (n * 2);
  fwrite ("RIFF", 1, 4, f);
  put_le (f, 36 + bytes, 4);
  fwrite ("WAVEfmt ", 1, 8, f);
  put_le (f, 16, 4);
  put_le (f, 1, 2);             /* PCM */
  put_le (f, 1, 2);             /* mono */
  put_le (f, rate, 4);
  put_le (f, rate * 2, 4);
  put_le (f, 2, 2);
  put_le (f, 16, 2);
  fwrite ("data", 1, 4, f);
  put_le (f, bytes, 4);
  for (size_t i = 0; i < n; i++) {
    float v = roundf (x[i] * 32768.0f);
    put_le (f, (uint32_t) (int16_t) CLAMP (v, -32768.0f, 32767.0f), 2);
  }
  return fclose (f) == 0;
}

void
bench_json_begin (const char *case_name)
{
  printf ("{\"case\": \"%s\"", case_name);
}

void
bench_json_num (const char *key, double v)
{
  if (isfinite (v))
    printf (", \"%s\": %.9g", key, v);
  else
    printf (", \"%s\": null", key);
}

void
bench_json_str (const char *key, const char *v)
{
  printf (", \"%s\": \"", key);
  for (const char *c = v; *c; c++) {
    if (*c == '"' || *c == '\\')
      putchar ('\\');
    putchar ((unsigned char) *c < 0x20 ? ' ' : *c);
  }
  putchar ('"');
}

void
bench_json_end (void)
{
  printf ("}\n");
  fflush (stdout);
}

void
bench_die (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  fprintf (stderr, "mega-bench: ");
  vfprintf (stderr, fmt, ap);
  fprintf (stderr, "\n");
  va_end (ap);
  exit (2);
}
