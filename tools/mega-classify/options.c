/* Option parsing and the --help text (which doubles as the manual: keep it in step
 * with mega-classify.1 and README.md). */
#include "options.h"
#include "manifest.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char help_text[] =
"NAME\n"
"    mega-classify - find spoken commands in audio files with the megaclassify element\n"
"\n"
"SYNOPSIS\n"
"    mega-classify [OPTIONS] FILE|URI...\n"
"    mega-classify [OPTIONS] --manifest LIST [--shard K/N] [--output-dir DIR [--retry-failed]]\n"
"    mega-classify [-f FMT] [--events|--clip] --merge DIR [--manifest LIST]\n"
"\n"
"DESCRIPTION\n"
"    Decodes each input with GStreamer (any format it can decode: WAV, FLAC, Ogg/Vorbis,\n"
"    MP3, ...; local files or URIs such as http://...), runs it through the megaclassify\n"
"    element as fast as the machine allows and prints what it found. Results go to\n"
"    stdout in input order, diagnostics to stderr.\n"
"\n"
"    Pipeline per input:\n"
"        uridecodebin ! audioconvert ! megaclassify ! fakesink sync=false\n"
"\n"
"MODES\n"
"    -e, --events        (default) the timeline of detections of each file:\n"
"                        FILE START END LABEL CONFIDENCE, one line per detection, times in\n"
"                        seconds from the start of the file. Files with no detection\n"
"                        print no line (JSON: an empty \"detections\" list).\n"
"    -c, --clip          one line per file: the clip-level top-k (the element's\n"
"                        end-of-stream summary), for datasets of short clips.\n"
"\n"
"OPTIONS\n"
"    -f, --format=FMT    table (default; aligned columns), json (one object per file per\n"
"                        line, schema below) or csv (header line, then rows).\n"
"    -m, --model=PATH    model file (.safetensors); default: the element's default:\n"
"                        $MEGA_MODEL_PATH if set, else the installed default model (an\n"
"                        uninstalled build: the source tree's models/default.safetensors).\n"
"    -t, --threshold=X   detection threshold on the smoothed posterior, 0..1.\n"
"    -s, --smoothing=MS  posterior smoothing window, milliseconds.\n"
"    -S, --suppression=MS  after a detection, the same label is not reported again\n"
"                        for MS milliseconds.\n"
"        --minimum-count=N  frames the smoothing window must hold before a decision.\n"
"        --end-padding=MS  silence the model hears after the end of each file, so that a\n"
"                        word at the very end still reaches its decision (element default\n"
"                        250; 0: exactly the file's audio).\n"
"    -k, --top-k=N       labels in the --clip summary (and in --format json clip output).\n"
"    -j, --jobs=N        classify N files at once (default: the number of CPUs). The\n"
"                        output is the same for every N.\n"
"    -p, --plot=OUT.png  with exactly one input: also draw its class posteriors over\n"
"                        time (recorded every 10 ms) with the detections marked, into\n"
"                        OUT.png (needs /usr/bin/python3 with matplotlib).\n"
"    -q, --quiet         no progress bar. (It is shown on stderr only when stderr is a\n"
"                        terminal: files done, audio seconds processed, speed as a\n"
"                        multiple of real time.)\n"
"    -h, --help          this text.\n"
"    -V, --version       the version.\n"
"    Options the element does not set keep the element's defaults\n"
"    (gst-inspect-1.0 megaclassify lists them).\n"
"\n"
"BATCHES (archives)\n"
"        --manifest=LIST  read the inputs from LIST, one path or URI per line (\"-\":\n"
"                        stdin), instead of the command line. Empty lines are ignored;\n"
"                        nothing else is trimmed. Input i is the i-th non-empty line,\n"
"                        counting from 0.\n"
"        --shard=K/N     take only the inputs whose index i has i mod N = K\n"
"                        (0 <= K < N). Deterministic: N processes with K = 0..N-1, on\n"
"                        any machines, cover every input exactly once, without talking\n"
"                        to each other.\n"
"        --output-dir=DIR  write one result file per input into DIR (created if\n"
"                        needed) instead of printing: DIR/HASH.json, HASH the SHA-256 of\n"
"                        the input as written, holding the input's JSON object (schema\n"
"                        below) plus \"index\", its place in the list. Written to a\n"
"                        temporary file and renamed, so a result file is always whole.\n"
"                        An input whose result file exists is skipped, so a killed run,\n"
"                        run again, resumes where it stopped. A failed input gets a\n"
"                        result file too: {\"file\", \"uri\", \"index\", \"error\"}, and\n"
"                        is not tried again unless --retry-failed is given. A result file\n"
"                        that is not valid JSON for its input (e.g. after a power cut)\n"
"                        is redone. One directory holds one mode: --clip refuses a\n"
"                        directory of --events results and the other way round (exit\n"
"                        2). The exit status counts failures old and new; a summary\n"
"                        line goes to stderr unless --quiet.\n"
"        --retry-failed  with --output-dir: classify again the inputs that failed\n"
"                        before.\n"
"        --merge=DIR     print the result files in DIR in list order, in --format\n"
"                        (json: exactly the lines one run over the whole list would\n"
"                        have printed). With --manifest, in the manifest's order, and\n"
"                        inputs that have no result file yet are named on stderr;\n"
"                        without it, by each file's \"index\". Failed inputs are named\n"
"                        on stderr with their error, as in a normal run.\n"
"\n"
"OUTPUT\n"
"    table, --events:  FILE  START  END  LABEL  CONFIDENCE\n"
"    table, --clip:    FILE  LABEL  CONFIDENCE  TOP-K   (TOP-K: \"yes 0.91, no 0.05, ...\")\n"
"    csv,   --events:  file,start,end,label,confidence\n"
"    csv,   --clip:    file,label,confidence,top_k     (top_k: \"yes:0.9100;no:0.0500\")\n"
"    json,  --events:  {\"file\": STRING, \"uri\": STRING, \"duration\": SECONDS,\n"
"                       \"detections\": [{\"label\": STRING, \"class_index\": INT,\n"
"                                      \"confidence\": NUMBER, \"start\": SECONDS,\n"
"                                      \"end\": SECONDS, \"time\": SECONDS}, ...]}\n"
"                       start/end: the keyword's estimated span; time: when the element\n"
"                       decided (end of its smoothing window).\n"
"    json,  --clip:    {\"file\": STRING, \"uri\": STRING, \"duration\": SECONDS,\n"
"                       \"label\": STRING|null, \"confidence\": NUMBER|null,\n"
"                       \"top_k\": [{\"label\": STRING, \"score\": NUMBER}, ...]}\n"
"    Inputs that failed print nothing on stdout.\n"
"\n"
"EXIT STATUS\n"
"    0   every input was classified.\n"
"    1   some inputs failed (each named on stderr with the reason); the others were\n"
"        classified and printed. With --output-dir: some inputs of this shard have\n"
"        an error result file. With --merge: some inputs failed or have no result.\n"
"    2   usage error, or the element or model cannot be loaded; nothing was classified.\n"
"\n"
"EXAMPLES\n"
"    mega-classify examples/data/commands.wav\n"
"    mega-classify --clip --format csv -j 4 clips/*.wav > labels.csv\n"
"    mega-classify --format json http://example.com/talk.ogg | jq .detections\n"
"    mega-classify --threshold 0.8 --plot posteriors.png recording.flac\n"
"    find /archive -name '*.flac' > list.txt\n"
"    mega-classify --manifest list.txt --shard 3/8 --output-dir results/ -j 4\n"
"    mega-classify --merge results/ --manifest list.txt --format json > all.jsonl\n"
"\n"
"ENVIRONMENT\n"
"    GST_PLUGIN_PATH     where GStreamer looks for the plugin (an uninstalled build finds\n"
"                        its own <builddir>/plugin by itself).\n"
"    MEGA_MODEL_PATH     the element's default model when --model is not given.\n"
"    GST_DEBUG=megaclassify:5  the element's debug log.\n"
"\n"
"SEE ALSO\n"
"    gst-inspect-1.0 megaclassify, gst-launch-1.0(1), README.md\n";

