#!/usr/bin/env bash
# One arm of the real-voices ablation study (models/REPORT.md): the shipped recipe's phase 2
# continued from a start model for a fixed time with one change, then evaluated on real-dev
# (clips and streams) and on the held-out synthetic speakers (clips), through the element.
#   bash train/study.sh TAG [train.train options that make the arm ...]
# Environment: STUDY_MINUTES (default 10), STUDY_BATCH (default 24: twice the steps of the
# recipe's 48 in the same time), STUDY_INIT (default models/default.safetensors),
# STUDY_OUT (default data/studies); STUDY_INIT=none trains from scratch. Writes $STUDY_OUT/TAG.safetensors, TAG.train.json,
# eval-TAG.json; the log is $STUDY_OUT/TAG.log.
set -euo pipefail
cd "$(dirname "$0")/.."
tag=$1
shift
out=${STUDY_OUT:-data/studies}
mkdir -p "$out"
py=/usr/bin/python3
recipe="--corpus data/corpus --cache data/cache --versions 2 --seed 2 --jobs 2 --threads 2
  --d-model 80 --z-dim 40 --h-dim 160 --ffn-dim 160 --n-dim 16 --n-layers 4
  --window-mode chunk --window 32 --label-from 0.5 --max-gap 50 --p-keyword 0.6 --batch ${STUDY_BATCH:-24}
  --steps 1000000 --augment voices --lr 1e-3 --warmup 20 --eval-every 50"
{
  # shellcheck disable=SC2086
  init=${STUDY_INIT:-models/default.safetensors}
  [ "$init" = none ] && init_opt=() || init_opt=(--init "$init")
  $py -m train.train $recipe "${init_opt[@]}" \
    --minutes "${STUDY_MINUTES:-10}" --out "$out/$tag.safetensors" "$@"
  $py -m train.evaluate --model "$out/$tag.safetensors" --out "$out" --tag "$tag" --clips-only
} > "$out/$tag.log" 2>&1
grep -E "element:|real streams threshold 0.5|  element [0-9]" "$out/$tag.log"
