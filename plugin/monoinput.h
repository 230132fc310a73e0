/* Turns the element's input (any raw format, rate and channel count) into what the model
 * eats: mono float in [-1, 1] at the model's rate. Channels are averaged, non-finite samples
 * become 0, and the rate is converted with a streaming GstAudioResampler. The resampler is
 * zero-phase: output sample k lies at time k / out_rate from the first input sample, so a
 * sample counter on the output gives exact timestamps. */
#ifndef MEGA_MONO_INPUT_H
#define MEGA_MONO_INPUT_H

#include <gst/audio/audio.h>

G_BEGIN_DECLS

typedef struct MegaMonoInput MegaMonoInput;

/* Receives consecutive chunks of model-rate mono samples; valid only during the call. */
typedef void (*MegaMonoFunc) (const float *samples, gsize n, gpointer user_data);

MegaMonoInput *mega_mono_input_new (const GstAudioInfo *info, int out_rate);
void mega_mono_input_free (MegaMonoInput *in);
/* Forgets buffered samples and counters (after a discontinuity). */
void mega_mono_input_reset (MegaMonoInput *in);

/* Converts n_frames interleaved frames; data NULL means silence (a GAP buffer) and is not
 * read. Returns how many non-finite samples were replaced by 0. */
guint64 mega_mono_input_push (MegaMonoInput *in, gconstpointer data, gsize n_frames,
    MegaMonoFunc func, gpointer user_data);

/* Input frames of silence after which the resampler holds nothing but zeros. */
guint64 mega_mono_input_settle_frames (const MegaMonoInput *in);

/* The smallest span of input that is a whole number of resampler periods (input and output
 * sample grids line up again) and whose output is a multiple of out_multiple samples: its
 * length in input frames, and in output samples in *unit_out. */
guint64 mega_mono_input_skip_unit (const MegaMonoInput *in, guint64 out_multiple,
    guint64 *unit_out);

/* Accounts for n_frames (a multiple of the skip unit) of silence without resampling them:
 * after mega_mono_input_settle_frames() of silence the resampler's history is all zeros and
 * its phase repeats every unit, so its state would be the same after resampling them. */
void mega_mono_input_skip (MegaMonoInput *in, guint64 n_frames);

/* At the end of a stream: delivers the samples the resampler still holds, so the total
 * output is ceil(input frames * out_rate / in_rate). */
void mega_mono_input_drain (MegaMonoInput *in, MegaMonoFunc func, gpointer user_data);

G_END_DECLS

#endif
