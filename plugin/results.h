/* The summary and posteriors structures megaclassify hands out (documented in
 * gstmegaclassify.c; a detection's fields: result_fields.h) and the custom buffer meta that
 * carries a detection. */
#ifndef MEGA_RESULTS_H
#define MEGA_RESULTS_H

#include <gst/gst.h>

G_BEGIN_DECLS

#define MEGA_CLASSIFY_META_NAME "MegaClassifyMeta"

/* Times shared by every result; all guint64 nanoseconds. */
typedef struct {
  GstClockTime timestamp, stream_time, running_time, duration;
} MegaResultTimes;

/* Top-k of `scores` (n values, all labels) as labels/scores arrays plus label/confidence of
 * the first one. `first` >= 0 puts that class first whatever its score (the summary's
 * decided label); -1 orders purely by score. name is "megaclassify-posteriors" or
 * "megaclassify-summary". */
GstStructure *mega_result_top_k (const char *name, const char *const *labels,
    const double *scores, int n, int k, int first);

/* Registers the meta (once) and attaches a copy of the fields of `s` to buf. */
void mega_result_attach_meta (GstBuffer *buf, const GstStructure *s);
void mega_result_register_meta (void);

G_END_DECLS

#endif
