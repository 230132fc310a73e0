#include "values.h"

/* Calls fn on each element of a list-like GValue. */
static void
for_each_item (const GValue *value, void (*fn) (const GValue *item, gpointer data), gpointer data)
{
  if (value == NULL)
    return;
  if (GST_VALUE_HOLDS_ARRAY (value)) {
    for (guint i = 0; i < gst_value_array_get_size (value); i++)
      fn (gst_value_array_get_value (value, i), data);
  } else if (GST_VALUE_HOLDS_LIST (value)) {
    for (guint i = 0; i < gst_value_list_get_size (value); i++)
      fn (gst_value_list_get_value (value, i), data);
  } else if (G_VALUE_HOLDS (value, G_TYPE_STRV)) {
    const gchar *const *strv = g_value_get_boxed (value);
    for (guint i = 0; strv && strv[i]; i++) {
      GValue item = G_VALUE_INIT;
      g_value_init (&item, G_TYPE_STRING);
      g_value_set_string (&item, strv[i]);
      fn (&item, data);
      g_value_unset (&item);
    }
  } else {
G_GNUC_BEGIN_IGNORE_DEPRECATIONS
    if (G_VALUE_HOLDS (value, g_value_array_get_type ())) {
      GValueArray *arr = g_value_get_boxed (value);
      for (guint i = 0; arr && i < arr->n_values; i++)
        fn (g_value_array_get_nth (arr, i), data);
    }
G_GNUC_END_IGNORE_DEPRECATIONS
  }
}

static void
add_string (const GValue *item, gpointer data)
{
  if (G_VALUE_HOLDS_STRING (item) && g_value_get_string (item) != NULL)
    g_ptr_array_add (data, g_value_dup_string (item));
}

static void
add_double (const GValue *item, gpointer data)
{
  gdouble v;
  if (G_VALUE_HOLDS_DOUBLE (item))
    v = g_value_get_double (item);
  else if (G_VALUE_HOLDS_FLOAT (item))
    v = g_value_get_float (item);
  else
    return;
  g_array_append_val ((GArray *) data, v);
}

gchar **
mc_value_get_strings (const GValue *value)
{
  GPtrArray *out = g_ptr_array_new ();
  for_each_item (value, add_string, out);
  if (out->len == 0) {
    g_ptr_array_free (out, TRUE);
    return NULL;
  }
  g_ptr_array_add (out, NULL);
  return (gchar **) g_ptr_array_free (out, FALSE);
}

gchar **
mc_structure_get_strings (const GstStructure *s, const gchar *field)
{
  return mc_value_get_strings (gst_structure_get_value (s, field));
}

GArray *
mc_structure_get_doubles (const GstStructure *s, const gchar *field)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (gdouble));
  for_each_item (gst_structure_get_value (s, field), add_double, out);
  return out;
}
