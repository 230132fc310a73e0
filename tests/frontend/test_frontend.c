/* Front-end tests: features against torchaudio's (fixtures written by make_fixtures.py),
 * streaming with any split, frame counts, reset, config errors and sharing across threads.
 *
 * Usage: test-frontend [GTest options] DATADIR   (DATADIR holds cases.ini) */
#include "frontend.h"
#include "mega.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* Resolvable log-mel values must match torchaudio within this (absolute, natural log). */
#define TOLERANCE 1e-3

typedef struct {
  char *name;
  MegaFbankConfig cfg;
  float *signal;
  size_t n_samples;
  float *expected;      /* torchaudio, float32 */
  float *expected_f64;  /* torchaudio, float64 (stored as float32) */
  size_t n_frames;
} Case;

static const char *data_dir;
static GPtrArray *cases;

static float *
read_f32 (const char *file, size_t *n)
{
  g_autofree char *path = g_build_filename (data_dir, file, NULL);
  g_autoptr (GError) error = NULL;
  char *bytes = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &bytes, &len, &error))
    g_error ("%s", error->message);
  g_assert_cmpuint (len % sizeof (float), ==, 0);
  *n = len / sizeof (float);
  float *data = g_new (float, MAX (*n, 1));
  memcpy (data, bytes, len); /* fixtures are little-endian, like every machine we target */
  g_free (bytes);
  return data;
}

static MegaWindowType
window_from_name (const char *name)
{
  if (g_str_equal (name, "hamming"))
    return MEGA_WINDOW_HAMMING;
  if (g_str_equal (name, "hanning"))
    return MEGA_WINDOW_HANNING;
  if (g_str_equal (name, "povey"))
    return MEGA_WINDOW_POVEY;
  if (g_str_equal (name, "rectangular"))
    return MEGA_WINDOW_RECTANGULAR;
  g_error ("unknown window %s", name);
}

static double
get_double (GKeyFile *kf, const char *group, const char *key)
{
  g_autoptr (GError) error = NULL;
  double v = g_key_file_get_double (kf, group, key, &error);
  g_assert_no_error (error);
  return v;
}

static int
get_int (GKeyFile *kf, const char *group, const char *key)
{
  g_autoptr (GError) error = NULL;
  int v = g_key_file_get_integer (kf, group, key, &error);
  g_assert_no_error (error);
  return v;
}

static void
free_case (gpointer data)
{
  Case *c = data;
  g_free (c->name);
  g_free (c->signal);
  g_free (c->expected);
  g_free (c->expected_f64);
  g_free (c);
}

static void
load_cases (void)
{
  g_autofree char *path = g_build_filename (data_dir, "cases.ini", NULL);
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GError) error = NULL;
  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &error))
    g_error ("%s: %s", path, error->message);

  cases = g_ptr_array_new_with_free_func (free_case);
  g_auto (GStrv) groups = g_key_file_get_groups (kf, NULL);
  for (char **g = groups; *g != NULL; g++) {
    Case *c = g_new0 (Case, 1);
    c->name = g_strdup (*g);
    c->cfg.sample_rate = get_int (kf, *g, "sample_rate");
    c->cfg.frame_length_ms = get_double (kf, *g, "frame_length_ms");
    c->cfg.frame_shift_ms = get_double (kf, *g, "frame_shift_ms");
    c->cfg.n_mels = get_int (kf, *g, "n_mels");
    c->cfg.low_freq = get_double (kf, *g, "low_freq");
    c->cfg.high_freq = get_double (kf, *g, "high_freq");
    g_autofree char *window = g_key_file_get_string (kf, *g, "window", NULL);
    c->cfg.window = window_from_name (window);
    c->cfg.preemphasis = get_double (kf, *g, "preemphasis");
    c->cfg.remove_dc_offset = g_key_file_get_boolean (kf, *g, "remove_dc_offset", &error);
    g_assert_no_error (error);
    c->cfg.input_scale = get_double (kf, *g, "input_scale");

    g_autofree char *signal = g_key_file_get_string (kf, *g, "signal", NULL);
    g_autofree char *features = g_key_file_get_string (kf, *g, "features", NULL);
    g_assert_nonnull (signal);
    g_autofree char *features_f64 = g_key_file_get_string (kf, *g, "features_f64", NULL);
    g_assert_nonnull (features);
    g_assert_nonnull (features_f64);
    c->signal = read_f32 (signal, &c->n_samples);
    size_t n_values = 0;
    c->n_frames = (size_t) get_int (kf, *g, "n_frames");
    c->expected = read_f32 (features, &n_values);
    g_assert_cmpuint (n_values, ==, c->n_frames * c->cfg.n_mels);
    c->expected_f64 = read_f32 (features_f64, &n_values);
    g_assert_cmpuint (n_values, ==, c->n_frames * c->cfg.n_mels);
    g_ptr_array_add (cases, c);
  }
  g_assert_cmpuint (cases->len, >, 0);
}

