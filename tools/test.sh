#!/usr/bin/env bash
# The project's test command: install what is needed, build, run every test
# (C, Python, GStreamer), then the C suites again under ASan+UBSan with gcc and with clang,
# and the element tests under valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/setup.sh

if [ -d build ]; then meson setup --reconfigure build >/dev/null; else meson setup build >/dev/null; fi
meson compile -C build
meson test -C build --print-errorlogs --num-processes 2

opts="-Db_sanitize=address,undefined -Db_lundef=false"
if [ -d build-asan ]; then meson setup --reconfigure build-asan $opts >/dev/null; else meson setup build-asan $opts >/dev/null; fi
meson compile -C build-asan
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-asan --print-errorlogs --num-processes 2 --suite sanitize

# The engine under clang as well, with ASan+UBSan: clang contracts a * b + c into FMA by
# default and checks the vector calling convention that the x86-64-v3 clones depend on. The
# sanitize suite: golden (offline and streaming, every split), model-file and detector tests.
copts="-Db_sanitize=address,undefined -Db_lundef=false"
if [ -d build-clang ]; then meson setup --reconfigure build-clang $copts >/dev/null
else CC=clang meson setup build-clang $copts >/dev/null; fi
meson compile -C build-clang
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-clang --print-errorlogs --num-processes 2 --suite sanitize

# Fuzzing: each libFuzzer target (tests/fuzz, built by clang) for a minute from the committed
# seed corpus; what it discovers goes to a scratch directory, so the tree stays as it is.
# Long runs: README, "Fuzzing".
if [ -x build-clang/tests/fuzz/fuzz-stream ]; then
  scratch=$(mktemp -d)
  for t in model-load safetensors stream; do
    mkdir -p "$scratch/$t"
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      "build-clang/tests/fuzz/fuzz-$t" -max_total_time=60 -print_final_stats=1 \
      -artifact_prefix="$scratch/" "$scratch/$t" "tests/fuzz/corpus/$t"
  done
  rm -rf "$scratch"
fi

meson test -C build --print-errorlogs --num-processes 2 --setup valgrind --suite valgrind
echo "all tests passed"
