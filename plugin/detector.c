/* Smoother and detection rule; see detector.h for the rule itself. */
#include "detector.h"

#include <math.h>
#include <string.h>

/* The running sums are refreshed from the ring this often, so rounding from the
 * add-newest/subtract-oldest updates cannot build up over hours of audio. */
#define RESUM_PERIOD 4096

struct MegaDetector {
  int n_labels;
  gboolean *background;
  guint capacity;          /* rows in the ring */
  float *ring;             /* capacity x n_labels posteriors, oldest at `head` */
  guint head, fill;
  double *sum;             /* column sums of the rows in the window */
  double *mean;
  guint64 frames;          /* pushes since reset */
  guint pushes_since_resum;

  guint window, minimum_count;
  guint64 suppression;
  double threshold;

  int last_label;          /* -1: nothing detected yet */
  guint64 last_frame;
};

MegaDetector *
mega_detector_new (int n_labels, const gboolean *background, guint max_window)
{
  MegaDetector *det = g_new0 (MegaDetector, 1);
  det->n_labels = n_labels;
  det->background = g_memdup2 (background, sizeof (gboolean) * n_labels);
  det->capacity = MAX (max_window, 1);
  det->ring = g_new0 (float, (gsize) det->capacity * n_labels);
  det->sum = g_new0 (double, n_labels);
  det->mean = g_new0 (double, n_labels);
  det->window = 1;
  det->minimum_count = 1;
  det->threshold = 0.5;
  mega_detector_reset (det);
  return det;
}

void
mega_detector_free (MegaDetector *det)
{
  if (!det)
    return;
  g_free (det->background);
  g_free (det->ring);
  g_free (det->sum);
  g_free (det->mean);
  g_free (det);
}

void
mega_detector_reset (MegaDetector *det)
{
  det->head = 0;
  det->fill = 0;
  det->frames = 0;
  det->pushes_since_resum = 0;
  det->last_label = -1;
  det->last_frame = 0;
  memset (det->sum, 0, sizeof (double) * det->n_labels);
  memset (det->mean, 0, sizeof (double) * det->n_labels);
}

static const float *
row_at (const MegaDetector *det, guint i)   /* i = 0 is the oldest row in the window */
{
  return det->ring + (gsize) ((det->head + i) % det->capacity) * det->n_labels;
}

static void
resum (MegaDetector *det)
{
  memset (det->sum, 0, sizeof (double) * det->n_labels);
  for (guint i = 0; i < det->fill; i++) {
    const float *r = row_at (det, i);
    for (int k = 0; k < det->n_labels; k++)
      det->sum[k] += r[k];
  }
  det->pushes_since_resum = 0;
}

static void
drop_oldest (MegaDetector *det)
{
  const float *r = row_at (det, 0);
  for (int k = 0; k < det->n_labels; k++)
    det->sum[k] -= r[k];
  det->head = (det->head + 1) % det->capacity;
  det->fill--;
}

static void
update_mean (MegaDetector *det)
{
  for (int k = 0; k < det->n_labels; k++) {
    double m = det->fill ? det->sum[k] / det->fill : 0.0;
    det->mean[k] = CLAMP (m, 0.0, 1.0);   /* subtraction can leave -1e-17 */
  }
}

void
mega_detector_configure (MegaDetector *det, guint window, guint minimum_count,
    guint64 suppression_frames, double threshold)
{
  det->window = CLAMP (window, 1, det->capacity);
  det->minimum_count = MAX (minimum_count, 1);
  det->suppression = suppression_frames;
  det->threshold = threshold;
  if (det->fill > det->window) {
    while (det->fill > det->window)
      drop_oldest (det);
    resum (det);
    update_mean (det);
  }
}

gboolean
mega_detector_push (MegaDetector *det, const float *posteriors, MegaDetection *out)
{
  if (det->fill == det->window)
    drop_oldest (det);
  float *slot = det->ring + (gsize) ((det->head + det->fill) % det->capacity) * det->n_labels;
  memcpy (slot, posteriors, sizeof (float) * det->n_labels);
  det->fill++;
  for (int k = 0; k < det->n_labels; k++)
    det->sum[k] += posteriors[k];
  if (++det->pushes_since_resum >= RESUM_PERIOD)
    resum (det);
  update_mean (det);

  guint64 frame = det->frames++;

  if (!mega_detector_ready (det))
    return FALSE;

  int best = -1;
  for (int k = 0; k < det->n_labels; k++)
    if (!det->background[k] && (best < 0 || det->mean[k] > det->mean[best]))
      best = k;
  if (best < 0 || det->mean[best] < det->threshold)
    return FALSE;
  if (best == det->last_label && frame - det->last_frame < det->suppression)
    return FALSE;

  det->last_label = best;
  det->last_frame = frame;

  guint64 first = frame + 1 - det->fill;
  out->label = best;
  out->confidence = det->mean[best];
  out->frame = frame;
  out->window_first = first;
  out->start_frame = out->end_frame = frame;
  /* mean >= threshold guarantees some row reaches threshold / 2, so both are found. */
  gboolean found = FALSE;
  for (guint i = 0; i < det->fill; i++) {
    if (row_at (det, i)[best] >= det->threshold / 2) {
      if (!found)
        out->start_frame = first + i;
      out->end_frame = first + i;
      found = TRUE;
    }
  }
  return TRUE;
}

const double *
mega_detector_mean (const MegaDetector *det)
{
  return det->mean;
}

guint
mega_detector_fill (const MegaDetector *det)
{
  return det->fill;
}

guint64
mega_detector_frames (const MegaDetector *det)
{
  return det->frames;
}

gboolean
mega_detector_ready (const MegaDetector *det)
{
  return det->fill >= MIN (det->minimum_count, det->window);
}

void
mega_detector_skip (MegaDetector *det, guint64 n)
{
  det->frames += n;
}

gboolean
mega_detector_would_fire (const MegaDetector *det)
{
  for (int k = 0; k < det->n_labels; k++)
    if (!det->background[k] && det->mean[k] >= det->threshold)
      return TRUE;
  return FALSE;
}
