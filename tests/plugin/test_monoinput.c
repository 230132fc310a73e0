/* Unit test of the element's input stage (plugin/monoinput.c): integer samples arrive as
 * exactly their value over full scale, the way every WAV reader (and the training side's
 * reference) reads them, so digital silence is exactly 0. */
#include <math.h>

#include "monoinput.h"

typedef struct {
  float got[64];
  gsize n;
} Sink;

static void
collect (const float *samples, gsize n, gpointer user_data)
{
  Sink *sink = user_data;
  for (gsize i = 0; i < n && sink->n < G_N_ELEMENTS (sink->got); i++)
    sink->got[sink->n++] = samples[i];
}

/* Pushes the values as one buffer of `format` at the model's rate (no resampler). */
static void
check_exact (GstAudioFormat format, const gint32 *values, gsize n, double full_scale)
{
  GstAudioInfo info;
  gst_audio_info_set_format (&info, format, 16000, 1, NULL);
  int width = GST_AUDIO_FORMAT_INFO_WIDTH (info.finfo) / 8;
  guint8 *data = g_malloc0 (n * width);
  for (gsize i = 0; i < n; i++)      /* little-endian, as the formats below */
    for (int b = 0; b < width; b++)
      data[i * width + b] = (guint8) (((guint32) values[i]) >> (8 * b));
  MegaMonoInput *in = mega_mono_input_new (&info, 16000);
  Sink sink = { .n = 0 };
  g_assert_cmpuint (mega_mono_input_push (in, data, n, collect, &sink), ==, 0);
  g_assert_cmpuint (sink.n, ==, n);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (sink.got[i], ==, (float) (values[i] / full_scale));
  mega_mono_input_free (in);
  g_free (data);
}

static void
test_s16_is_exact (void)
{
  const gint32 v[] = { 0, 0, 1, -1, 12345, -23456, 32767, -32768, 0 };
  check_exact (GST_AUDIO_FORMAT_S16LE, v, G_N_ELEMENTS (v), 32768.0);
}

static void
test_s32_is_exact (void)
{
  const gint32 v[] = { 0, 1, -1, 65536, G_MAXINT32, G_MININT32, 0 };
  check_exact (GST_AUDIO_FORMAT_S32LE, v, G_N_ELEMENTS (v), 2147483648.0);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/monoinput/s16-is-exact", test_s16_is_exact);
  g_test_add_func ("/monoinput/s32-is-exact", test_s32_is_exact);
  return g_test_run ();
}
