#!/usr/bin/env bash
# One command from nothing to a shipped-style model with its report:
#   bash train/make_default_model.sh [OUT_DIR]        (default: data/default-model)
# corpus (train/make_corpus.py) -> test streams (train/make_streams.py) -> training
# (train/train.py, sliding window, the recipe of models/REPORT.md in one phase) -> evaluation
# through the element (train/evaluate.py) -> report (train/make_report.py).
# Deterministic from the seeds below. On 2 CPU cores: corpus ~15 min, training TRAIN_MINUTES
# (default 90), evaluation ~5 min. A GPU is used when present (train.py --device).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-data/default-model}
minutes=${TRAIN_MINUTES:-90}
py=/usr/bin/python3

bash tools/setup.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
meson compile -C build >/dev/null

[ -f data/corpus/speakers.json ] || $py train/make_corpus.py --out data/corpus --seed 1 --jobs 2
[ -d data/streams ] || $py train/make_streams.py --corpus data/corpus --out data/streams --minutes 30 --seed 2
[ -d data/streams_klettres ] || $py train/make_streams.py --corpus data/corpus --out data/streams_klettres \
  --minutes 30 --seed 3 --klettres-only

mkdir -p "$out"
$py train/train.py --corpus data/corpus --cache data/cache --out "$out/model.safetensors" \
  --window-mode sliding --window 32 --max-gap 50 --p-keyword 0.6 --lr 5e-3 \
  --steps 1000000 --minutes "$minutes" --eval-every 100 --threads 2 --jobs 2 --seed 2
$py train/evaluate.py --model "$out/model.safetensors" --out "$out" --tag model
$py train/make_report.py --model "$out/model.safetensors" --eval "$out/eval-model.json" \
  --train-log "$out/model.train.json" --out "$out/REPORT.md"
echo "model: $out/model.safetensors  report: $out/REPORT.md"
