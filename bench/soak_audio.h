/* The soak's audio (bench/soak.c): a 60 s cycle of speech (30 s), digital silence (15 s) and
 * white noise (15 s), as S16 at any rate and channel count. Every sample is a function of its
 * position in the timeline, so a seek back hears the same audio again. */
#ifndef SOAK_AUDIO_H
#define SOAK_AUDIO_H

#include <glib.h>

#include "bench_util.h"

typedef struct {
  gint16 *speech;            /* 16 kHz mono, looped */
  gsize speech_len;
  gchar *speech_desc;        /* where it came from */
} SoakAudio;

/* speech_dir: WAVs (16 kHz mono 16-bit) looped into pool_seconds of speech; none found:
 * bench_util's synthetic speech-like bursts. */
void soak_audio_init (SoakAudio *a, const char *speech_dir, double pool_seconds);
void soak_audio_clear (SoakAudio *a);

/* n interleaved frames from timeline position pos (in frames at rate). */
void soak_audio_fill (SoakAudio *a, gint16 *out, guint64 pos, gsize n, int rate, int channels);

#endif /* SOAK_AUDIO_H */
