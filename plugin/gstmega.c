/* The `mega` plugin: registers megaclassify. */
#include "gstmegaclassify.h"

static gboolean
plugin_init (GstPlugin *plugin)
{
  return GST_ELEMENT_REGISTER (megaclassify, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, mega,
    "Streaming audio classification with Mega networks", plugin_init, VERSION, "MIT/X11",
    GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
