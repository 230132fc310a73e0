#!/bin/bash
# What the element costs in a file pipeline, against the same pipeline without it and against
# the engine alone on the same audio (issue #15, item 5), for one or more plugin builds side
# by side in one run:
#
#   bench/element_cost.sh [--minutes 10] [--repeats 5] [--bench build-bench] [--profile] \
#       [--check] [--out DIR] NAME=BUILD_DIR [NAME=BUILD_DIR ...]
#
# Each repeat runs, in turn, `filesrc ! decodebin ! audioconvert ! audioresample ! fakesink`
# and, for every build, the same with `megaclassify` before the sink; the engine alone is
# `mega-bench stream` at the buffer length decodebin delivers (128 ms) and `mega-bench offline`
# (one thread). CPU is user + system of each process (wait4); the lowest of the repeats counts,
# because a shared machine only ever adds time. --profile also records each build's element
# with `perf record` and lists its top functions. Writes DIR/element_cost.jsonl and prints the
# table (bench/element_cost.py; --check makes it fail on a pipeline that did not run or an
# element that added nothing, for the smoke test). Speech from data/streams, else synthetic bursts.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
minutes=10 repeats=5 bench_dir=$root/build-bench profile=0 check="" out=""
builds=()
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    --bench) bench_dir=$(cd "$2" && pwd); shift 2 ;;
    --profile) profile=1; shift ;;
    --check) check=--check; shift ;;
    --out) out=$(realpath -m "$2"); shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *=*) builds+=("$1"); shift ;;
    *) echo "element_cost.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ ${#builds[@]} -gt 0 ] || { echo "element_cost.sh: give at least one NAME=BUILD_DIR" >&2; exit 2; }
out=${out:-$(mktemp -d)}
mkdir -p "$out"
bench=$bench_dir/bench/mega-bench
model=$root/models/default.safetensors
results=$out/element_cost.jsonl
: > "$results"
export OPENBLAS_NUM_THREADS=1
unset GST_PLUGIN_SYSTEM_PATH_1_0 || true

cd "$root"
"$bench" gen --kind speech --minutes "$minutes" --speech-dir data/streams \
  --raw "$out/speech.f32" --wav "$out/speech.wav" >> "$results"
printf '{"case": "setup", "minutes": %s, "load_before": "%s", "openblas_coretype": "%s"}\n' \
  "$minutes" "$(cut -d' ' -f1-3 /proc/loadavg)" "${OPENBLAS_CORETYPE:-}" >> "$results"

pipeline() {  # [megaclassify-or-nothing]
  # shellcheck disable=SC2086
  echo gst-launch-1.0 -q filesrc location="$out/speech.wav" ! decodebin ! audioconvert \
    ! audioresample ! $1 fakesink sync=false
}

# One registry per build, scanned before timing starts: a registry scan in a timed run would be
# charged to whichever pipeline ran first.
GST_REGISTRY=$out/registry-without.bin gst-inspect-1.0 audioresample > /dev/null
for b in "${builds[@]}"; do
  name=${b%%=*} dir=$(cd "${b#*=}" && pwd)
  GST_REGISTRY=$out/registry-$name.bin GST_PLUGIN_PATH=$dir/plugin gst-inspect-1.0 megaclassify > /dev/null
done

for rep in $(seq "$repeats"); do
  # shellcheck disable=SC2046
  GST_REGISTRY=$out/registry-without.bin "$bench" run --label "without/$rep" -- $(pipeline "") >> "$results"
  for b in "${builds[@]}"; do
    name=${b%%=*} dir=$(cd "${b#*=}" && pwd)
    # shellcheck disable=SC2046
    GST_REGISTRY=$out/registry-$name.bin GST_PLUGIN_PATH=$dir/plugin "$bench" run \
      --label "with:$name/$rep" -- $(pipeline "megaclassify model=$model !") >> "$results"
  done
  "$bench" stream --model "$model" --audio "$out/speech.f32" --minutes "$minutes" --hop-ms 128 \
    --label "engine-stream-128ms/$rep" >> "$results"
  "$bench" offline --model "$model" --audio "$out/speech.f32" --minutes "$minutes" \
    --label "engine-offline/$rep" >> "$results"
done

if [ $profile = 1 ] && command -v perf > /dev/null; then
  for b in "${builds[@]}"; do
    name=${b%%=*} dir=$(cd "${b#*=}" && pwd)
    # shellcheck disable=SC2046
    GST_REGISTRY=$out/registry-$name.bin GST_PLUGIN_PATH=$dir/plugin perf record -q -F 2000 -o "$out/perf-$name.data" \
      $(pipeline "megaclassify model=$model !") 2> /dev/null
    perf report -i "$out/perf-$name.data" --no-children --sort sym --percent-limit 1 2> /dev/null \
      | grep -v '^#' | grep -v '^$' > "$out/profile-$name.txt" || true
  done
fi

/usr/bin/python3 "$root/bench/element_cost.py" "$out" $check
