/* Unit test of the smoother/detector (plugin/detector.c) on hand-made posteriors whose
 * outcome is worked out by hand in the comments. */
#include <glib.h>
#include <math.h>

#include "detector.h"

/* labels: 0 = _silence_ (background), 1 = yes, 2 = no */
static const gboolean background[3] = { TRUE, FALSE, FALSE };
static const float SIL[3] = { 1, 0, 0 }, YES[3] = { 0, 1, 0 }, NO[3] = { 0, 0, 1 },
    HALF[3] = { 0.5f, 0.5f, 0 };

static void
test_rule (void)
{
  MegaDetector *d = mega_detector_new (3, background, 10);
  MegaDetection det;
  /* window 4 frames, at least 2 frames, suppression 3 frames, threshold 0.6 */
  mega_detector_configure (d, 4, 2, 3, 0.6);

  g_assert_false (mega_detector_push (d, SIL, &det));   /* f0: silence is background */
  g_assert_false (mega_detector_push (d, YES, &det));   /* f1: yes mean 0.5 < 0.6 */
  g_assert_true (mega_detector_push (d, YES, &det));    /* f2: yes mean 2/3 */
  g_assert_cmpint (det.label, ==, 1);
  g_assert_cmpfloat_with_epsilon (det.confidence, 2.0 / 3.0, 1e-9);
  g_assert_cmpuint (det.frame, ==, 2);
  g_assert_cmpuint (det.window_first, ==, 0);
  g_assert_cmpuint (det.start_frame, ==, 1);             /* first frame with yes >= 0.3 */
  g_assert_cmpuint (det.end_frame, ==, 2);
  g_assert_false (mega_detector_push (d, YES, &det));   /* f3: 3/4 but suppressed (1 frame) */
  g_assert_false (mega_detector_push (d, YES, &det));   /* f4: window f1..f4 = 1.0, suppressed (2) */
  g_assert_true (mega_detector_push (d, YES, &det));    /* f5: 3 frames since f2: fires again */
  g_assert_cmpuint (det.frame, ==, 5);
  g_assert_cmpuint (det.window_first, ==, 2);
  g_assert_cmpfloat_with_epsilon (det.confidence, 1.0, 1e-9);
  g_assert_false (mega_detector_push (d, NO, &det));    /* f6: yes still 0.75, suppressed */
  g_assert_false (mega_detector_push (d, NO, &det));    /* f7: yes 0.5 = no 0.5 < 0.6 */
  g_assert_true (mega_detector_push (d, NO, &det));     /* f8: no 0.75, a new label: no suppression */
  g_assert_cmpint (det.label, ==, 2);
  g_assert_cmpfloat_with_epsilon (det.confidence, 0.75, 1e-9);
  g_assert_cmpuint (det.start_frame, ==, 6);
  g_assert_cmpuint (det.end_frame, ==, 8);
  g_assert_cmpuint (mega_detector_frames (d), ==, 9);
  mega_detector_free (d);
}

static void
test_minimum_count_and_mean (void)
{
  MegaDetector *d = mega_detector_new (3, background, 10);
  MegaDetection det;
  mega_detector_configure (d, 5, 3, 0, 0.5);
  g_assert_false (mega_detector_push (d, YES, &det));   /* 1 frame < 3 */
  g_assert_false (mega_detector_push (d, YES, &det));   /* 2 frames < 3 */
  g_assert_true (mega_detector_push (d, YES, &det));
  g_assert_true (mega_detector_push (d, YES, &det));    /* suppression 0: every frame */
  g_assert_cmpuint (mega_detector_fill (d), ==, 4);
  mega_detector_push (d, HALF, &det);
  const double *m = mega_detector_mean (d);
  g_assert_cmpfloat_with_epsilon (m[0], 0.1, 1e-9);      /* (0+0+0+0+0.5)/5 */
  g_assert_cmpfloat_with_epsilon (m[1], 0.9, 1e-9);
  g_assert_cmpfloat_with_epsilon (m[2], 0.0, 1e-9);
  /* A window shorter than minimum-count caps the count at the window. */
  mega_detector_reset (d);
  mega_detector_configure (d, 1, 3, 0, 0.5);
  g_assert_true (mega_detector_push (d, YES, &det));
  g_assert_cmpuint (det.window_first, ==, 0);
  mega_detector_free (d);
}

static void
test_live_window_change_and_reset (void)
{
  MegaDetector *d = mega_detector_new (3, background, 8);
  MegaDetection det;
  mega_detector_configure (d, 8, 1, 100, 0.9);
  for (int i = 0; i < 6; i++)
    mega_detector_push (d, SIL, &det);
  mega_detector_push (d, YES, &det);
  g_assert_cmpuint (mega_detector_fill (d), ==, 7);
  /* Shrinking to 1 frame keeps only the newest (YES): mean yes = 1. */
  mega_detector_configure (d, 1, 1, 100, 0.9);
  g_assert_cmpuint (mega_detector_fill (d), ==, 1);
  g_assert_cmpfloat_with_epsilon (mega_detector_mean (d)[1], 1.0, 1e-9);
  g_assert_true (mega_detector_push (d, YES, &det));
  g_assert_false (mega_detector_push (d, YES, &det));   /* suppressed */
  mega_detector_reset (d);
  g_assert_cmpuint (mega_detector_fill (d), ==, 0);
  g_assert_cmpuint (mega_detector_frames (d), ==, 0);
  g_assert_true (mega_detector_push (d, YES, &det));    /* reset forgot the last detection */
  g_assert_cmpuint (det.frame, ==, 0);
  /* A window larger than the capacity is clamped to it. */
  mega_detector_configure (d, 1000, 1, 0, 0.9);
  for (int i = 0; i < 20; i++)
    mega_detector_push (d, NO, &det);
  g_assert_cmpuint (mega_detector_fill (d), ==, 8);
  mega_detector_free (d);
}

static void
test_long_run_no_drift (void)
{
  /* 100k frames of alternating rows: the running mean must stay exact. */
  MegaDetector *d = mega_detector_new (3, background, 50);
  MegaDetection det;
  mega_detector_configure (d, 50, 1, 0, 2.0);   /* threshold above 1: never fires */
  float row[3];
  for (int i = 0; i < 100000; i++) {
    float v = (i % 7) / 7.0f;
    row[0] = v;
    row[1] = 1 - v;
    row[2] = 0;
    g_assert_false (mega_detector_push (d, row, &det));
  }
  double expect = 0;
  for (int i = 100000 - 50; i < 100000; i++)
    expect += (float) ((i % 7) / 7.0f);
  expect /= 50;
  g_assert_cmpfloat_with_epsilon (mega_detector_mean (d)[0], expect, 1e-9);
  mega_detector_free (d);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/detector/rule", test_rule);
  g_test_add_func ("/detector/minimum-count-and-mean", test_minimum_count_and_mean);
  g_test_add_func ("/detector/live-window-change-and-reset", test_live_window_change_and_reset);
  g_test_add_func ("/detector/long-run-no-drift", test_long_run_no_drift);
  return g_test_run ();
}
