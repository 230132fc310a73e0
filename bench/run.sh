#!/bin/bash
# Runs every benchmark case of issue 7 (the C engine and the PyTorch reference side by side,
# in one run) and writes bench/RESULTS.md.
#
#   meson setup build-bench --buildtype=release && ninja -C build-bench
#   bench/run.sh --build build-bench                 # full run, about 15 minutes
#   bench/run.sh --build build-bench --smoke --out /tmp/smoke   # seconds; what `meson test --suite bench` runs
#
# Options:
#   --build DIR    meson build directory (default build-bench)
#   --model PATH   model file (default models/default.safetensors, else the golden
#                  tests/golden/real_chunk.safetensors of the same size)
#   --out DIR      where the signals, raw results and RESULTS.md go (default: a temporary
#                  directory, and RESULTS.md into bench/)
#   --smoke        tiny sizes, and bench/report.py --check asserts the results are sane
#   --long MIN     longest signal (default 60; the lengths are 1, 10 and MIN minutes, or 1,
#                  MIN/2 and MIN when MIN < 20), for a quicker look
#
# Needs /usr/bin/python3 with torch (the reference), gst-launch-1.0, and 2 GB free under --out
# (60 minutes of audio as float32 and as WAV). The speech signal loops the recordings of
# data/streams when they exist, else synthetic bursts (see bench/bench_util.c).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=$root/build-bench
model=""
out=""
smoke=0
long=60
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$(cd "$2" && pwd); shift 2 ;;
    --model) model=$(realpath "$2"); shift 2 ;;
    --out) out=$(realpath -m "$2"); shift 2 ;;
    --smoke) smoke=1; shift ;;
    --long) long=$2; shift 2 ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
if [ -z "$model" ]; then
  model=$root/models/default.safetensors
  [ -f "$model" ] || model=$root/tests/golden/real_chunk.safetensors
fi
cd "$root"  # relative paths in the results (data/streams) read as the checkout's
if [ -z "$out" ]; then
  out=$(mktemp -d /tmp/mega-bench.XXXXXX)
  report=$here/RESULTS.md
  trap 'rm -rf "$out"' EXIT
else
  mkdir -p "$out"
  report=$out/RESULTS.md
fi
bench=$build/bench/mega-bench
ref="/usr/bin/python3 $here/reference_bench.py"
results=$out/results.jsonl
: > "$results"
cores=$(nproc)
export GST_PLUGIN_PATH=$build/plugin
unset GST_PLUGIN_SYSTEM_PATH_1_0 || true

if [ $smoke = 1 ]; then
  long=0.1; mid=0.05; short=0.02; quiet_min=0.05; ref_stream_s=2; streams_min=0.02; dump=150
  lengths="$short $mid $long"
else
  short=1; ref_stream_s=30; streams_min=0.5; dump=3000
  mid=$(/usr/bin/python3 -c "print('%g' % (10 if $long >= 20 else $long / 2))")
  quiet_min=$(/usr/bin/python3 -c "print('%g' % min(10, $long))")
  lengths="$short $mid $long"
fi

say() { echo "[run.sh $(date -u +%H:%M:%S)] $*" >&2; }
c() { "$bench" "$@" >> "$results"; }
r() { $ref "$@" >> "$results"; }
# each case gets one core unless it says otherwise
export OPENBLAS_NUM_THREADS=1

say "machine and build"
{
  printf '{"case": "machine", "cpu": "%s", "cores": %s, "kernel": "%s", "compiler": "%s"' \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')" "$cores" \
    "$(uname -r)" "$(cc --version | head -1)"
  printf ', "buildtype": "%s", "c_args": "%s"' \
    "$(meson introspect --buildoptions "$build" | /usr/bin/python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="buildtype"))')" \
    "$(sed -n 's/.*-O\([0-3s]\).*/-O\1/p' "$build/compile_commands.json" | head -1)"
  printf ', "openblas_coretype": "%s", "torch": "%s", "model": "%s"' \
    "${OPENBLAS_CORETYPE:-}" "$(/usr/bin/python3 -c 'import torch; print(torch.__version__)')" \
    "${model#$root/}"
  printf ', "load_before": "%s", "smoke": %s, "date": "%s"}\n' \
    "$(cut -d' ' -f1-3 /proc/loadavg)" "$smoke" "$(date -u '+%Y-%m-%d %H:%M UTC')"
} >> "$results"

