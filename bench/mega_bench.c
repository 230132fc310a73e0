/* mega-bench: the benchmark cases of issue 7, one subcommand each. bench/run.sh runs them
 * all (and the PyTorch reference, bench/reference_bench.py) and writes bench/RESULTS.md.
 *
 *   mega-bench gen      --kind speech --minutes 60 --raw x.f32 [--wav x.wav]
 *   mega-bench sgemm                      single-thread sgemm peak and the OpenBLAS kernel
 *   mega-bench gemv     --model M         one frame's floor: the model's weights read once
 *   mega-bench stream   --model M --audio x.f32 --minutes 1 --hop-ms 10 [--batch-frames 1]
 *   mega-bench offline  --model M --audio x.f32 --minutes 60 [--no-ftz]
 *   mega-bench streams  --model M --audio x.f32 --n-streams 64 --minutes 0.5
 *   mega-bench run      --label L -- command...   CPU time and peak RSS of a child process
 */
#include "bench_cases.h"
#include "bench_util.h"

#include <cblas.h>
#include <string.h>

MegaModel *
bench_load_model (const BenchOptions *o)
{
  GError *err = NULL;
  if (o->model == NULL)
    bench_die ("--model is required");
  MegaModel *m = mega_model_load (o->model, &err);
  if (m == NULL)
    bench_die ("%s", err->message);
  return m;
}

double
bench_macs_per_frame (const MegaInfo *i)
{
  double D = i->d_model, Z = i->z_dim, H = i->h_dim, F = i->ffn_dim, N = i->n_dim, C = i->window;
  double keys = strcmp (i->window_mode, "chunk") == 0 ? (C + 1) / 2 : C;
  double per_layer = D * H + D * (2 * D + Z + H) + H * D + 3 * D * N + keys * (Z + H) + 2 * D * F;
  return i->n_mels * D + i->n_layers * per_layer + D * i->n_labels;
}

static const struct {
  const char *name;
  int (*run) (const BenchOptions *o);
} commands[] = {
  { "gen", bench_gen }, { "sgemm", bench_sgemm }, { "gemv", bench_gemv }, { "run", bench_run_child },
  { "stream", bench_stream }, { "offline", bench_offline }, { "streams", bench_streams },
};

int
main (int argc, char **argv)
{
  BenchOptions o = { .kind = "speech", .minutes = 1.0, .hop_ms = 10.0, .n_streams = 1,
    .repeats = 1, .batch_frames = 1 };
  GOptionEntry entries[] = {
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &o.model, "model file", "PATH" },
    { "audio", 0, 0, G_OPTION_ARG_FILENAME, &o.audio, "float32 mono 16 kHz input", "PATH" },
    { "kind", 0, 0, G_OPTION_ARG_STRING, &o.kind, "gen: speech | silence | quiet", "KIND" },
    { "speech-dir", 0, 0, G_OPTION_ARG_FILENAME, &o.speech_dir, "gen: speech WAVs", "DIR" },
    { "wav", 0, 0, G_OPTION_ARG_FILENAME, &o.wav, "gen: write 16-bit WAV", "PATH" },
    { "raw", 0, 0, G_OPTION_ARG_FILENAME, &o.raw, "gen: write float32 raw", "PATH" },
    { "minutes", 0, 0, G_OPTION_ARG_DOUBLE, &o.minutes, "audio length", "MIN" },
    { "hop-ms", 0, 0, G_OPTION_ARG_DOUBLE, &o.hop_ms, "stream: buffer length", "MS" },
    { "batch-frames", 0, 0, G_OPTION_ARG_INT, &o.batch_frames,
      "stream: frames batched across buffers (MegaStreamParams)", "N" },
    { "n-streams", 0, 0, G_OPTION_ARG_INT, &o.n_streams, "streams: how many", "N" },
    { "repeats", 0, 0, G_OPTION_ARG_INT, &o.repeats, "offline: runs (median)", "N" },
    { "dump", 0, 0, G_OPTION_ARG_FILENAME, &o.dump, "write first logits (float32)", "PATH" },
    { "dump-frames", 0, 0, G_OPTION_ARG_INT, &o.dump_frames, "rows to dump", "N" },
    { "no-ftz", 0, 0, G_OPTION_ARG_NONE, &o.no_ftz, "offline: network also without FTZ", NULL },
    { "label", 0, 0, G_OPTION_ARG_STRING, &o.label, "copied into the output", "TEXT" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.rest, NULL, NULL },
    { NULL }
  };
  if (argc < 2) {
    fprintf (stderr, "usage: mega-bench gen|sgemm|gemv|stream|offline|streams|run [options]\n");
    return 2;
  }
  const char *cmd = argv[1];
  GOptionContext *ctx = g_option_context_new ("- gst-mega benchmark case");
  g_option_context_add_main_entries (ctx, entries, NULL);
  GError *err = NULL;
  argv[1] = argv[0];
  int n = argc - 1;
  char **args = argv + 1;
  if (!g_option_context_parse (ctx, &n, &args, &err))
    bench_die ("%s", err->message);
  g_option_context_free (ctx);
  for (size_t i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (cmd, commands[i].name) == 0)
      return commands[i].run (&o);
  bench_die ("unknown command '%s'", cmd);
}