static Case *
find_case (const char *name)
{
  for (guint i = 0; i < cases->len; i++) {
    Case *c = g_ptr_array_index (cases, i);
    if (g_str_equal (c->name, name))
      return c;
  }
  g_error ("no case %s in the fixtures", name);
}

static MegaFbank *
fbank_for (const Case *c)
{
  g_autoptr (GError) error = NULL;
  MegaFbank *fb = mega_fbank_new (&c->cfg, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fb);
  return fb;
}

/* Whole signal in one push; returns n_frames x n_mels features. */
static float *
features_whole (const MegaFbank *fb, const float *x, size_t n, size_t *n_frames)
{
  size_t expect = mega_fbank_n_frames (fb, n);
  float *out = g_new (float, MAX (expect, 1) * mega_fbank_n_mels (fb));
  MegaFbankState *st = mega_fbank_state_new (fb);
  size_t consumed = 0;
  *n_frames = mega_fbank_push (fb, st, x, n, &consumed, out, expect + 1);
  g_assert_cmpuint (consumed, ==, n);
  g_assert_cmpuint (*n_frames, ==, expect);
  mega_fbank_state_free (st);
  return out;
}

/* Single-precision rounding in the FFT leaks a little of a frame's strong bins into all the
 * others: each mel energy carries an absolute error of the order of 1e-10 times the frame's
 * largest mel energy. Measured on the fixtures, torchaudio's float32 result differs from its
 * float64 one by at most 2.7e-10 of the frame maximum, and this front end by at most 2.1e-10.
 * So a value is "resolvable" when its energy is at least RESOLVABLE_FRACTION of the frame's
 * largest: there the rounding error is below 1e-4 in log and C must match torchaudio to
 * TOLERANCE. Below it (pure tones, 60+ dB down), torchaudio's own float32 and float64
 * results differ by up to 0.3 in log (sine sweep, povey window, 16-bit scale), so no float32
 * implementation can match it to 1e-3; there C's energy must be within NOISE_FLOOR of the
 * frame maximum from torchaudio's float64 result, the same bound torchaudio's float32 meets. */
#define RESOLVABLE_FRACTION 1e-5
#define NOISE_FLOOR 1e-9

