/* Kaldi-compatible log-mel filter bank (internal to the engine).
 *
 * Computes what torchaudio.compliance.kaldi.fbank computes with dither=0, snip_edges=true,
 * use_power=true, use_log_fbank=true, use_energy=false, round_to_power_of_two=true, on
 * samples multiplied by input_scale. MegaFbank is immutable (window, mel banks, FFTW plan)
 * and shared by all streams of a model; MegaFbankState is one stream's partial frame and
 * work buffers. */
#ifndef MEGA_FRONTEND_H
#define MEGA_FRONTEND_H

#include <glib.h>
#include <stddef.h>

G_BEGIN_DECLS

typedef enum {
  MEGA_WINDOW_HAMMING,
  MEGA_WINDOW_HANNING,
  MEGA_WINDOW_POVEY,
  MEGA_WINDOW_RECTANGULAR
} MegaWindowType;

typedef struct {
  int sample_rate;
  double frame_length_ms;
  double frame_shift_ms;
  int n_mels;
  double low_freq;
  double high_freq;        /* <= 0: offset from Nyquist, as in Kaldi */
  MegaWindowType window;
  double preemphasis;
  gboolean remove_dc_offset;
  double input_scale;
} MegaFbankConfig;

/* The ranges mega_fbank_new accepts; the model file's parser (config.c) checks the same ones
 * in the file's own words. */
#define MEGA_FBANK_MIN_RATE 1000
#define MEGA_FBANK_MAX_RATE 192000
#define MEGA_FBANK_MAX_MELS 256
#define MEGA_FBANK_MAX_MS 1000.0     /* frame length and shift */

/* The upper edge of the mel band in Hz: high_freq, or (Kaldi) Nyquist + high_freq if <= 0. */
double mega_fbank_high_hz (const MegaFbankConfig *cfg);

typedef struct MegaFbank MegaFbank;
typedef struct MegaFbankState MegaFbankState;

/* Validates cfg (error names the bad field) and builds window, mel banks and the FFT plan.
 * FFTW plan creation is serialised by a lock: it is not thread-safe. */
MegaFbank *mega_fbank_new (const MegaFbankConfig *cfg, GError **error);
void mega_fbank_free (MegaFbank *fb);
int mega_fbank_frame_length (const MegaFbank *fb); /* samples */
int mega_fbank_frame_shift (const MegaFbank *fb);  /* samples */
int mega_fbank_n_mels (const MegaFbank *fb);

MegaFbankState *mega_fbank_state_new (const MegaFbank *fb);
void mega_fbank_state_free (MegaFbankState *st);
void mega_fbank_state_reset (MegaFbankState *st);

/* Consumes samples until max_frames frames are complete or the input is used up. Writes each
 * complete frame's n_mels log-mel values to out (row-major), sets *consumed to the number of
 * samples taken, returns the number of frames written. Frames equal those of the whole signal
 * at once, whatever the split. Never allocates. */
size_t mega_fbank_push (const MegaFbank *fb, MegaFbankState *st, const float *samples, size_t n,
    size_t *consumed, float *out, size_t max_frames);

/* Number of frames a whole signal of n samples gives: 0 if n < frame_length, else
 * 1 + (n - frame_length) / frame_shift. */
size_t mega_fbank_n_frames (const MegaFbank *fb, size_t n);

G_END_DECLS

#endif /* MEGA_FRONTEND_H */
