#include "progress.h"

#include <stdio.h>

#define BAR_WIDTH 24
#define FIRST_DRAW_US (300 * 1000)
#define REDRAW_US (100 * 1000)

struct McProgress {
  guint total;
  gint64 started_us;
  gint64 drawn_us;
  gboolean visible;
};

McProgress *
mc_progress_new (guint total_files)
{
  McProgress *p = g_new0 (McProgress, 1);
  p->total = total_files;
  p->started_us = g_get_monotonic_time ();
  return p;
}

void
mc_progress_update (McProgress *p, guint files_done, gdouble audio_seconds)
{
  gint64 now = g_get_monotonic_time ();
  if (now - p->started_us < FIRST_DRAW_US || (p->visible && now - p->drawn_us < REDRAW_US))
    return;
  gdouble wall = (now - p->started_us) / 1e6;
  guint fill = p->total ? files_done * BAR_WIDTH / p->total : 0;
  char bar[BAR_WIDTH + 1];
  for (guint i = 0; i < BAR_WIDTH; i++)
    bar[i] = i < fill ? '#' : '.';
  bar[BAR_WIDTH] = '\0';
  /* \r + erase to end of line: redraw in place without scrolling. */
  fprintf (stderr, "\r\033[K[%s] %u/%u files  %.1f s audio  %.1fx real time",
      bar, files_done, p->total, audio_seconds, wall > 0 ? audio_seconds / wall : 0.0);
  fflush (stderr);
  p->visible = TRUE;
  p->drawn_us = now;
}

void
mc_progress_clear (McProgress *p)
{
  if (p->visible) {
    fputs ("\r\033[K", stderr);
    fflush (stderr);
    p->visible = FALSE;
  }
}

void
mc_progress_free (McProgress *p)
{
  if (p != NULL)
    mc_progress_clear (p);
  g_free (p);
}