/* (1) Same features as torchaudio. */
static void
test_torchaudio (gconstpointer data)
{
  const Case *c = data;
  MegaFbank *fb = fbank_for (c);
  int n_mels = mega_fbank_n_mels (fb);
  size_t n_frames = 0;
  g_autofree float *got = features_whole (fb, c->signal, c->n_samples, &n_frames);
  g_assert_cmpuint (n_frames, ==, c->n_frames);

  const float log_floor = logf (FLT_EPSILON);
  const float *ta32 = c->expected, *ta64 = c->expected_f64;
  double max32 = 0.0, max64 = 0.0;       /* resolvable: |C - torchaudio f32|, |C - f64| in log */
  double noise_c = 0.0, noise_32 = 0.0;  /* below: |E - E_f64| / frame max, C and torchaudio */
  double noise_log_c = 0.0, noise_log_32 = 0.0; /* the same in log, for the report */
  size_t worst = 0, n_noise = 0, n_floor = 0;
  for (size_t f = 0; f < n_frames; f++) {
    const size_t row = f * n_mels;
    float frame_max = ta64[row];
    for (int m = 1; m < n_mels; m++)
      frame_max = MAX (frame_max, ta64[row + m]);
    for (int m = 0; m < n_mels; m++) {
      size_t i = row + m;
      g_assert_true (isfinite (got[i]));
      g_assert_cmpfloat (got[i], >=, log_floor);
      n_floor += got[i] == log_floor;
      double d32 = fabs ((double) got[i] - ta32[i]);
      if (ta64[i] >= frame_max + log (RESOLVABLE_FRACTION)) {
        if (d32 > max32)
          max32 = d32, worst = i;
        max64 = MAX (max64, fabs ((double) got[i] - ta64[i]));
      } else {
        double ref = exp ((double) ta64[i]), scale = exp ((double) frame_max);
        n_noise++;
        /* The floor needs no slack: clamping both sides only brings them closer. */
        noise_c = MAX (noise_c, fabs (exp ((double) got[i]) - ref) / scale);
        noise_32 = MAX (noise_32, fabs (exp ((double) ta32[i]) - ref) / scale);
        noise_log_c = MAX (noise_log_c, d32);
        noise_log_32 = MAX (noise_log_32, fabs ((double) ta32[i] - ta64[i]));
      }
    }
  }
  g_test_message ("%-18s %3zu frames, %4zu values at the floor: max |C - torchaudio| = %.2g "
      "(frame %zu mel %zu: %.6f vs %.6f), vs float64 %.2g; %zu of %zu values below float32 "
      "resolution: energy error / frame max: C %.2g, torchaudio f32 %.2g; in log: "
      "|C - ta32| %.2g, |ta32 - ta64| %.2g",
      c->name, n_frames, n_floor, max32, worst / n_mels, worst % n_mels,
      n_frames ? got[worst] : 0.0f, n_frames ? ta32[worst] : 0.0f, max64,
      n_noise, n_frames * n_mels, noise_c, noise_32, noise_log_c, noise_log_32);
  g_assert_cmpfloat (max32, <=, TOLERANCE);
  g_assert_cmpfloat (max64, <=, TOLERANCE);
  g_assert_cmpfloat (noise_c, <=, NOISE_FLOOR);
  /* The noise model must describe torchaudio too, or the split above would be arbitrary. */
  g_assert_cmpfloat (noise_32, <=, NOISE_FLOOR);
  mega_fbank_free (fb);
}

/* Pushes x in blocks whose sizes come from next_block, also capping frames per call at
 * max_per_call to exercise the max_frames limit. */
static float *
features_split (const MegaFbank *fb, const float *x, size_t n, size_t (*next_block) (GRand *),
    size_t max_per_call, size_t *n_frames)
{
  int n_mels = mega_fbank_n_mels (fb);
  size_t total = mega_fbank_n_frames (fb, n);
  float *out = g_new (float, (total + 1) * n_mels);
  MegaFbankState *st = mega_fbank_state_new (fb);
  GRand *rand = g_rand_new_with_seed (42);
  size_t pos = 0, frames = 0;
  while (pos < n) {
    size_t block = next_block (rand); /* not inside MIN: that would draw twice */
    block = MIN (block, n - pos);
    size_t off = 0;
    while (off < block) {
      size_t consumed = 0;
      size_t cap = MIN (max_per_call, total + 1 - frames);
      size_t got = mega_fbank_push (fb, st, x + pos + off, block - off, &consumed,
          out + frames * n_mels, cap);
      g_assert_cmpuint (got, <=, cap);
      /* It stops early only because the frame limit was reached. */
      if (consumed < block - off)
        g_assert_cmpuint (got, ==, cap);
      frames += got;
      off += consumed;
    }
    pos += block;
  }
  g_rand_free (rand);
  mega_fbank_state_free (st);
  *n_frames = frames;
  return out;
}

