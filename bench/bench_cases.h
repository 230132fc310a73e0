/* The cases of mega-bench (see bench/README in RESULTS.md and run.sh). Each returns an exit
 * status and prints JSON lines (bench_util.h). */
#ifndef BENCH_CASES_H
#define BENCH_CASES_H

#include "mega.h"

typedef struct {
  char *model;          /* model file */
  char *audio;          /* float32 raw input written by `mega-bench gen` */
  char *kind;           /* signal kind for gen: speech | silence | quiet */
  char *speech_dir;     /* recordings for the speech signal */
  char *wav, *raw;      /* gen outputs */
  char *dump;           /* write the first dump_frames rows of logits here (float32) */
  char *label;          /* free text copied into the JSON */
  double minutes;       /* audio length */
  double hop_ms;        /* streaming buffer length */
  int batch_frames;     /* stream: MegaStreamParams.batch_frames */
  int dump_frames;
  int n_streams;
  int repeats;
  gboolean no_ftz;      /* offline network A/B without flush-to-zero */
  char **rest;          /* `run`: the command after -- */
} BenchOptions;

/* Loads the model or exits with the loader's message. */
MegaModel *bench_load_model (const BenchOptions *o);
/* Multiply-accumulates per frame of the network (the same count as train/mega_config.py macs_per_frame). */
double bench_macs_per_frame (const MegaInfo *info);

int bench_gen (const BenchOptions *o);
int bench_sgemm (const BenchOptions *o);
int bench_gemv (const BenchOptions *o);
int bench_run_child (const BenchOptions *o);
int bench_stream (const BenchOptions *o);
int bench_offline (const BenchOptions *o);
int bench_streams (const BenchOptions *o);

#endif /* BENCH_CASES_H */
