#!/usr/bin/env bash
# Tee: records the microphone to OUT.wav (default recording.wav) and, on a second branch,
# prints the detections; each branch has its own queue so neither waits for the other.
#   pipelines/record-and-classify.sh out.wav
#   yes           0.912    1.23 -   1.71 s
# Stop with Ctrl-C (the WAV header is finished on the way out).
# MEGA_SOURCE replaces the microphone, as in live-mic.sh.
set -euo pipefail
# shellcheck source=pipelines/common.sh
source "$(dirname "$0")/common.sh"
SOURCE=${MEGA_SOURCE:-autoaudiosrc}
OUT=${1:-recording.wav}

# shellcheck disable=SC2086  # MEGA_SOURCE/MEGA_PROPS are fragments: split them into words
mega_launch -m -e $SOURCE ! audioconvert ! tee name=t \
  t. ! queue ! megaclassify ${MEGA_PROPS:-} ! fakesink \
  t. ! queue ! wavenc ! filesink location="$OUT" | mega_print_detections