static size_t block_1 (GRand *r) { return 1; }
static size_t block_7 (GRand *r) { return 7; }
static size_t block_random (GRand *r) { return (size_t) g_rand_int_range (r, 1, 1000); }
static size_t block_all (GRand *r) { return G_MAXSIZE; }

/* (2) Any split gives the same frames, bit for bit: each frame is computed from the same
 * samples by the same code, whatever the split. */
static void
test_streaming (void)
{
  const char *names[] = { "speech-povey16k", "speech-povey32ms", "noise-hamming8k" };
  struct { const char *name; size_t (*fn) (GRand *); size_t max_per_call; } splits[] = {
    { "1 sample", block_1, G_MAXSIZE },
    { "7 samples", block_7, G_MAXSIZE },
    { "random 1..999", block_random, G_MAXSIZE },
    { "random, 1 frame per call", block_random, 1 },
    { "one block", block_all, G_MAXSIZE },
    { "one block, 3 frames per call", block_all, 3 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++) {
    const Case *c = find_case (names[i]);
    MegaFbank *fb = fbank_for (c);
    size_t n_ref = 0;
    g_autofree float *ref = features_whole (fb, c->signal, c->n_samples, &n_ref);
    g_assert_cmpuint (n_ref, >, 10);
    for (gsize s = 0; s < G_N_ELEMENTS (splits); s++) {
      size_t n_got = 0;
      g_autofree float *got = features_split (fb, c->signal, c->n_samples, splits[s].fn,
          splits[s].max_per_call, &n_got);
      g_test_message ("%s split into %s: %zu frames", c->name, splits[s].name, n_got);
      g_assert_cmpuint (n_got, ==, n_ref);
      g_assert_cmpmem (got, n_got * c->cfg.n_mels * sizeof (float),
          ref, n_ref * c->cfg.n_mels * sizeof (float));
    }
    mega_fbank_free (fb);
  }
}

/* (3) Frame counts for every length up to a few frames, pushed whole and in two pieces. */
static void
test_frame_counts (void)
{
  const char *names[] = { "noise-povey16k", "noise-povey32ms", "noise-hamming8k" };
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++) {
    const Case *c = find_case (names[i]);
    MegaFbank *fb = fbank_for (c);
    size_t length = mega_fbank_frame_length (fb), shift = mega_fbank_frame_shift (fb);
    g_assert_cmpuint (length, ==, (size_t) (c->cfg.sample_rate * c->cfg.frame_length_ms * 0.001));
    g_assert_cmpuint (shift, ==, (size_t) (c->cfg.sample_rate * c->cfg.frame_shift_ms * 0.001));
    g_assert_cmpuint (mega_fbank_n_frames (fb, 0), ==, 0);
    g_assert_cmpuint (mega_fbank_n_frames (fb, length - 1), ==, 0);
    g_assert_cmpuint (mega_fbank_n_frames (fb, length), ==, 1);
    g_assert_cmpuint (mega_fbank_n_frames (fb, length + shift - 1), ==, 1);
    g_assert_cmpuint (mega_fbank_n_frames (fb, length + shift), ==, 2);
    g_assert_cmpuint (mega_fbank_n_frames (fb, c->n_samples), ==, c->n_frames);

    size_t limit = MIN (c->n_samples, length + 4 * shift + 3);
    float *out = g_new (float, 8 * (size_t) c->cfg.n_mels);
    MegaFbankState *st = mega_fbank_state_new (fb);
    for (size_t n = 0; n <= limit; n += 1 + n / 64) {
      size_t expect = n < length ? 0 : 1 + (n - length) / shift;
      g_assert_cmpuint (mega_fbank_n_frames (fb, n), ==, expect);
      size_t split = n / 3, consumed = 0, frames = 0;
      mega_fbank_state_reset (st);
      frames += mega_fbank_push (fb, st, c->signal, split, &consumed, out, 8);
      g_assert_cmpuint (consumed, ==, split);
      frames += mega_fbank_push (fb, st, c->signal + split, n - split, &consumed,
          out + frames * c->cfg.n_mels, 8 - frames);
      g_assert_cmpuint (consumed, ==, n - split);
      g_assert_cmpuint (frames, ==, expect);
    }
    /* max_frames = 0 takes nothing. */
    size_t consumed = 1;
    g_assert_cmpuint (mega_fbank_push (fb, st, c->signal, c->n_samples, &consumed, NULL, 0), ==, 0);
    g_assert_cmpuint (consumed, ==, 0);
    mega_fbank_state_free (st);
    g_free (out);
    mega_fbank_free (fb);
  }
}

