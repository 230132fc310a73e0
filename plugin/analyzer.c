/* From logits to results; see analyzer.h. */
#include "analyzer.h"

#include <math.h>
#include <string.h>

#include "detector.h"

struct MegaAnalyzer {
  int n_labels, rate, shift, frame_length;
  const char *const *labels;
  gboolean *background;        /* name starts with '_' */
  int silence;                 /* index of `_silence_`, or -1 */
  MegaDetector *detector;
  MegaAnalyzerParams params;
  float *posteriors;           /* the newest row */
  guint64 nonfinite_rows;

  guint64 last_end;            /* end of the newest frame */
  guint64 audio_end;           /* G_MAXUINT64 unless padding at the end */
  guint64 interval_k, interval_used;

  double *peak;
  guint64 summary_frames;
};

/* floor (x * GSECOND / rate) without overflow for any position a stream reaches, as
 * gst_util_uint64_scale_int gives it (the element's timestamps use that). */
static guint64
to_ns (const MegaAnalyzer *a, guint64 x)
{
  guint64 q = x / (guint64) a->rate, r = x % (guint64) a->rate;
  return q * G_GUINT64_CONSTANT (1000000000)
      + r * G_GUINT64_CONSTANT (1000000000) / (guint64) a->rate;
}

static guint64
frame_end (const MegaAnalyzer *a, guint64 frame)
{
  return frame * a->shift + a->frame_length;
}

MegaAnalyzer *
mega_analyzer_new (const MegaInfo *info, guint max_window)
{
  MegaAnalyzer *a = g_new0 (MegaAnalyzer, 1);
  a->n_labels = info->n_labels;
  a->rate = info->sample_rate;
  a->shift = info->frame_shift;
  a->frame_length = info->frame_length;
  a->labels = info->labels;
  a->background = g_new (gboolean, a->n_labels);
  a->silence = -1;
  for (int k = 0; k < a->n_labels; k++) {
    a->background[k] = a->labels[k][0] == '_';
    if (strcmp (a->labels[k], "_silence_") == 0)
      a->silence = k;
  }
  a->detector = mega_detector_new (a->n_labels, a->background, max_window);
  a->posteriors = g_new0 (float, a->n_labels);
  a->peak = g_new0 (double, a->n_labels);
  a->params = (MegaAnalyzerParams) { .threshold = 0.5, .smoothing_frames = 1,
    .minimum_count = 1 };
  mega_analyzer_set_params (a, &a->params);
  mega_analyzer_reset (a);
  return a;
}

void
mega_analyzer_free (MegaAnalyzer *a)
{
  if (!a)
    return;
  mega_detector_free (a->detector);
  g_free (a->background);
  g_free (a->posteriors);
  g_free (a->peak);
  g_free (a);
}

void
mega_analyzer_set_params (MegaAnalyzer *a, const MegaAnalyzerParams *params)
{
  a->params = *params;
  mega_detector_configure (a->detector, MAX (params->smoothing_frames, 1),
      params->minimum_count, params->suppression_frames, params->threshold);
  if (params->interval_ns != a->interval_used) {
    /* A new interval counts from the present, not from the last reset. */
    a->interval_used = params->interval_ns;
    if (params->interval_ns)
      a->interval_k = to_ns (a, a->last_end) / params->interval_ns;
  }
}

void
mega_analyzer_reset (MegaAnalyzer *a)
{
  mega_detector_reset (a->detector);
  a->interval_k = 0;
  a->last_end = 0;
  a->audio_end = G_MAXUINT64;
}

void
mega_analyzer_reset_summary (MegaAnalyzer *a)
{
  memset (a->peak, 0, sizeof (double) * a->n_labels);
  a->summary_frames = 0;
}

/* Frames to samples, with the window clipped to the audio when decided in the end-padding. */
static void
place_detection (const MegaAnalyzer *a, const MegaDetection *d, MegaAnalyzerDetection *out)
{
  guint64 end = frame_end (a, d->frame);
  guint64 span = frame_end (a, d->frame - d->window_first);
  if (end > a->audio_end) {
    guint64 over = end - a->audio_end;
    span = span > over ? span - over : 0;
    end = a->audio_end;
  }
  out->label = d->label;
  out->confidence = d->confidence;
  out->end = end;
  out->span = span;
  out->start = MIN (d->start_frame * a->shift, a->audio_end);
  out->stop = MIN (frame_end (a, d->end_frame), a->audio_end);
}

