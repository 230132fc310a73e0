/* The engine without GStreamer: libmega (mega.h) on a 16-bit PCM WAV file.
 *
 *   cc engine.c $(pkg-config --cflags --libs mega) -o engine   # with libmega-dev installed
 *   ./engine MODEL.safetensors FILE.wav
 *
 * Streams the file through one MegaStream 100 ms at a time and prints, for every label, its
 * highest posterior over the file, best first (one line per label: "label  posterior"). The
 * WAV must be mono, 16-bit PCM, at the model's sample rate (16 kHz for the default model). */
#include <mega.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  int n_labels;
  float *peak;               /* n_labels */
  float *rows;               /* scratch for the softmax */
} Peaks;

static void
on_logits (const float *logits, size_t n_frames, uint64_t first_frame, void *user_data)
{
  Peaks *p = user_data;
  memcpy (p->rows, logits, n_frames * p->n_labels * sizeof (float));
  mega_softmax_rows (p->rows, n_frames, p->n_labels);
  for (size_t f = 0; f < n_frames; f++)
    for (int c = 0; c < p->n_labels; c++)
      if (p->rows[f * p->n_labels + c] > p->peak[c])
        p->peak[c] = p->rows[f * p->n_labels + c];
}

/* The samples of a mono 16-bit PCM WAV at `rate` Hz as floats; NULL with error set. */
static float *
read_wav (const char *path, int rate, size_t *n, GError **error)
{
  gchar *data;
  gsize len;
  if (!g_file_get_contents (path, &data, &len, error))
    return NULL;
  const guint8 *p = (const guint8 *) data, *end = p + len;
  gboolean fmt_ok = FALSE;
  float *out = NULL;
  if (len < 12 || memcmp (p, "RIFF", 4) != 0 || memcmp (p + 8, "WAVE", 4) != 0) {
    g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: not a WAV file", path);
    goto done;
  }
  for (p += 12; p + 8 <= end; ) {
    guint32 size = GUINT32_FROM_LE (*(const guint32 *) (p + 4));
    const guint8 *body = p + 8;
    if (size > (gsize) (end - body))
      size = end - body;
    if (memcmp (p, "fmt ", 4) == 0 && size >= 16) {
      guint16 format = GUINT16_FROM_LE (*(const guint16 *) body);
      guint16 channels = GUINT16_FROM_LE (*(const guint16 *) (body + 2));
      guint32 wav_rate = GUINT32_FROM_LE (*(const guint32 *) (body + 4));
      guint16 bits = GUINT16_FROM_LE (*(const guint16 *) (body + 14));
      fmt_ok = format == 1 && channels == 1 && bits == 16 && wav_rate == (guint32) rate;
      if (!fmt_ok) {
        g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: %u channel(s), %u bits, %u Hz, format %u; "
            "want mono 16-bit PCM at %d Hz", path, channels, bits, wav_rate, format, rate);
        goto done;
      }
    } else if (memcmp (p, "data", 4) == 0 && fmt_ok) {
      *n = size / 2;
      out = g_new (float, *n);
      for (size_t i = 0; i < *n; i++)
        out[i] = (gint16) GUINT16_FROM_LE (*(const guint16 *) (body + 2 * i)) / 32768.0f;
      goto done;
    }
    p = body + size + (size & 1);
  }
  g_set_error (error, MEGA_ERROR, MEGA_ERROR_FORMAT, "%s: no PCM data", path);
done:
  g_free (data);
  return out;
}

static const Peaks *sort_peaks;

static int
by_peak (const void *a, const void *b)
{
  float x = sort_peaks->peak[*(const int *) a], y = sort_peaks->peak[*(const int *) b];
  return (x < y) - (x > y);
}

int
main (int argc, char **argv)
{
  if (argc != 3) {
    fprintf (stderr, "usage: %s MODEL.safetensors FILE.wav\n", argv[0]);
    return 2;
  }
  GError *err = NULL;
  MegaModel *model = mega_model_load (argv[1], &err);
  if (model == NULL) {
    fprintf (stderr, "engine: %s\n", err->message);
    g_error_free (err);
    return 1;
  }
  const MegaInfo *info = mega_model_info (model);
  size_t n = 0;
  float *samples = read_wav (argv[2], info->sample_rate, &n, &err);
  MegaStream *stream = samples ? mega_stream_new (model, &err) : NULL;
  if (stream == NULL) {
    fprintf (stderr, "engine: %s\n", err->message);
    g_error_free (err);
    g_free (samples);
    mega_model_free (model);
    return 1;
  }
  Peaks peaks = { info->n_labels, g_new0 (float, info->n_labels),
    g_new (float, (size_t) 16 * info->n_labels) };
  size_t hop = info->sample_rate / 10;
  for (size_t at = 0; at < n; at += hop)
    mega_stream_push_audio (stream, samples + at, MIN (hop, n - at), on_logits, &peaks);
  printf ("%s: %.2f s, %llu frames\n", argv[2], (double) n / info->sample_rate,
      (unsigned long long) mega_stream_frames (stream));
  int *order = g_new (int, info->n_labels);
  for (int c = 0; c < info->n_labels; c++)
    order[c] = c;
  sort_peaks = &peaks;
  qsort (order, info->n_labels, sizeof *order, by_peak);
  for (int i = 0; i < info->n_labels; i++)
    printf ("%-10s %.3f\n", info->labels[order[i]], peaks.peak[order[i]]);
  g_free (order);
  g_free (peaks.peak);
  g_free (peaks.rows);
  g_free (samples);
  mega_stream_free (stream);
  mega_model_free (model);
  return 0;
}