/* (4) A reset state behaves like a new one, whatever it held. */
static void
test_reset (void)
{
  const Case *c = find_case ("speech-rect16k");
  MegaFbank *fb = fbank_for (c);
  int n_mels = mega_fbank_n_mels (fb);
  size_t n_ref = 0;
  g_autofree float *ref = features_whole (fb, c->signal, c->n_samples, &n_ref);

  g_autofree float *out = g_new (float, (n_ref + 1) * n_mels);
  MegaFbankState *st = mega_fbank_state_new (fb);
  const Case *other = find_case ("noise-rect16k");
  size_t consumed = 0;
  /* Leave a partial frame behind (a few whole frames, then half of one). */
  size_t partial = mega_fbank_frame_length (fb) * 2 + mega_fbank_frame_length (fb) / 2;
  mega_fbank_push (fb, st, other->signal, partial, &consumed, out, n_ref + 1);
  g_assert_cmpuint (consumed, ==, partial);
  mega_fbank_state_reset (st);
  size_t n_got = mega_fbank_push (fb, st, c->signal, c->n_samples, &consumed, out, n_ref + 1);
  g_assert_cmpuint (n_got, ==, n_ref);
  g_assert_cmpmem (out, n_got * n_mels * sizeof (float), ref, n_ref * n_mels * sizeof (float));
  mega_fbank_state_free (st);
  mega_fbank_free (fb);
}

