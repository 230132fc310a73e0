/* Default property values of megaclassify, in one place so the training side can retune
 * them from its DET curve without touching the element. The training side reads them back
 * from the built element (gst-inspect-1.0 megaclassify: train/element_cli.py). */
#ifndef MEGACLASSIFY_DEFAULTS_H
#define MEGACLASSIFY_DEFAULTS_H

#define MEGACLASSIFY_DEFAULT_THRESHOLD      0.5
#define MEGACLASSIFY_DEFAULT_SMOOTHING      (300 * GST_MSECOND)
#define MEGACLASSIFY_DEFAULT_SUPPRESSION    (1000 * GST_MSECOND)
#define MEGACLASSIFY_DEFAULT_MINIMUM_COUNT  3
#define MEGACLASSIFY_DEFAULT_INTERVAL       0
#define MEGACLASSIFY_DEFAULT_TOP_K          3
#define MEGACLASSIFY_DEFAULT_POST_MESSAGES  TRUE
#define MEGACLASSIFY_DEFAULT_EMIT_EVENTS    TRUE
#define MEGACLASSIFY_DEFAULT_ATTACH_META    FALSE
/* The model decides on a word up to about 250 ms after it ends (the training labels hold a
 * keyword for 25 frames past its end), so audio that stops right after a word is heard out. */
#define MEGACLASSIFY_DEFAULT_END_PADDING    (250 * GST_MSECOND)

/* batch-frames: 0 is automatic, MEGACLASSIFY_AUTO_BATCH_FRAMES when upstream is not live and
 * 1 (each buffer's frames at once) when it is. */
#define MEGACLASSIFY_DEFAULT_BATCH_FRAMES   0
/* The automatic batch for a source that is not live (a file), where nobody waits for results in
 * real time. decodebin delivers 128 ms buffers, 12-13 frames: below the 16 rows from which the
 * engine's products go to OpenBLAS's sgemm (kernels.h, LINEAR_FEW_ROWS), which costs less per
 * frame the more rows it gets. 10 minutes of speech through `filesrc ! decodebin !
 * audioconvert ! audioresample ! megaclassify ! fakesink`, release build, the element's share
 * of one core (lowest / median of 5 runs on a shared machine) by batch-frames: 1: 0.33 /
 * 0.38 %, 16: 0.30 / 0.32 %, 32: 0.25 / 0.30 %, 64: 0.27 / 0.30 %, 128: 0.26 / 0.28 %,
 * 256: 0.20 / 0.26 %. Past 32 the differences are within the machine's noise; 64 sits well
 * inside that plateau for 640 ms of delay and ~310 KB of work buffers. */
#define MEGACLASSIFY_AUTO_BATCH_FRAMES      64

/* Upper bounds of the time properties; the smoothing bound also sizes the detector's ring. */
#define MEGACLASSIFY_MAX_SMOOTHING          (10 * GST_SECOND)
#define MEGACLASSIFY_MAX_SUPPRESSION        (3600 * GST_SECOND)
#define MEGACLASSIFY_MAX_END_PADDING        (10 * GST_SECOND)

/* Highest input rate the element accepts. The resampler's filter grows with the ratio to the
 * model's rate, and near G_MAXINT it asks for hundreds of GB (g_malloc aborts the process).
 * 1 MHz covers every audio rate in use (768 kHz is the highest PCM rate of any interface)
 * and costs a few MB of filter at most. */
#define MEGACLASSIFY_MAX_RATE               1000000

#endif