static void
usage_error (const char *fmt, const char *arg)
{
  fprintf (stderr, "mega-classify: ");
  fprintf (stderr, fmt, arg);
  fprintf (stderr, "\nTry 'mega-classify --help' for more information.\n");
}

static gboolean
parse_double (const char *text, gdouble *out)
{
  char *end = NULL;
  errno = 0;
  gdouble v = g_ascii_strtod (text, &end);
  if (errno != 0 || end == text || *end != '\0' || !isfinite (v))
    return FALSE;
  *out = v;
  return TRUE;
}

static gboolean
parse_uint (const char *text, guint max, guint *out)
{
  guint64 v;
  if (!g_ascii_string_to_unsigned (text, 10, 0, max, &v, NULL))
    return FALSE;
  *out = (guint) v;
  return TRUE;
}

static gboolean
parse_ms (const char *text, guint64 *ns)
{
  gdouble ms;
  if (!parse_double (text, &ms) || ms < 0 || ms > 3.6e6)
    return FALSE;
  *ns = (guint64) (ms * GST_MSECOND + 0.5);
  return TRUE;
}

static gboolean
parse_shard (const char *text, guint *k, guint *n)
{
  gchar **parts = g_strsplit (text, "/", -1);
  guint64 kk = 0, nn = 0;
  gboolean ok = g_strv_length (parts) == 2 &&
      g_ascii_string_to_unsigned (parts[0], 10, 0, G_MAXUINT32, &kk, NULL) &&
      g_ascii_string_to_unsigned (parts[1], 10, 1, G_MAXUINT32, &nn, NULL) && kk < nn;
  g_strfreev (parts);
  if (ok) {
    *k = (guint) kk;
    *n = (guint) nn;
  }
  return ok;
}

