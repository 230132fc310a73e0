#!/usr/bin/env bash
# Live microphone with playback: like live-mic.sh, and the microphone is also played
# on the default output (autoaudiosink) through megaclassify, which passes audio through
# untouched. Use headphones, or the speakers feed back into the microphone.
#   yes           0.912    1.23 -   1.71 s
# Stop with Ctrl-C.
#
# MEGA_SOURCE replaces the microphone and MEGA_SINK the speakers, e.g.
#   MEGA_SOURCE="filesrc location=examples/data/commands.wav ! decodebin" MEGA_SINK=fakesink \
#     pipelines/live-mic-playback.sh
set -euo pipefail
# shellcheck source=pipelines/common.sh
source "$(dirname "$0")/common.sh"
SOURCE=${MEGA_SOURCE:-autoaudiosrc}
SINK=${MEGA_SINK:-autoaudiosink}

# shellcheck disable=SC2086  # MEGA_SOURCE/MEGA_PROPS are fragments: split them into words
mega_launch -m -e $SOURCE ! audioconvert ! megaclassify ${MEGA_PROPS:-} ! audioconvert ! audioresample ! $SINK |
  mega_print_detections
