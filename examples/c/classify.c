/* Embedding megaclassify in a C program.
 *
 *   classify FILE [MODEL]
 *
 * Builds   uridecodebin ! audioconvert ! megaclassify ! fakesink
 * and receives every detection twice, the two ways an application can:
 *   - "message:" lines from a bus watch (element messages named "megaclassify"), and
 *   - "event:"   lines from a pad probe on the sink, which sees the same detection as
 *     a serialized custom downstream event, in order with the audio buffers.
 * Build: meson compile -C build examples/c/classify
 */
#include <gst/gst.h>
#include <stdio.h>

static void
print_detection (const char *how, const GstStructure *s)
{
  guint64 start = 0, end = 0;
  double confidence = 0;
  gst_structure_get_uint64 (s, "start", &start);
  gst_structure_get_uint64 (s, "end", &end);
  gst_structure_get_double (s, "confidence", &confidence);
  printf ("%s %s %.3f %.3f-%.3f s\n", how, gst_structure_get_string (s, "label"),
      confidence, (double) start / GST_SECOND, (double) end / GST_SECOND);
  fflush (stdout);
}

/* Runs in the streaming thread, in stream order. */
static GstPadProbeReturn
on_event (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM && gst_event_has_name (event, "megaclassify"))
    print_detection ("event:", gst_event_get_structure (event));
  return GST_PAD_PROBE_OK;
}

/* Runs in the main loop's thread. */
static gboolean
on_message (GstBus *bus, GstMessage *msg, gpointer data)
{
  GMainLoop *loop = data;
  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:
      if (gst_message_has_name (msg, "megaclassify"))
        print_detection ("message:", gst_message_get_structure (msg));
      break;
    case GST_MESSAGE_ERROR: {
      GError *err = NULL;
      gst_message_parse_error (msg, &err, NULL);
      fprintf (stderr, "error: %s\n", err->message);
      g_error_free (err);
      g_main_loop_quit (loop);
      break;
    }
    case GST_MESSAGE_EOS:
      g_main_loop_quit (loop);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  if (argc < 2 || argc > 3) {
    fprintf (stderr, "usage: %s FILE [MODEL]\n", argv[0]);
    return 2;
  }
  GError *err = NULL;
  GstElement *pipeline = gst_parse_launch (
      "uridecodebin name=src ! audioconvert ! megaclassify name=cls ! fakesink name=sink sync=false", &err);
  if (pipeline == NULL) {
    fprintf (stderr, "error: %s\n", err->message);
    return 1;
  }
  gchar *uri = gst_uri_is_valid (argv[1]) ? g_strdup (argv[1]) : gst_filename_to_uri (argv[1], NULL);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  g_object_set (src, "uri", uri, NULL);
  if (argc == 3) {
    GstElement *cls = gst_bin_get_by_name (GST_BIN (pipeline), "cls");
    g_object_set (cls, "model", argv[2], NULL);
    gst_object_unref (cls);
  }
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_event, NULL, NULL);

  GMainLoop *loop = g_main_loop_new (NULL, FALSE);
  GstBus *bus = gst_element_get_bus (pipeline);
  gst_bus_add_watch (bus, on_message, loop);
  int status = 0;
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    /* The reason (say, a bad model) is the error message on the bus. */
    GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (msg != NULL) {
      gst_message_parse_error (msg, &err, NULL);
      fprintf (stderr, "error: %s\n", err->message);
      g_clear_error (&err);
      gst_message_unref (msg);
    }
    status = 1;
  } else {
    g_main_loop_run (loop);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);

  gst_bus_remove_watch (bus);
  gst_object_unref (bus);
  g_main_loop_unref (loop);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  g_free (uri);
  return status;
}