void
mega_analyzer_push (MegaAnalyzer *a, const float *logits, MegaAnalyzerFrame *out)
{
  float *p = a->posteriors;
  memcpy (p, logits, sizeof (float) * a->n_labels);
  mega_softmax_rows (p, 1, a->n_labels);
  gboolean finite = TRUE;
  for (int k = 0; k < a->n_labels; k++)
    finite = finite && isfinite (p[k]);
  if (!finite) {
    /* Never let a broken row poison the window: count it as "no idea". */
    for (int k = 0; k < a->n_labels; k++)
      p[k] = 1.0f / a->n_labels;
    a->nonfinite_rows++;
  }
  out->frame = mega_detector_frames (a->detector);
  out->nonfinite = !finite;
  a->summary_frames++;
  a->last_end = frame_end (a, out->frame);

  MegaDetection det;
  out->detected = mega_detector_push (a->detector, p, &det);
  /* The summary takes the frames a detection could come from, and the first one so that a
   * clip shorter than the minimum count still has a score. */
  if (mega_detector_ready (a->detector) || a->summary_frames == 1) {
    const double *mean = mega_detector_mean (a->detector);
    for (int k = 0; k < a->n_labels; k++)
      a->peak[k] = MAX (a->peak[k], mean[k]);
  }
  if (out->detected)
    place_detection (a, &det, &out->det);
}

void
mega_analyzer_skip (MegaAnalyzer *a, guint64 n)
{
  mega_detector_skip (a->detector, n);
  a->summary_frames += n;
  a->last_end += n * a->shift;
  /* the skipped frames would have used up their interval multiples */
  if (a->params.interval_ns)
    a->interval_k = MAX (a->interval_k, to_ns (a, a->last_end) / a->params.interval_ns);
}

gboolean
mega_analyzer_would_fire (const MegaAnalyzer *a)
{
  return mega_detector_would_fire (a->detector);
}

void
mega_analyzer_set_audio_end (MegaAnalyzer *a, guint64 end)
{
  a->audio_end = end;
}

gboolean
mega_analyzer_interval_due (MegaAnalyzer *a)
{
  if (!a->params.interval_ns || a->audio_end != G_MAXUINT64)
    return FALSE;
  guint64 k = to_ns (a, a->last_end) / a->params.interval_ns;
  if (k <= a->interval_k)
    return FALSE;
  a->interval_k = k;
  return TRUE;
}

const double *
mega_analyzer_window (const MegaAnalyzer *a, guint64 *end, guint64 *span)
{
  guint fill = mega_detector_fill (a->detector);
  if (fill == 0)
    return NULL;
  *end = a->last_end;
  *span = frame_end (a, fill - 1);
  return mega_detector_mean (a->detector);
}

const float *
mega_analyzer_posteriors (const MegaAnalyzer *a)
{
  return a->posteriors;
}

guint64
mega_analyzer_nonfinite_rows (const MegaAnalyzer *a)
{
  return a->nonfinite_rows;
}

gboolean
mega_analyzer_summary (const MegaAnalyzer *a, MegaAnalyzerSummary *out)
{
  if (a->summary_frames == 0)
    return FALSE;
  out->peak = a->peak;
  out->frames = a->summary_frames;
  out->label = mega_clip_decision (a->peak, a->background, a->silence, a->n_labels,
      a->params.threshold);
  return TRUE;
}

static int
best_of (const double *peak, const gboolean *background, int silence, int n, gboolean want_bg)
{
  int best = -1;
  for (int k = 0; k < n; k++) {
    if (!!background[k] != want_bg || k == silence)
      continue;
    if (best < 0 || peak[k] > peak[best])
      best = k;
  }
  return best;
}

int
mega_clip_decision (const double *peak, const gboolean *background, int silence,
    int n_labels, double threshold)
{
  int fg = best_of (peak, background, silence, n_labels, FALSE);
  if (fg >= 0 && peak[fg] >= threshold)
    return fg;
  int bg = best_of (peak, background, silence, n_labels, TRUE);
  if (bg >= 0 && peak[bg] >= threshold)
    return bg;
  if (silence >= 0)
    return silence;
  return bg >= 0 ? bg : fg;
}
