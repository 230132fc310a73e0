/* One-line progress bar on stderr, redrawn in place; only used on a terminal. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct McProgress McProgress;

McProgress *mc_progress_new (guint total_files);
/* Redraws with the current totals (rate-limited; the first draw waits a moment so that
 * quick runs show no bar at all). */
void mc_progress_update (McProgress *p, guint files_done, gdouble audio_seconds);
/* Erases the bar, e.g. before a line is written to the terminal. */
void mc_progress_clear (McProgress *p);
void mc_progress_free (McProgress *p);

G_END_DECLS
