/* The detection field table and the two conversions that follow it; see result_fields.h. */
#include "result_fields.h"

#include <stddef.h>

#define FIELD(name, type, member) { name, type, offsetof (MegaDetectionResult, member) }

const MegaResultField mega_detection_fields[] = {
  FIELD ("label", G_TYPE_STRING, label),
  FIELD ("class-index", G_TYPE_INT, class_index),
  FIELD ("confidence", G_TYPE_DOUBLE, confidence),
  FIELD ("timestamp", G_TYPE_UINT64, timestamp),
  FIELD ("stream-time", G_TYPE_UINT64, stream_time),
  FIELD ("running-time", G_TYPE_UINT64, running_time),
  FIELD ("duration", G_TYPE_UINT64, duration),
  FIELD ("start", G_TYPE_UINT64, start),
  FIELD ("end", G_TYPE_UINT64, end),
};

const guint mega_detection_n_fields = G_N_ELEMENTS (mega_detection_fields);

#define MEMBER(r, f, type) ((type *) ((char *) (r) + (f)->offset))

GstStructure *
mega_detection_result_to_structure (const MegaDetectionResult *r)
{
  GstStructure *s = gst_structure_new_empty (MEGA_DETECTION_NAME);
  for (guint i = 0; i < mega_detection_n_fields; i++) {
    const MegaResultField *f = &mega_detection_fields[i];
    GValue v = G_VALUE_INIT;
    g_value_init (&v, f->type);
    switch (f->type) {
      case G_TYPE_STRING:
        g_value_set_string (&v, *MEMBER (r, f, const gchar *));
        break;
      case G_TYPE_INT:
        g_value_set_int (&v, *MEMBER (r, f, gint));
        break;
      case G_TYPE_DOUBLE:
        g_value_set_double (&v, *MEMBER (r, f, gdouble));
        break;
      case G_TYPE_UINT64:
        g_value_set_uint64 (&v, *MEMBER (r, f, guint64));
        break;
      default:
        g_assert_not_reached ();
    }
    gst_structure_take_value (s, f->name, &v);
  }
  return s;
}

gboolean
mega_detection_result_from_structure (const GstStructure *s, MegaDetectionResult *r)
{
  for (guint i = 0; i < mega_detection_n_fields; i++) {
    const MegaResultField *f = &mega_detection_fields[i];
    const GValue *v = gst_structure_get_value (s, f->name);
    gboolean have = v != NULL && G_VALUE_HOLDS (v, f->type);
    switch (f->type) {
      case G_TYPE_STRING:
        *MEMBER (r, f, const gchar *) = have ? g_value_dup_string (v) : NULL;
        break;
      case G_TYPE_INT:
        *MEMBER (r, f, gint) = have ? g_value_get_int (v) : -1;
        break;
      case G_TYPE_DOUBLE:
        *MEMBER (r, f, gdouble) = have ? g_value_get_double (v) : 0.0;
        break;
      case G_TYPE_UINT64:
        *MEMBER (r, f, guint64) = have ? g_value_get_uint64 (v) : GST_CLOCK_TIME_NONE;
        break;
      default:
        g_assert_not_reached ();
    }
  }
  return r->label != NULL;
}

void
mega_detection_result_clear (MegaDetectionResult *r)
{
  g_free ((gchar *) r->label);
  r->label = NULL;
}
