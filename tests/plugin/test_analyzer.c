/* Unit test of the analyzer (plugin/analyzer.c) on hand-made logits; the expected values are
 * worked out in the comments. Geometry: 1000 Hz, frames of 25 samples every 10, so frame f
 * ends at sample (= ms) 10 f + 25. */
#include <glib.h>
#include <math.h>

#include "analyzer.h"

static const char *const LABELS[4] = { "_silence_", "_unknown_", "yes", "no" };
static const MegaInfo INFO = { .sample_rate = 1000, .frame_length = 25, .frame_shift = 10,
  .n_labels = 4, .labels = LABELS };
/* e^-20 = 2e-9: posteriors one-hot to 1e-8 */
static const float SIL[4] = { 20, 0, 0, 0 }, UNK[4] = { 0, 20, 0, 0 }, YES[4] = { 0, 0, 20, 0 };

static MegaAnalyzer *
analyzer (double threshold, guint smoothing, guint64 suppression, guint minimum,
    guint64 interval_ns)
{
  MegaAnalyzer *a = mega_analyzer_new (&INFO, 16);
  MegaAnalyzerParams p = { threshold, smoothing, suppression, minimum, interval_ns };
  mega_analyzer_set_params (a, &p);
  return a;
}

static void
test_softmax_and_nonfinite (void)
{
  MegaAnalyzer *a = analyzer (0.6, 1, 0, 1, 0);
  MegaAnalyzerFrame f;
  /* e^0, e^0, e^ln2, e^ln4 = 1, 1, 2, 4 of 8; a shift of all logits by 100 changes nothing */
  const float rows[2][4] = { { 0, 0, (float) G_LN2, 2 * (float) G_LN2 },
    { 100, 100, 100 + (float) G_LN2, 100 + 2 * (float) G_LN2 } };
  const double expect[4] = { 0.125, 0.125, 0.25, 0.5 };
  for (int r = 0; r < 2; r++) {
    mega_analyzer_push (a, rows[r], &f);
    g_assert_false (f.nonfinite);
    for (int k = 0; k < 4; k++)
      g_assert_cmpfloat_with_epsilon (mega_analyzer_posteriors (a)[k], expect[k], 1e-5);
  }
  g_assert_cmpuint (mega_analyzer_nonfinite_rows (a), ==, 0);
  /* NaN and +Inf rows become uniform and are counted */
  const float bad[2][4] = { { NAN, 0, 0, 0 }, { 0, INFINITY, 0, 0 } };
  for (int r = 0; r < 2; r++) {
    mega_analyzer_push (a, bad[r], &f);
    g_assert_true (f.nonfinite);
    g_assert_cmpuint (f.frame, ==, 2 + r);
    for (int k = 0; k < 4; k++)
      g_assert_cmpfloat (mega_analyzer_posteriors (a)[k], ==, 0.25f);
  }
  mega_analyzer_push (a, YES, &f);
  g_assert_cmpuint (mega_analyzer_nonfinite_rows (a), ==, 2);
  mega_analyzer_free (a);
}

static void
test_detection_and_end_padding (void)
{
  /* window 4, at least 2 frames, suppression 3 frames, threshold 0.6 */
  MegaAnalyzer *a = analyzer (0.6, 4, 3, 2, 0);
  MegaAnalyzerFrame f;
  mega_analyzer_push (a, SIL, &f);         /* f0: background */
  g_assert_false (f.detected);
  mega_analyzer_push (a, YES, &f);         /* f1: yes 1/2 < 0.6 */
  g_assert_false (f.detected);
  mega_analyzer_push (a, YES, &f);         /* f2: yes 2/3 */
  g_assert_true (f.detected);
  g_assert_cmpuint (f.frame, ==, 2);
  g_assert_cmpint (f.det.label, ==, 2);
  g_assert_cmpfloat_with_epsilon (f.det.confidence, 2.0 / 3.0, 1e-6);
  g_assert_cmpuint (f.det.end, ==, 45);    /* window f0..f2 = [0, 45) */
  g_assert_cmpuint (f.det.span, ==, 45);
  g_assert_cmpuint (f.det.start, ==, 10);  /* yes >= 0.3 from f1 ... */
  g_assert_cmpuint (f.det.stop, ==, 45);   /* ... to f2 */
  mega_analyzer_push (a, YES, &f);         /* f3, f4: suppressed */
  g_assert_false (f.detected);
  mega_analyzer_push (a, YES, &f);
  g_assert_false (f.detected);
  /* the audio ended at 50: f5 (window f2..f5 = [20, 75)) is decided in the padding */
  mega_analyzer_set_audio_end (a, 50);
  mega_analyzer_push (a, YES, &f);
  g_assert_true (f.detected);
  g_assert_cmpfloat_with_epsilon (f.det.confidence, 1.0, 1e-6);
  g_assert_cmpuint (f.det.end, ==, 50);
  g_assert_cmpuint (f.det.span, ==, 30);   /* [20, 50) */
  g_assert_cmpuint (f.det.start, ==, 20);
  g_assert_cmpuint (f.det.stop, ==, 50);
  mega_analyzer_free (a);
}