/* (5) Bad configs are refused with a message naming the field. */
static void
test_bad_configs (void)
{
  const MegaFbankConfig good = {
    .sample_rate = 16000, .frame_length_ms = 25.0, .frame_shift_ms = 10.0, .n_mels = 40,
    .low_freq = 20.0, .high_freq = 0.0, .window = MEGA_WINDOW_POVEY, .preemphasis = 0.97,
    .remove_dc_offset = TRUE, .input_scale = 32768.0,
  };
  struct { const char *what; MegaFbankConfig cfg; const char *message; } bad[] = {
    { "rate 0", good, "frontend.sample_rate = 0 is out of range (1000..192000)" },
    { "rate too high", good, "frontend.sample_rate = 200000 is out of range (1000..192000)" },
    { "length 0", good, "frontend.frame_length_ms = 0 is out of range (> 0, <= 1000)" },
    { "length NaN", good, "frontend.frame_length_ms = nan is out of range (> 0, <= 1000)" },
    { "length 2 s", good, "frontend.frame_length_ms = 2000 is out of range (> 0, <= 1000)" },
    { "shift negative", good, "frontend.frame_shift_ms = -10 is out of range (> 0, <= 1000)" },
    { "length 1 sample", good,
      "frontend.frame_length_ms = 0.1 gives 1 samples at 16000 Hz; at least 2 are needed" },
    { "shift 0 samples", good,
      "frontend.frame_shift_ms = 0.05 gives 0 samples at 16000 Hz; at least 1 is needed" },
    { "shift > length", good, "frontend.frame_shift_ms = 30 (480 samples) is longer than "
      "frontend.frame_length_ms = 25 (400 samples)" },
    { "mels 0", good, "frontend.n_mels = 0 is out of range (1..256)" },
    { "mels 257", good, "frontend.n_mels = 257 is out of range (1..256)" },
    { "low negative", good,
      "frontend.low_freq = -1 is out of range (0 <= low_freq < 8000, the Nyquist frequency)" },
    { "low at nyquist", good,
      "frontend.low_freq = 8000 is out of range (0 <= low_freq < 8000, the Nyquist frequency)" },
    { "high above nyquist", good, "frontend.high_freq = 9000 means 9000 Hz, which is not in "
      "(low_freq = 20, 8000] (values <= 0 are offsets from the Nyquist frequency)" },
    { "high below low", good, "frontend.high_freq = -7990 means 10 Hz, which is not in "
      "(low_freq = 20, 8000] (values <= 0 are offsets from the Nyquist frequency)" },
    { "window", good, "frontend.window = 7 is not a known window type" },
    { "preemphasis", good, "frontend.preemphasis = 1.5 is out of range (0..1)" },
    { "scale 0", good, "frontend.input_scale = 0 is out of range (> 0, finite)" },
    { "scale inf", good, "frontend.input_scale = inf is out of range (> 0, finite)" },
  };
  gsize i = 0;
  bad[i++].cfg.sample_rate = 0;
  bad[i++].cfg.sample_rate = 200000;
  bad[i++].cfg.frame_length_ms = 0.0;
  bad[i++].cfg.frame_length_ms = NAN;
  bad[i++].cfg.frame_length_ms = 2000.0;
  bad[i++].cfg.frame_shift_ms = -10.0;
  bad[i].cfg.frame_length_ms = 0.1, bad[i++].cfg.frame_shift_ms = 0.05;
  bad[i++].cfg.frame_shift_ms = 0.05;
  bad[i++].cfg.frame_shift_ms = 30.0;
  bad[i++].cfg.n_mels = 0;
  bad[i++].cfg.n_mels = 257;
  bad[i++].cfg.low_freq = -1.0;
  bad[i++].cfg.low_freq = 8000.0;
  bad[i++].cfg.high_freq = 9000.0;
  bad[i++].cfg.high_freq = -7990.0;
  bad[i++].cfg.window = (MegaWindowType) 7;
  bad[i++].cfg.preemphasis = 1.5;
  bad[i++].cfg.input_scale = 0.0;
  bad[i++].cfg.input_scale = INFINITY;
  g_assert_cmpuint (i, ==, G_N_ELEMENTS (bad));

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    MegaFbank *fb = mega_fbank_new (&bad[i].cfg, &error);
    g_test_message ("%s: %s", bad[i].what, error ? error->message : "(accepted)");
    g_assert_null (fb);
    g_assert_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT);
    g_assert_cmpstr (error->message, ==, bad[i].message);
  }

  /* The edges of the ranges are accepted. */
  MegaFbankConfig edge = good;
  edge.sample_rate = 1000, edge.n_mels = 256, edge.low_freq = 0.0, edge.high_freq = 500.0;
  edge.preemphasis = 1.0, edge.frame_shift_ms = edge.frame_length_ms;
  g_autoptr (GError) error = NULL;
  MegaFbank *fb = mega_fbank_new (&edge, &error);
  g_assert_no_error (error);
  g_assert_cmpint (mega_fbank_frame_length (fb), ==, 25);
  g_assert_cmpint (mega_fbank_frame_shift (fb), ==, 25);
  /* Most of the 256 filters are narrower than an FFT bin here and stay at the floor. */
  float x[100], out[4 * 256];
  for (int k = 0; k < 100; k++)
    x[k] = sinf (0.3f * k);
  size_t consumed = 0;
  MegaFbankState *st = mega_fbank_state_new (fb);
  g_assert_cmpuint (mega_fbank_push (fb, st, x, 100, &consumed, out, 4), ==, 4);
  g_assert_cmpuint (consumed, ==, 100);
  int n_floor = 0;
  for (int k = 0; k < 4 * 256; k++) {
    g_assert_true (isfinite (out[k]) && out[k] >= logf (FLT_EPSILON));
    n_floor += out[k] == logf (FLT_EPSILON);
  }
  g_assert_cmpint (n_floor, >, 0);
  g_assert_cmpint (n_floor, <, 4 * 256);
  mega_fbank_state_free (st);
  mega_fbank_free (fb);
}

