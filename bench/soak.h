/* What bench/soak.c counts while it runs, and its report (soak_report.c). */
#ifndef SOAK_H
#define SOAK_H

#include <gst/gst.h>

#define PARTS 4            /* 3 expected; a 4th collects any extra reset, which fails a check */

typedef struct {
  /* set before the pipeline runs */
  guint64 n_seconds;                      /* N */
  GstClockTime start[3], len, seek_to, hop;
  /* shared with the streaming thread, under lock */
  GMutex lock;
  GCond cond;
  gboolean waiting, eos;
  gchar *error;
  guint64 pushed, processed;              /* buffers into appsrc / out of megaclassify */
  int part, src_part;                     /* as seen on megaclassify's sink / source pad */
  GstCaps *sink_caps, *src_caps;
  double t_enter, element_cpu[PARTS];
  guint64 posteriors[PARTS], detections[PARTS], events[PARTS];
  guint64 dets_in_buffer, flush_dropped;
  gint64 dev_min, dev_max, dev_last;      /* posteriors timestamp - expected, ns */
  GstClockTime first_after_seek, last_posterior, last_detection[PARTS];
  guint64 time_errors, detection_errors, summary_frames;
  guint64 seek_data;                      /* what appsrc asked for */
} Soak;

/* One memory sample: at every --sample-every seconds of audio, and at the end. */
typedef struct {
  double audio_h, wall, cpu, element_cpu;
  long rss_kb, heap_kb;
} Sample;

typedef struct {
  char *model, *speech_dir;
  double hours, buffer_ms, sample_every, pool_s, max_growth_kb, max_rss_growth_kb;
} Options;

void soak_take_sample (Soak *s, GArray *samples, double audio_s, double t0, double cpu0);
void soak_summary_json (const Soak *s, const Options *o, const GArray *samples, double audio_s,
    double wall, double cpu, const char *speech, const char *load0, const char *load1);
/* Prints every check on stderr; returns how many failed. */
int soak_run_checks (const Soak *s, const Options *o, const GArray *samples,
    guint64 expected_frames);
gchar *soak_loadavg (void);

#endif /* SOAK_H */