say "signals"
c gen --kind speech --minutes "$long" --speech-dir data/streams \
  --raw "$out/speech.f32" --wav "$out/speech.wav"
c gen --kind silence --minutes "$quiet_min" --raw "$out/silence.f32"
c gen --kind quiet --minutes "$quiet_min" --raw "$out/quiet.f32"

say "sgemm peak, and the cost of reading the weights once"
c sgemm
c gemv --model "$model"

say "case 1: streaming"
for hop in 10 100; do
  c stream --model "$model" --audio "$out/speech.f32" --minutes "$short" --hop-ms $hop --label case1 \
    --dump "$out/c_stream_$hop.f32" --dump-frames $dump
  r stream --model "$model" --audio "$out/speech.f32" --seconds $ref_stream_s --hop-ms $hop \
    --dump "$out/ref_stream_$hop.f32" --dump-frames $dump
done

say "cases 2 and 3: offline, and time and memory against length (one process each)"
for m in $lengths; do
  c offline --model "$model" --audio "$out/speech.f32" --minutes "$m" --label one-thread \
    --repeats $([ "$m" = "$long" ] && echo 1 || echo 3) \
    --dump "$out/c_offline_$m.f32" --dump-frames $dump
  OPENBLAS_NUM_THREADS=$cores c offline --model "$model" --audio "$out/speech.f32" \
    --minutes "$m" --label all-cores
  r offline --model "$model" --audio "$out/speech.f32" --minutes "$m" \
    --dump "$out/ref_offline_$m.f32" --dump-frames $dump
  c stream --model "$model" --audio "$out/speech.f32" --minutes "$m" --hop-ms 10 --label scaling
done

say "case 4: whole pipeline"
for with in 0 1; do
  el=""; label=without
  [ $with = 1 ] && { el="megaclassify model=$model !"; label=with; }
  c run --label "$label" --minutes "$long" -- gst-launch-1.0 -q filesrc location="$out/speech.wav" \
    ! decodebin ! audioconvert ! $el fakesink
  # the same as a live source delivers it: 10 ms buffers (audiobuffersplit is in plugins-bad)
  gst-inspect-1.0 audiobuffersplit > /dev/null 2>&1 || continue
  c run --label "$label-10ms" --minutes "$long" -- gst-launch-1.0 -q filesrc location="$out/speech.wav" \
    ! decodebin ! audioconvert ! audiobuffersplit output-buffer-duration=1/100 ! $el fakesink
done

say "case 5: silence, quiet noise and speech"
for kind in speech silence quiet; do
  c offline --model "$model" --audio "$out/$kind.f32" --minutes "$quiet_min" --label "$kind" \
    --no-ftz --repeats 3
  c stream --model "$model" --audio "$out/$kind.f32" --minutes "$quiet_min" --hop-ms 10 --label "$kind"
done

say "case 6: many streams"
for n in 1 8 64; do
  c streams --model "$model" --audio "$out/speech.f32" --minutes "$streams_min" --n-streams $n
done

printf '{"case": "machine_after", "load_after": "%s"}\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >> "$results"

say "report"
check=()
[ $smoke = 1 ] && check=(--check)
/usr/bin/python3 "$here/report.py" --results "$results" --dir "$out" --out "$report" \
  --command "bench/run.sh $([ $smoke = 1 ] && echo --smoke)" "${check[@]}"
say "wrote $report"