/* (6) Streams on different threads share one MegaFbank. */
typedef struct {
  const MegaFbank *fb;
  const Case *c;
  float *out;
  size_t n_frames;
} Job;

static gpointer
run_job (gpointer data)
{
  Job *job = data;
  int n_mels = mega_fbank_n_mels (job->fb);
  MegaFbankState *st = mega_fbank_state_new (job->fb);
  size_t total = mega_fbank_n_frames (job->fb, job->c->n_samples);
  job->out = g_new (float, (total + 1) * n_mels);
  job->n_frames = 0;
  /* Many small pushes so that the two threads interleave. */
  for (size_t pos = 0; pos < job->c->n_samples; pos += 37) {
    size_t consumed = 0;
    size_t n = MIN (37, job->c->n_samples - pos);
    job->n_frames += mega_fbank_push (job->fb, st, job->c->signal + pos, n, &consumed,
        job->out + job->n_frames * n_mels, total + 1 - job->n_frames);
    g_assert_cmpuint (consumed, ==, n);
  }
  mega_fbank_state_free (st);
  return NULL;
}

static gpointer
create_and_free (gpointer data)
{
  const Case *c = data;
  for (int i = 0; i < 50; i++)
    mega_fbank_free (fbank_for (c));
  return NULL;
}

static void
test_threads (void)
{
  const Case *a = find_case ("speech-povey16k"), *b = find_case ("sweep-povey16k");
  MegaFbank *fb = fbank_for (a);
  for (int round = 0; round < 5; round++) {
    Job jobs[4] = { { fb, a, NULL, 0 }, { fb, a, NULL, 0 }, { fb, b, NULL, 0 }, { fb, b, NULL, 0 } };
    GThread *threads[G_N_ELEMENTS (jobs)];
    /* Other threads plan and destroy FFTs meanwhile: the planner lock must hold. */
    GThread *planner = g_thread_new ("planner", create_and_free, (gpointer) b);
    for (gsize i = 0; i < G_N_ELEMENTS (jobs); i++)
      threads[i] = g_thread_new ("stream", run_job, &jobs[i]);
    for (gsize i = 0; i < G_N_ELEMENTS (jobs); i++)
      g_thread_join (threads[i]);
    g_thread_join (planner);

    for (gsize i = 0; i < G_N_ELEMENTS (jobs); i++) {
      size_t n_ref = 0;
      g_autofree float *ref = features_whole (fb, jobs[i].c->signal, jobs[i].c->n_samples, &n_ref);
      g_assert_cmpuint (jobs[i].n_frames, ==, n_ref);
      g_assert_cmpmem (jobs[i].out, n_ref * a->cfg.n_mels * sizeof (float),
          ref, n_ref * a->cfg.n_mels * sizeof (float));
      g_free (jobs[i].out);
    }
  }
  mega_fbank_free (fb);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (argc != 2) {
    g_printerr ("usage: %s [GTest options] DATADIR\n", argv[0]);
    return 2;
  }
  data_dir = argv[1];
  load_cases ();

  for (guint i = 0; i < cases->len; i++) {
    Case *c = g_ptr_array_index (cases, i);
    g_autofree char *path = g_strdup_printf ("/frontend/torchaudio/%s", c->name);
    g_test_add_data_func (path, c, test_torchaudio);
  }
  g_test_add_func ("/frontend/streaming", test_streaming);
  g_test_add_func ("/frontend/frame-counts", test_frame_counts);
  g_test_add_func ("/frontend/reset", test_reset);
  g_test_add_func ("/frontend/bad-configs", test_bad_configs);
  g_test_add_func ("/frontend/threads", test_threads);

  int rc = g_test_run ();
  g_ptr_array_free (cases, TRUE);
  return rc;
}
