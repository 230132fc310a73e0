/* The fields of a detection (the `megaclassify` structure), described once.
 *
 * The element builds the structure from this table (message, event and meta carry that one
 * structure), mega-classify parses it back with the same table, and a test checks that the
 * element's documentation lists exactly these fields in this order. A new field is one row of
 * mega_detection_fields, one member of MegaDetectionResult and one line of the docs. */
#ifndef MEGA_RESULT_FIELDS_H
#define MEGA_RESULT_FIELDS_H

#include <gst/gst.h>

G_BEGIN_DECLS

#define MEGA_DETECTION_NAME "megaclassify"

/* One detection; times are guint64 nanoseconds (GST_CLOCK_TIME_NONE when absent). */
typedef struct {
  const gchar *label;          /* owned by whoever filled it in (see mega_detection_result_clear) */
  gint class_index;
  gdouble confidence;
  GstClockTime timestamp, stream_time, running_time, duration;
  GstClockTime start, end;
} MegaDetectionResult;

typedef struct {
  const gchar *name;           /* field of the structure */
  GType type;                  /* G_TYPE_STRING, G_TYPE_INT, G_TYPE_DOUBLE or G_TYPE_UINT64 */
  gsize offset;                /* of its member in MegaDetectionResult */
} MegaResultField;

/* In the structure's order; n_fields entries. */
extern const MegaResultField mega_detection_fields[];
extern const guint mega_detection_n_fields;

/* A new `megaclassify` structure holding r's fields, in table order. */
GstStructure *mega_detection_result_to_structure (const MegaDetectionResult *r);

/* Fills r from s: every field of the table that s has with the right type; the others get
 * NULL, -1, 0.0 or GST_CLOCK_TIME_NONE. r->label is a copy to free with
 * mega_detection_result_clear. FALSE when s has no label. */
gboolean mega_detection_result_from_structure (const GstStructure *s, MegaDetectionResult *r);
void mega_detection_result_clear (MegaDetectionResult *r);

G_END_DECLS

#endif
