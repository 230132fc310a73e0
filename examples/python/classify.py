#!/usr/bin/python3
"""megaclassify from Python: prints each detection from the bus ("message:") and from a pad
probe that sees the same detection as a custom downstream event ("event:").
   /usr/bin/python3 examples/python/classify.py FILE [MODEL]"""
import sys
import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst

Gst.init(None)
pipeline = Gst.parse_launch("uridecodebin name=src ! audioconvert ! megaclassify name=cls ! fakesink name=sink sync=false")
pipeline.get_by_name("src").props.uri = Gst.filename_to_uri(sys.argv[1])
if len(sys.argv) > 2:
    pipeline.get_by_name("cls").props.model = sys.argv[2]
# One write per line: the probe runs in the streaming thread, the bus loop in this one.
show = lambda how, s: sys.stdout.write(f"{how} {s.get_value('label')} {s.get_value('confidence'):.3f} "
                                       f"{s.get_value('start') / Gst.SECOND:.3f}-{s.get_value('end') / Gst.SECOND:.3f} s\n")


def on_event(pad, info):
    ev = info.get_event()
    if ev.type == Gst.EventType.CUSTOM_DOWNSTREAM and ev.has_name("megaclassify"):
        show("event:", ev.get_structure())
    return Gst.PadProbeReturn.OK


pipeline.get_by_name("sink").get_static_pad("sink").add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, on_event)
pipeline.set_state(Gst.State.PLAYING)
wanted = Gst.MessageType.ELEMENT | Gst.MessageType.EOS | Gst.MessageType.ERROR
while (msg := pipeline.get_bus().timed_pop_filtered(Gst.CLOCK_TIME_NONE, wanted)).type == Gst.MessageType.ELEMENT:
    if msg.has_name("megaclassify"):
        show("message:", msg.get_structure())
pipeline.set_state(Gst.State.NULL)
if msg.type == Gst.MessageType.ERROR:
    sys.exit(f"error: {msg.parse_error()[0].message}")
