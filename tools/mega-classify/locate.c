#include "locate.h"

#include <gst/gst.h>

gboolean
mc_running_uninstalled (void)
{
  gchar *exe = g_file_read_link ("/proc/self/exe", NULL);
  gboolean inside = exe != NULL && g_str_has_prefix (exe, MEGA_BUILD_ROOT G_DIR_SEPARATOR_S);
  g_free (exe);
  return inside;
}

gboolean
mc_ensure_plugin (void)
{
  GstElementFactory *f = gst_element_factory_find ("megaclassify");
  if (f == NULL && mc_running_uninstalled ()) {
    gst_registry_scan_path (gst_registry_get (), MEGA_BUILD_ROOT G_DIR_SEPARATOR_S "plugin");
    f = gst_element_factory_find ("megaclassify");
  }
  if (f != NULL)
    gst_object_unref (f);
  return f != NULL;
}

gchar *
mc_plot_script (void)
{
  /* From a build tree the source copy is the current one; installed, only ours exists. */
  const gchar *order[2] = { MEGA_PLOT_SCRIPT_INSTALLED, MEGA_SOURCE_ROOT "/tools/plot_posteriors.py" };
  if (mc_running_uninstalled ()) {
    const gchar *t = order[0];
    order[0] = order[1];
    order[1] = t;
  }
  for (guint i = 0; i < 2; i++)
    if (g_file_test (order[i], G_FILE_TEST_IS_REGULAR))
      return g_strdup (order[i]);
  return NULL;
}
