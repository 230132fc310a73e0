/* Shared helpers of the engine tests: the golden cases and their tensors. */
#ifndef GOLDEN_IO_H
#define GOLDEN_IO_H

#include "mega.h"

#include <glib.h>

typedef struct {
  char *name;          /* case name, e.g. "chunk_softmax" */
  char *model_path;    /* <dir>/<name>.safetensors */
  MegaModel *model;
  float *features;     /* [n_features x M] */
  size_t n_features;
  float *logits;       /* [n_features x K] */
  float *audio;        /* [n_audio] */
  size_t n_audio;
  float *audio_features; /* [n_audio_frames x M] the reference's fbank of audio */
  float *audio_logits; /* [n_audio_frames x K] */
  size_t n_audio_frames;
  /* the causal normalisation's output (before frontend.mean/std) of features and of
   * audio_features; NULL where the case has none */
  float *normalized_features;
  float *audio_normalized;
} GoldenCase;

/* Loads every <dir>/<case>.io.safetensors with its model; fails the test if there is none. */
GPtrArray *golden_load_all (const char *dir);
void golden_case_free (GoldenCase *c);

/* max |a - b| over n values */
double max_abs_diff (const float *a, const float *b, size_t n);
double max_abs (const float *a, size_t n);

#endif /* GOLDEN_IO_H */
