/* Reading list-valued fields and properties whatever container type the element uses
 * (GstValueArray, GstValueList, GValueArray or a GStrv). */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* NULL-terminated copy of the strings in the value; NULL when it holds none. */
gchar **mc_value_get_strings (const GValue *value);
gchar **mc_structure_get_strings (const GstStructure *s, const gchar *field);
/* The doubles (floats are widened); an empty array when the field is absent. */
GArray *mc_structure_get_doubles (const GstStructure *s, const gchar *field);

G_END_DECLS
