/* Batch mode: which inputs this process classifies (--shard, resume from --output-dir)
 * and --merge. */
#pragma once

#include "options.h"

G_BEGIN_DECLS

typedef struct {
  GPtrArray *jobs;           /* McJob to run, in list order, job->index set */
  GPtrArray *result_paths;   /* the result file of each job; NULL without --output-dir */
  guint n_inputs;            /* inputs in this shard */
  guint n_done_before;       /* already classified (result file present) */
  guint n_failed_before;     /* error result present and not retried */
  gboolean mode_conflict;    /* the directory holds results of the other mode: stop */
} McPlan;

/* The inputs of this shard; with --output-dir, less those that have a result file (an
 * error result too, unless --retry-failed). A result file that cannot be read back is
 * named on stderr and its input classified again. A result of the other mode (--clip vs
 * --events) is named on stderr and sets mode_conflict. */
void mc_plan_make (McPlan *plan, const McOptions *opts);
void mc_plan_clear (McPlan *plan);

/* --merge: prints the result files of opts->merge in list order; returns the exit status. */
int mc_merge (const McOptions *opts);

G_END_DECLS
