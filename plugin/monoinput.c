/* Downmix + resampling front of the element; see monoinput.h. */
#include "monoinput.h"

#include <math.h>
#include <string.h>

/* Input is processed in chunks of this many frames so all scratch memory is sized once. */
#define CHUNK 4096

struct MegaMonoInput {
  GstAudioInfo info;
  int out_rate;
  GstAudioResampler *resampler;   /* NULL when the rates already match */
  gpointer unpacked;              /* CHUNK * channels samples, S32 or F64 */
  float *mono;                    /* CHUNK */
  float *out;                     /* out_cap */
  gsize out_cap;
  guint64 in_total, out_total;
};

MegaMonoInput *
mega_mono_input_new (const GstAudioInfo *info, int out_rate)
{
  MegaMonoInput *in = g_new0 (MegaMonoInput, 1);
  in->info = *info;
  in->out_rate = out_rate;
  int channels = GST_AUDIO_INFO_CHANNELS (info);
  in->unpacked = g_malloc ((gsize) CHUNK * channels * 8);
  in->mono = g_new (float, CHUNK);
  if (GST_AUDIO_INFO_RATE (info) != out_rate) {
    GstStructure *opts = gst_structure_new_empty ("mega-resampler");
    gst_audio_resampler_options_set_quality (GST_AUDIO_RESAMPLER_METHOD_KAISER,
        GST_AUDIO_RESAMPLER_QUALITY_DEFAULT, GST_AUDIO_INFO_RATE (info), out_rate, opts);
    in->resampler = gst_audio_resampler_new (GST_AUDIO_RESAMPLER_METHOD_KAISER, 0,
        GST_AUDIO_FORMAT_F32, 1, GST_AUDIO_INFO_RATE (info), out_rate, opts);
    gst_structure_free (opts);
    gsize latency = gst_audio_resampler_get_max_latency (in->resampler);
    in->out_cap = gst_util_uint64_scale_int_ceil (CHUNK + 2 * latency + 2, out_rate,
        GST_AUDIO_INFO_RATE (info)) + 16;
    in->out = g_new (float, in->out_cap);
  }
  return in;
}

void
mega_mono_input_free (MegaMonoInput *in)
{
  if (!in)
    return;
  if (in->resampler)
    gst_audio_resampler_free (in->resampler);
  g_free (in->unpacked);
  g_free (in->mono);
  g_free (in->out);
  g_free (in);
}

void
mega_mono_input_reset (MegaMonoInput *in)
{
  if (in->resampler)
    gst_audio_resampler_reset (in->resampler);
  in->in_total = in->out_total = 0;
}

/* Averages the channels of n frames into in->mono; returns the non-finite count. */
static guint64
downmix (MegaMonoInput *in, const guint8 *data, gsize n)
{
  const GstAudioFormatInfo *finfo = in->info.finfo;
  int channels = GST_AUDIO_INFO_CHANNELS (&in->info);
  guint64 bad = 0;

  if (data == NULL) {
    memset (in->mono, 0, sizeof (float) * n);
    return 0;
  }
  /* unpack gives native S32 for integer formats and native F64 for float formats. */
  finfo->unpack_func (finfo, GST_AUDIO_PACK_FLAG_NONE, in->unpacked, data, (gint) (n * channels));
  if (finfo->unpack_format == GST_AUDIO_FORMAT_F64) {
    const double *s = in->unpacked;
    for (gsize i = 0; i < n; i++) {
      double acc = 0;
      for (int c = 0; c < channels; c++) {
        double v = s[i * channels + c];
        if (!isfinite (v)) {
          v = 0;
          bad++;
        }
        acc += v;
      }
      in->mono[i] = (float) (acc / channels);
    }
  } else {
    const gint32 *s = in->unpacked;
    /* unpack fills the bits below the format's depth (an S16 0 becomes 0x8000, 2^-16 of full
     * scale); cleared, a sample is exactly its integer over full scale, as every WAV reader
     * reads it, and digital silence is exactly 0 like the padding the element adds at EOS */
    int depth = GST_AUDIO_FORMAT_INFO_DEPTH (finfo);
    guint32 keep = depth >= 32 ? 0xffffffffu : ~((1u << (32 - depth)) - 1);
    for (gsize i = 0; i < n; i++) {
      double acc = 0;
      for (int c = 0; c < channels; c++)
        acc += (gint32) ((guint32) s[i * channels + c] & keep);
      in->mono[i] = (float) (acc / channels / 2147483648.0);
    }
  }
  return bad;
}

