/* Causal per-stream normalisation of log-mel features (internal to the engine).
 *
 * Runs between the filter bank and the global per-bin standardisation (frontend.mean/std):
 * "pcen" (per-channel energy normalisation) or "running" (exponential moving mean/variance),
 * both defined exactly in model/FORMAT.md and mirrored by train/mega_ref.py. The config is
 * part of the immutable model; the state (2 * n_mels floats) belongs to one stream. */
#ifndef MEGA_FEATNORM_H
#define MEGA_FEATNORM_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef enum {
  MEGA_FEATNORM_GLOBAL,   /* nothing here: only frontend.mean/std (the default) */
  MEGA_FEATNORM_PCEN,
  MEGA_FEATNORM_RUNNING
} MegaFeatNormType;

typedef struct {
  MegaFeatNormType type;
  double pcen_s, pcen_alpha, pcen_delta, pcen_r, pcen_eps;
  int running_frames;
} MegaFeatNormConfig;

/* FORMAT.md defaults: s 0.025, alpha 0.98, delta 2, r 0.5, eps 1e-6, running_frames 100. */
void mega_featnorm_config_init (MegaFeatNormConfig *cfg);

/* Floats of per-stream state for n_mels bins. */
size_t mega_featnorm_state_size (int n_mels);

/* Normalises T frames (T x n_mels, row-major) in -> out (may alias). `frame` is the index of
 * in's first row since the stream started: frame 0 (re)initialises the state, so a reset
 * stream needs no separate clearing. Never allocates; a block split anywhere gives the same
 * rows as one call. Does nothing useful for MEGA_FEATNORM_GLOBAL (copies in to out). */
void mega_featnorm_apply (const MegaFeatNormConfig *cfg, int n_mels, float *state,
    uint64_t frame, const float *in, float *out, size_t T);

G_END_DECLS

#endif /* MEGA_FEATNORM_H */
