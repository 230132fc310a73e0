/* Command line of mega-classify. */
#pragma once

#include "job.h"

G_BEGIN_DECLS

typedef enum { MC_MODE_EVENTS, MC_MODE_CLIP } McMode;
typedef enum { MC_FORMAT_TABLE, MC_FORMAT_JSON, MC_FORMAT_CSV } McFormat;

typedef struct {
  McMode mode;
  McFormat format;
  guint jobs;
  gchar *plot;               /* --plot OUT.png, or NULL */
  gboolean quiet;
  McSettings settings;
  gchar **inputs;            /* NULL-terminated; the manifest's lines with --manifest */
  gboolean set_mode;         /* --events or --clip given */
  /* batch mode */
  gchar *manifest;           /* --manifest FILE ("-": stdin), or NULL */
  guint shard_k, shard_n;    /* --shard K/N; 0/1 when not given */
  gchar *output_dir;         /* --output-dir DIR, or NULL */
  gboolean retry_failed;     /* --retry-failed */
  gchar *merge;              /* --merge DIR, or NULL */
} McOptions;

/* Exit statuses. */
enum { MC_EXIT_OK = 0, MC_EXIT_SOME_FAILED = 1, MC_EXIT_USAGE = 2 };

/* Parses argv. Returns -1 when the tool should go on, else the exit status to leave
 * with (after --help, --version or a usage error, which it has already printed). */
int mc_options_parse (McOptions *opts, int argc, char **argv);
void mc_options_clear (McOptions *opts);

G_END_DECLS