static void
test_interval_and_window (void)
{
  MegaAnalyzer *a = analyzer (0.6, 4, 0, 1, 100000000);   /* every 100 ms */
  MegaAnalyzerFrame f;
  guint64 end, span;
  g_assert_null (mega_analyzer_window (a, &end, &span));
  /* f0..f7 end at 25..95 ms; f8 ends at 105, past the first multiple */
  for (int i = 0; i < 8; i++) {
    mega_analyzer_push (a, i < 6 ? SIL : YES, &f);
    g_assert_false (mega_analyzer_interval_due (a));
  }
  mega_analyzer_push (a, YES, &f);
  g_assert_true (mega_analyzer_interval_due (a));
  g_assert_false (mega_analyzer_interval_due (a));          /* once per multiple */
  const double *mean = mega_analyzer_window (a, &end, &span);
  g_assert_cmpuint (end, ==, 105);
  g_assert_cmpuint (span, ==, 55);                          /* f5..f8 = [50, 105) */
  g_assert_cmpfloat_with_epsilon (mean[0], 0.25, 1e-6);     /* SIL, YES, YES, YES */
  g_assert_cmpfloat_with_epsilon (mean[2], 0.75, 1e-6);
  /* f18 ends at 205, but in the padding nothing falls due */
  for (int i = 9; i < 18; i++)
    mega_analyzer_push (a, SIL, &f);
  mega_analyzer_set_audio_end (a, 190);
  mega_analyzer_push (a, SIL, &f);
  g_assert_false (mega_analyzer_interval_due (a));
  mega_analyzer_free (a);
}

static void
test_interval_skip (void)
{
  MegaAnalyzer *a = analyzer (0.6, 4, 0, 1, 100000000);
  MegaAnalyzerFrame f;
  mega_analyzer_push (a, SIL, &f);         /* f0 ends at 25 */
  mega_analyzer_skip (a, 20);              /* f1..f20: up to 225, multiples 1 and 2 used up */
  mega_analyzer_push (a, SIL, &f);         /* f21 ends at 235 */
  g_assert_cmpuint (f.frame, ==, 21);
  g_assert_false (mega_analyzer_interval_due (a));
  for (int i = 22; i < 28; i++) {
    mega_analyzer_push (a, SIL, &f);
    g_assert_false (mega_analyzer_interval_due (a));
  }
  mega_analyzer_push (a, SIL, &f);         /* f28 ends at 305 */
  g_assert_true (mega_analyzer_interval_due (a));
  mega_analyzer_free (a);
}

static void
test_summary (void)
{
  /* window 2, at least 2 frames: peaks come from frame 0 and from full windows */
  MegaAnalyzer *a = analyzer (0.6, 2, 0, 2, 0);
  MegaAnalyzerFrame f;
  MegaAnalyzerSummary s;
  g_assert_false (mega_analyzer_summary (a, &s));
  mega_analyzer_push (a, SIL, &f);         /* f0 counts: silence 1 */
  mega_analyzer_push (a, YES, &f);         /* yes 1/2 */
  mega_analyzer_push (a, SIL, &f);         /* yes 1/2 */
  g_assert_true (mega_analyzer_summary (a, &s));
  g_assert_cmpuint (s.frames, ==, 3);
  g_assert_cmpfloat_with_epsilon (s.peak[0], 1.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (s.peak[2], 0.5, 1e-6);
  g_assert_cmpint (s.label, ==, 0);        /* yes 0.5 < 0.6: _silence_ */
  /* a stream reset keeps the summary; two frames of _unknown_ beat silence */
  mega_analyzer_reset (a);
  mega_analyzer_push (a, UNK, &f);         /* one frame < 2: no peak */
  g_assert_true (mega_analyzer_summary (a, &s));
  g_assert_cmpfloat_with_epsilon (s.peak[1], 0.0, 1e-6);
  mega_analyzer_push (a, UNK, &f);
  g_assert_true (mega_analyzer_summary (a, &s));
  g_assert_cmpuint (s.frames, ==, 5);
  g_assert_cmpfloat_with_epsilon (s.peak[1], 1.0, 1e-6);
  g_assert_cmpint (s.label, ==, 1);
  /* a keyword reaching the threshold beats both */
  mega_analyzer_push (a, YES, &f);
  mega_analyzer_push (a, YES, &f);
  mega_analyzer_skip (a, 100);
  g_assert_true (mega_analyzer_summary (a, &s));
  g_assert_cmpuint (s.frames, ==, 107);
  g_assert_cmpint (s.label, ==, 2);
  mega_analyzer_push (a, SIL, &f);
  g_assert_cmpuint (f.frame, ==, 104);     /* 4 since the reset, 100 skipped */
  mega_analyzer_reset_summary (a);
  g_assert_false (mega_analyzer_summary (a, &s));
  mega_analyzer_free (a);
}

static void
test_clip_decision_without_silence (void)
{
  const gboolean background[3] = { TRUE, TRUE, FALSE };
  const double peak[3] = { 0.3, 0.4, 0.5 };
  /* nothing reaches 0.6 and there is no _silence_: the best background label */
  g_assert_cmpint (mega_clip_decision (peak, background, -1, 3, 0.6), ==, 1);
  g_assert_cmpint (mega_clip_decision (peak, background, -1, 3, 0.5), ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/analyzer/softmax-and-nonfinite", test_softmax_and_nonfinite);
  g_test_add_func ("/analyzer/detection-and-end-padding", test_detection_and_end_padding);
  g_test_add_func ("/analyzer/interval-and-window", test_interval_and_window);
  g_test_add_func ("/analyzer/interval-skip", test_interval_skip);
  g_test_add_func ("/analyzer/summary", test_summary);
  g_test_add_func ("/analyzer/clip-decision-without-silence", test_clip_decision_without_silence);
  return g_test_run ();
}
