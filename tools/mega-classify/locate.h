/* Finding the plugin, the default model and the plot helper, installed or in a build tree. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when this binary runs from the meson build tree it was built in. */
gboolean mc_running_uninstalled (void);
/* Makes the megaclassify element findable: when GStreamer does not know it and the tool
 * runs uninstalled, scans <builddir>/plugin. Returns whether the element is known. */
gboolean mc_ensure_plugin (void);
/* Path of plot_posteriors.py (installed copy, else the source tree's), or NULL. */
gchar *mc_plot_script (void);

G_END_DECLS
