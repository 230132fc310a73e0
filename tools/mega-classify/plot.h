/* --plot: hand one job's recorded posteriors to tools/plot_posteriors.py. */
#pragma once

#include "job.h"

G_BEGIN_DECLS

/* Writes the posteriors and detections to temporary CSV files and runs the helper to
 * draw output_png. */
gboolean mc_plot (const McJob *job, gchar **labels, const gchar *output_png, GError **error);

G_END_DECLS
