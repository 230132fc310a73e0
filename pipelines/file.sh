#!/usr/bin/env bash
# A file: decodes FILE (any format GStreamer reads: WAV, FLAC, Ogg, MP3, ...) and
# prints its detections, as fast as the machine allows (no clock sync):
#   pipelines/file.sh examples/data/commands.wav
#   yes           0.912    0.81 -   1.29 s
# (The same as `mega-classify FILE`, spelled as a gst-launch pipeline.)
set -euo pipefail
# shellcheck source=pipelines/common.sh
source "$(dirname "$0")/common.sh"
if [ $# -ne 1 ]; then echo "usage: $0 FILE" >&2; exit 2; fi

# shellcheck disable=SC2086  # MEGA_PROPS is a list of property=value words
mega_launch -m filesrc location="$1" ! decodebin ! audioconvert ! megaclassify ${MEGA_PROPS:-} ! \
  fakesink sync=false | mega_print_detections