static void
resample_and_deliver (MegaMonoInput *in, const float *mono, gsize n, gsize max_out,
    MegaMonoFunc func, gpointer user_data)
{
  gsize n_out = gst_audio_resampler_get_out_frames (in->resampler, n);
  g_assert (n_out <= in->out_cap);
  gpointer ip[1] = { (gpointer) mono };
  gpointer op[1] = { in->out };
  gst_audio_resampler_resample (in->resampler, mono ? ip : NULL, n, op, n_out);
  n_out = MIN (n_out, max_out);
  in->out_total += n_out;
  if (n_out)
    func (in->out, n_out, user_data);
}

guint64
mega_mono_input_push (MegaMonoInput *in, gconstpointer data, gsize n_frames,
    MegaMonoFunc func, gpointer user_data)
{
  const guint8 *p = data;
  guint64 bad = 0;
  gsize bpf = GST_AUDIO_INFO_BPF (&in->info);

  while (n_frames > 0) {
    gsize n = MIN (n_frames, CHUNK);
    bad += downmix (in, p, n);
    in->in_total += n;
    if (in->resampler) {
      resample_and_deliver (in, in->mono, n, G_MAXSIZE, func, user_data);
    } else {
      in->out_total += n;
      func (in->mono, n, user_data);
    }
    if (p)
      p += n * bpf;
    n_frames -= n;
  }
  return bad;
}

void
mega_mono_input_drain (MegaMonoInput *in, MegaMonoFunc func, gpointer user_data)
{
  if (!in->resampler)
    return;
  guint64 target = gst_util_uint64_scale_int_ceil (in->in_total, in->out_rate,
      GST_AUDIO_INFO_RATE (&in->info));
  gsize latency = gst_audio_resampler_get_max_latency (in->resampler);
  /* Zeros push the held samples out; a few rounds cover rounding at odd ratios. */
  for (int round = 0; round < 4 && in->out_total < target; round++)
    resample_and_deliver (in, NULL, latency + 1, target - in->out_total, func, user_data);
  gst_audio_resampler_reset (in->resampler);
}

guint64
mega_mono_input_settle_frames (const MegaMonoInput *in)
{
  if (!in->resampler)
    return 0;
  /* the filter spans 2 * latency input samples; one CHUNK more covers the samples the
   * resampler may keep between calls */
  return 2 * (guint64) gst_audio_resampler_get_max_latency (in->resampler) + CHUNK;
}

static guint64
gcd_u64 (guint64 a, guint64 b)
{
  while (b) {
    guint64 t = a % b;
    a = b;
    b = t;
  }
  return a;
}

guint64
mega_mono_input_skip_unit (const MegaMonoInput *in, guint64 out_multiple, guint64 *unit_out)
{
  guint64 in_rate = GST_AUDIO_INFO_RATE (&in->info), out_rate = in->out_rate;
  guint64 g = gcd_u64 (in_rate, out_rate);
  guint64 period_out = out_rate / g;   /* output samples per resampler period */
  guint64 out = period_out / gcd_u64 (period_out, out_multiple) * out_multiple;
  *unit_out = out;
  return out / period_out * (in_rate / g);
}

void
mega_mono_input_skip (MegaMonoInput *in, guint64 n_frames)
{
  guint64 in_rate = GST_AUDIO_INFO_RATE (&in->info);
  in->in_total += n_frames;
  in->out_total += n_frames / in_rate * in->out_rate
      + n_frames % in_rate * in->out_rate / in_rate;
}
