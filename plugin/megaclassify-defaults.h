/* Default property values of megaclassify, in one place so the training side can retune
 * them from its DET curve without touching the element. */
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

/* Upper bounds of the time properties; the smoothing bound also sizes the detector's ring. */
#define MEGACLASSIFY_MAX_SMOOTHING          (10 * GST_SECOND)
#define MEGACLASSIFY_MAX_SUPPRESSION        (3600 * GST_SECOND)

#endif
