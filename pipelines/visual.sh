#!/usr/bin/env bash
# Visual demo: opens a window with the microphone's waveform (wavescope) and the last
# detected command written over it (textoverlay), e.g. "stop  0.93". Detections are also
# printed on stdout ("overlay: stop  0.93"). Close with Ctrl-C.
# Needs a display, and wavescope (gstreamer1.0-plugins-bad) and textoverlay
# (gstreamer1.0-x).
#
# MEGA_SOURCE replaces the microphone and MEGA_VIDEO_SINK the window, e.g.
#   MEGA_SOURCE="filesrc location=examples/data/commands.wav ! decodebin" pipelines/visual.sh
#   MEGA_SOURCE="..." MEGA_VIDEO_SINK="fakesink sync=false" pipelines/visual.sh   (no display)
set -euo pipefail
# shellcheck source=pipelines/common.sh
source "$(dirname "$0")/common.sh"
exec /usr/bin/python3 "$(dirname "$0")/visual_demo.py" "${MEGA_SOURCE:-autoaudiosrc}" \
  "${MEGA_VIDEO_SINK:-autovideosink}" "${MEGA_PROPS:-}"
