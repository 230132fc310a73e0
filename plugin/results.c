/* Builders for the result structures; see results.h. */
#include "results.h"

GstStructure *
mega_result_top_k (const char *name, const char *const *labels, const double *scores,
    int n, int k, int first)
{
  k = CLAMP (k, 1, n);
  int *order = g_new (int, n);
  for (int i = 0; i < n; i++)
    order[i] = i;
  int sorted_from = 0;
  if (first >= 0 && first < n) {
    order[0] = first;
    order[first] = 0;
    sorted_from = 1;
  }
  /* Partial selection sort: k is small, and ties keep the lower class index first. */
  for (int i = sorted_from; i < k; i++) {
    int best = i;
    for (int j = i + 1; j < n; j++)
      if (scores[order[j]] > scores[order[best]])
        best = j;
    int tmp = order[i];
    order[i] = order[best];
    order[best] = tmp;
  }

  GValue labels_v = G_VALUE_INIT, scores_v = G_VALUE_INIT, item = G_VALUE_INIT;
  gst_value_array_init (&labels_v, k);
  gst_value_array_init (&scores_v, k);
  for (int i = 0; i < k; i++) {
    g_value_init (&item, G_TYPE_STRING);
    g_value_set_string (&item, labels[order[i]]);
    gst_value_array_append_and_take_value (&labels_v, &item);
    g_value_init (&item, G_TYPE_DOUBLE);
    g_value_set_double (&item, scores[order[i]]);
    gst_value_array_append_and_take_value (&scores_v, &item);
  }

  GstStructure *s = gst_structure_new (name,
      "label", G_TYPE_STRING, labels[order[0]],
      "class-index", G_TYPE_INT, order[0],
      "confidence", G_TYPE_DOUBLE, scores[order[0]], NULL);
  gst_structure_take_value (s, "labels", &labels_v);
  gst_structure_take_value (s, "scores", &scores_v);
  g_free (order);
  return s;
}

void
mega_result_register_meta (void)
{
  static gsize done = 0;
  if (g_once_init_enter (&done)) {
    static const gchar *tags[] = { NULL };
    /* No tags: audioconvert/audioresample and other audio filters keep the meta. */
    gst_meta_register_custom (MEGA_CLASSIFY_META_NAME, tags, NULL, NULL, NULL);
    g_once_init_leave (&done, 1);
  }
}

static gboolean
copy_field (GQuark field, const GValue *value, gpointer dest)
{
  gst_structure_id_set_value (dest, field, value);
  return TRUE;
}

void
mega_result_attach_meta (GstBuffer *buf, const GstStructure *s)
{
  mega_result_register_meta ();
  GstCustomMeta *meta = gst_buffer_add_custom_meta (buf, MEGA_CLASSIFY_META_NAME);
  gst_structure_foreach (s, copy_field, gst_custom_meta_get_structure (meta));
}
