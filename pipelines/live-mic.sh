#!/usr/bin/env bash
# Live microphone: listens to the default microphone (autoaudiosrc) and prints each
# detected command as it is spoken, one line each:
#   yes           0.912    1.23 -   1.71 s      (label, confidence, when)
# Stop with Ctrl-C. Expect nothing while it is quiet; say "yes", "stop", "left", ...
#
# MEGA_SOURCE replaces the microphone with any gst-launch source fragment, e.g.
#   MEGA_SOURCE="filesrc location=examples/data/commands.wav ! decodebin" pipelines/live-mic.sh
#   MEGA_SOURCE="pulsesrc device=..." pipelines/live-mic.sh
set -euo pipefail
# shellcheck source=pipelines/common.sh
source "$(dirname "$0")/common.sh"
SOURCE=${MEGA_SOURCE:-autoaudiosrc}

# -e: Ctrl-C sends EOS, so the last partial window is still classified.
# shellcheck disable=SC2086  # MEGA_SOURCE is a pipeline fragment: split it into words
mega_launch -m -e $SOURCE ! audioconvert ! megaclassify ${MEGA_PROPS:-} ! fakesink | mega_print_detections