/* Combinations of the batch options; returns -1 when they make sense. */
static int
check_batch_options (const McOptions *opts, int n_args)
{
  const char *problem = NULL;
  if (opts->merge != NULL) {
    if (n_args > 0)
      problem = "--merge reads result files: give no input files";
    else if (opts->output_dir != NULL || opts->shard_n > 1 || opts->plot != NULL || opts->retry_failed)
      problem = "--merge takes only --manifest, --format and --events/--clip";
  } else if (opts->manifest != NULL && n_args > 0) {
    problem = "give the inputs either on the command line or with --manifest, not both";
  } else if (opts->manifest == NULL && n_args == 0) {
    problem = "no input files";
  } else if (opts->retry_failed && opts->output_dir == NULL) {
    problem = "--retry-failed needs --output-dir";
  } else if (opts->plot != NULL && (opts->manifest != NULL || opts->output_dir != NULL ||
          opts->shard_n > 1)) {
    problem = "--plot draws one file: it does not go with --manifest, --shard or --output-dir";
  } else if (opts->plot != NULL && n_args != 1) {
    problem = "--plot draws one file: give exactly one input";
  }
  if (problem == NULL)
    return -1;
  usage_error ("%s", problem);
  return MC_EXIT_USAGE;
}

int
mc_options_parse (McOptions *opts, int argc, char **argv)
{
  enum { OPT_MINIMUM_COUNT = 256, OPT_MANIFEST, OPT_SHARD, OPT_OUTPUT_DIR, OPT_RETRY_FAILED,
    OPT_MERGE, OPT_END_PADDING };
  static const struct option longopts[] = {
    { "events", no_argument, NULL, 'e' },
    { "clip", no_argument, NULL, 'c' },
    { "format", required_argument, NULL, 'f' },
    { "model", required_argument, NULL, 'm' },
    { "threshold", required_argument, NULL, 't' },
    { "smoothing", required_argument, NULL, 's' },
    { "suppression", required_argument, NULL, 'S' },
    { "minimum-count", required_argument, NULL, OPT_MINIMUM_COUNT },
    { "end-padding", required_argument, NULL, OPT_END_PADDING },
    { "top-k", required_argument, NULL, 'k' },
    { "jobs", required_argument, NULL, 'j' },
    { "plot", required_argument, NULL, 'p' },
    { "quiet", no_argument, NULL, 'q' },
    { "manifest", required_argument, NULL, OPT_MANIFEST },
    { "shard", required_argument, NULL, OPT_SHARD },
    { "output-dir", required_argument, NULL, OPT_OUTPUT_DIR },
    { "retry-failed", no_argument, NULL, OPT_RETRY_FAILED },
    { "merge", required_argument, NULL, OPT_MERGE },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
  };
  gboolean saw_events = FALSE, saw_clip = FALSE;

  memset (opts, 0, sizeof *opts);
  opts->jobs = MAX (1, g_get_num_processors ());
  opts->shard_n = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long (argc, argv, ":ecf:m:t:s:S:k:j:p:qhV", longopts, NULL)) != -1) {
    switch (c) {
      case 'e': saw_events = TRUE; opts->mode = MC_MODE_EVENTS; break;
      case 'c': saw_clip = TRUE; opts->mode = MC_MODE_CLIP; break;
      case 'f':
        if (g_str_equal (optarg, "table")) opts->format = MC_FORMAT_TABLE;
        else if (g_str_equal (optarg, "json")) opts->format = MC_FORMAT_JSON;
        else if (g_str_equal (optarg, "csv")) opts->format = MC_FORMAT_CSV;
        else { usage_error ("unknown format '%s' (table, json or csv)", optarg); return MC_EXIT_USAGE; }
        break;
      case 'm':
        g_free (opts->settings.model);
        opts->settings.model = g_strdup (optarg);
        break;
      case 't':
        if (!parse_double (optarg, &opts->settings.threshold) ||
            opts->settings.threshold < 0 || opts->settings.threshold > 1) {
          usage_error ("--threshold wants a number from 0 to 1, not '%s'", optarg);
          return MC_EXIT_USAGE;
        }
        opts->settings.set_threshold = TRUE;
        break;
      case 's':
        if (!parse_ms (optarg, &opts->settings.smoothing_ns)) {
          usage_error ("--smoothing wants milliseconds (>= 0), not '%s'", optarg);
          return MC_EXIT_USAGE;
        }
        opts->settings.set_smoothing = TRUE;
        break;
      case 'S':
        if (!parse_ms (optarg, &opts->settings.suppression_ns)) {
          usage_error ("--suppression wants milliseconds (>= 0), not '%s'", optarg);
          return MC_EXIT_USAGE;
        }
        opts->settings.set_suppression = TRUE;
        break;
      case OPT_END_PADDING:
        if (!parse_ms (optarg, &opts->settings.end_padding_ns)
            || opts->settings.end_padding_ns > 10 * GST_SECOND) {
          usage_error ("--end-padding wants milliseconds from 0 to 10000, not '%s'", optarg);
          return MC_EXIT_USAGE;
        }
        opts->settings.set_end_padding = TRUE;
        break;
      case OPT_MINIMUM_COUNT:
        if (!parse_uint (optarg, 1000000, &opts->settings.minimum_count)) {
          usage_error ("--minimum-count wants a whole number, not '%s'", optarg);
          return MC_EXIT_USAGE;
        }
        opts->settings.set_minimum_count = TRUE;
        break;
      case 'k':
        if (!parse_uint (optarg, 1024, &opts->settings.top_k) || opts->settings.top_k == 0) {
          usage_error ("--top-k wants a number from 1 to 1024, not '%s'", optarg);
          return MC_EXIT_USAGE;
        }
        break;
      case 'j':
        if (!parse_uint (optarg, 1024, &opts->jobs) || opts->jobs == 0) {
          usage_error ("--jobs wants a number from 1 to 1024, not '%s'", optarg);
          return MC_EXIT_USAGE;
        }
        break;
      case 'p':
        g_free (opts->plot);
        opts->plot = g_strdup (optarg);
        break;
      case 'q': opts->quiet = TRUE; break;
      case OPT_MANIFEST: g_free (opts->manifest); opts->manifest = g_strdup (optarg); break;
      case OPT_SHARD:
        if (!parse_shard (optarg, &opts->shard_k, &opts->shard_n)) {
          usage_error ("--shard wants K/N with 0 <= K < N, e.g. 0/4, not '%s'", optarg);
          return MC_EXIT_USAGE;
        }
        break;
      case OPT_OUTPUT_DIR: g_free (opts->output_dir); opts->output_dir = g_strdup (optarg); break;
      case OPT_RETRY_FAILED: opts->retry_failed = TRUE; break;
      case OPT_MERGE: g_free (opts->merge); opts->merge = g_strdup (optarg); break;
      case 'h': fputs (help_text, stdout); return MC_EXIT_OK;
      case 'V': printf ("mega-classify %s\n", MEGA_VERSION); return MC_EXIT_OK;
      case ':': usage_error ("option '%s' needs a value", argv[optind - 1]); return MC_EXIT_USAGE;
      default: usage_error ("unknown option '%s'", argv[optind - 1]); return MC_EXIT_USAGE;
    }
  }
  if (saw_events && saw_clip) {
    usage_error ("%s", "--events and --clip exclude each other");
    return MC_EXIT_USAGE;
  }
  opts->set_mode = saw_events || saw_clip;
  int status = check_batch_options (opts, argc - optind);
  if (status >= 0)
    return status;
  if (opts->manifest != NULL) {
    GError *err = NULL;
    opts->inputs = mc_manifest_read (opts->manifest, &err);
    if (opts->inputs == NULL) {
      fprintf (stderr, "mega-classify: %s\n", err->message);
      g_clear_error (&err);
      return MC_EXIT_USAGE;
    }
    return -1;
  }
  opts->inputs = g_new0 (gchar *, argc - optind + 1);
  for (int i = optind; i < argc; i++)
    opts->inputs[i - optind] = g_strdup (argv[i]);
  return -1;
}

void
mc_options_clear (McOptions *opts)
{
  g_free (opts->settings.model);
  g_strfreev (opts->settings.labels);
  g_free (opts->plot);
  g_strfreev (opts->inputs);
  g_free (opts->manifest);
  g_free (opts->output_dir);
  g_free (opts->merge);
  memset (opts, 0, sizeof *opts);
}
