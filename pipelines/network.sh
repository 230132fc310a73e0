#!/usr/bin/env bash
# A network stream: plays URI (http://, https://, rtsp://, file://, an internet radio
# station, ...) through uridecodebin and prints the detections as they come:
#   pipelines/network.sh https://example.com/speech.ogg
#   yes           0.912    0.81 -   1.29 s
# A live stream runs until Ctrl-C; a finite one stops at its end.
set -euo pipefail
# shellcheck source=pipelines/common.sh
source "$(dirname "$0")/common.sh"
if [ $# -ne 1 ]; then echo "usage: $0 URI" >&2; exit 2; fi

# sync=true keeps a non-live HTTP download from being read faster than real time; set
# MEGA_SYNC=false to classify a recording as fast as it downloads.
# shellcheck disable=SC2086  # MEGA_PROPS is a list of property=value words
mega_launch -m -e uridecodebin uri="$1" ! audioconvert ! megaclassify ${MEGA_PROPS:-} ! \
  fakesink sync="${MEGA_SYNC:-true}" | mega_print_detections
