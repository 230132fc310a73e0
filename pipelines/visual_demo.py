#!/usr/bin/python3
"""Helper of pipelines/visual.sh: shows the audio as a waveform (wavescope) with the last
detected command drawn on it (textoverlay). gst-launch cannot change textoverlay's text
from a bus message, so this small program does: it sets the text on every `megaclassify`
message and prints the same line on stdout.

  visual_demo.py SOURCE VIDEO_SINK [PROPS]   (gst-launch fragments; see visual.sh)
"""
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def main():
    source, video_sink = sys.argv[1], sys.argv[2]
    props = sys.argv[3] if len(sys.argv) > 3 else ""
    Gst.init(None)
    pipeline = Gst.parse_launch(
        f"{source} ! audioconvert ! megaclassify {props} ! audioconvert ! "
        "wavescope shader=none style=lines ! video/x-raw,width=640,height=360,framerate=25/1 ! "
        "videoconvert ! textoverlay name=overlay text=listening... font-desc=\"Sans 36\" "
        f"valignment=top halignment=left shaded-background=true ! videoconvert ! {video_sink}")
    overlay = pipeline.get_by_name("overlay")
    loop = GLib.MainLoop()
    status = 0

    def on_message(bus, msg):
        nonlocal status
        s = msg.get_structure()
        if msg.type == Gst.MessageType.ELEMENT and s.get_name() == "megaclassify":
            text = f"{s.get_value('label')}  {s.get_value('confidence'):.2f}"
            overlay.set_property("text", text)
            print("overlay:", text, flush=True)
        elif msg.type == Gst.MessageType.ERROR:
            print("error:", msg.parse_error()[0].message, file=sys.stderr)
            status = 1
            loop.quit()
        elif msg.type == Gst.MessageType.EOS:
            loop.quit()

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    # Ctrl-C: send EOS so the last window is classified, then stop.
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 2, lambda: pipeline.send_event(Gst.Event.new_eos()) and False)
    pipeline.set_state(Gst.State.PLAYING)
    loop.run()
    pipeline.set_state(Gst.State.NULL)
    return status


if __name__ == "__main__":
    sys.exit(main())
