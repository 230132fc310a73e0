/* The detection field table (plugin/result_fields.c): a result survives the trip through a
 * structure and back, the structure has the table's fields in its order, and the element's
 * documentation (gstmegaclassify.c) lists exactly those fields, in that order, with their
 * types. Needs GStreamer's core only, not the element. */
#include "result_fields.h"

#include <string.h>

static void
test_round_trip (void)
{
  MegaDetectionResult r = { "yes", 2, 0.91, 1290000000, 1290000000, 1290000000, 480000000,
    810000000, 1290000000 };
  GstStructure *s = mega_detection_result_to_structure (&r);
  g_assert_true (gst_structure_has_name (s, "megaclassify"));
  g_assert_cmpint (gst_structure_n_fields (s), ==, mega_detection_n_fields);
  for (guint i = 0; i < mega_detection_n_fields; i++)
    g_assert_cmpstr (gst_structure_nth_field_name (s, i), ==, mega_detection_fields[i].name);
  MegaDetectionResult back;
  g_assert_true (mega_detection_result_from_structure (s, &back));
  g_assert_cmpstr (back.label, ==, "yes");
  g_assert_cmpint (back.class_index, ==, 2);
  g_assert_cmpfloat (back.confidence, ==, 0.91);
  g_assert_cmpuint (back.timestamp, ==, r.timestamp);
  g_assert_cmpuint (back.duration, ==, r.duration);
  g_assert_cmpuint (back.start, ==, r.start);
  g_assert_cmpuint (back.end, ==, r.end);
  mega_detection_result_clear (&back);
  gst_structure_free (s);
}

static void
test_missing_fields (void)
{
  GstStructure *s = gst_structure_new ("megaclassify", "label", G_TYPE_STRING, "no", NULL);
  MegaDetectionResult r;
  g_assert_true (mega_detection_result_from_structure (s, &r));
  g_assert_cmpint (r.class_index, ==, -1);
  g_assert_cmpuint (r.start, ==, GST_CLOCK_TIME_NONE);
  mega_detection_result_clear (&r);
  gst_structure_remove_field (s, "label");
  g_assert_false (mega_detection_result_from_structure (s, &r));
  gst_structure_free (s);
}

static const char *
type_word (GType t)
{
  return t == G_TYPE_STRING ? "string" : t == G_TYPE_INT ? "int"
      : t == G_TYPE_DOUBLE ? "double" : "guint64";
}

/* The list items ("* `a`, `b` (type...): ...") of the doc section on detections. */
static void
test_docs_follow_table (void)
{
  gchar *text = NULL;
  g_assert_true (g_file_get_contents (ELEMENT_SOURCE, &text, NULL, NULL));
  const char *from = strstr (text, "## Detections: message, event and meta");
  g_assert_nonnull (from);
  const char *to = strstr (from, "It is delivered");
  g_assert_nonnull (to);
  gchar *section = g_strndup (from, to - from);
  gchar **lines = g_strsplit (section, "\n", -1);
  guint next = 0;
  for (guint i = 0; lines[i]; i++) {
    const char *item = strstr (lines[i], " * * `");
    if (item != lines[i])
      continue;
    const char *paren = strchr (item, '(');
    g_assert_nonnull (paren);
    gchar *names = g_strndup (item + 4, paren - item - 4);
    gchar **parts = g_strsplit (names, "`", -1);
    for (guint p = 1; parts[p]; p += 2) {
      g_assert_cmpuint (next, <, mega_detection_n_fields);
      const MegaResultField *f = &mega_detection_fields[next++];
      g_assert_cmpstr (parts[p], ==, f->name);
      g_assert_true (g_str_has_prefix (paren + 1, type_word (f->type)));
    }
    g_strfreev (parts);
    g_free (names);
  }
  g_assert_cmpuint (next, ==, mega_detection_n_fields);
  g_strfreev (lines);
  g_free (section);
  g_free (text);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/result-fields/round-trip", test_round_trip);
  g_test_add_func ("/result-fields/missing", test_missing_fields);
  g_test_add_func ("/result-fields/docs", test_docs_follow_table);
  int rc = g_test_run ();
  gst_deinit ();
  return rc;
}
