# shellcheck shell=bash
# Sourced by the pipeline scripts (not run on its own).
# - Finds the uninstalled plugin: <repo>/build/plugin, or $MEGA_BUILD_DIR/plugin, is put
#   first on GST_PLUGIN_PATH when it exists (an installed plugin needs nothing).
# - The model is the element's default ($MEGA_MODEL_PATH if set, else the installed
#   default model, or from a build tree the source tree's models/default.safetensors).
# - MEGA_PROPS adds element properties in every script, e.g. MEGA_PROPS="threshold=0.8".
# - mega_print_detections: turns `gst-launch-1.0 -m` output into one line per detection:
#       yes          0.912   1.23 -   1.71 s
MEGA_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MEGA_BUILD_DIR=${MEGA_BUILD_DIR:-$MEGA_ROOT/build}
if [ -e "$MEGA_BUILD_DIR/plugin/libgstmega.so" ]; then
  export GST_PLUGIN_PATH="$MEGA_BUILD_DIR/plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
fi

# gst-launch-1.0 with its stdout line-buffered, so detections show up as they happen
# even through a pipe.
mega_launch() {
  stdbuf -oL gst-launch-1.0 "$@"
}

mega_print_detections() {
  sed -un -E 's/.*\(element\): megaclassify, label=\(string\)"?([^,"]*)"?, .*confidence=\(double\)([^,]*),.*start=\(guint64\)([0-9]+), end=\(guint64\)([0-9]+).*/\1 \2 \3 \4/p' |
    awk '{ printf "%-12s %6.3f  %6.2f - %6.2f s\n", $1, $2, $3 / 1e9, $4 / 1e9; fflush() }'
}
