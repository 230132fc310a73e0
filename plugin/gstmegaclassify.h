/* megaclassify: streaming keyword/audio classification with a Mega model. */
#ifndef GST_MEGA_CLASSIFY_H
#define GST_MEGA_CLASSIFY_H

#include <gst/audio/gstaudiofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_MEGA_CLASSIFY (gst_mega_classify_get_type ())
G_DECLARE_FINAL_TYPE (GstMegaClassify, gst_mega_classify, GST, MEGA_CLASSIFY, GstAudioFilter)

GST_ELEMENT_REGISTER_DECLARE (megaclassify);

G_END_DECLS

#endif
