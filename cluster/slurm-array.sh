#!/usr/bin/env bash
# Slurm job array: task K of N classifies shard K/N of the manifest into a shared OUTDIR.
#
#   sbatch --array=0-$((N-1)) --export=ALL,MANIFEST=/data/list.txt,OUTDIR=/data/results \
#          cluster/slurm-array.sh
#
# N is the array's size (SLURM_ARRAY_TASK_COUNT); set MEGA_SHARDS when the array is not
# 0..N-1 in one piece (e.g. resubmitting only --array=3,7 of 0-7: MEGA_SHARDS=8).
# Every node must see MANIFEST, the audio and OUTDIR (shared filesystem). Resubmitting the
# array resumes: inputs with a result are skipped. Afterwards:
#   mega-classify --merge "$OUTDIR" --manifest "$MANIFEST" --format json > all.jsonl
# MEGA_CLASSIFY: the command (default mega-classify); MEGA_ARGS: more options (word-split).
#SBATCH --job-name=mega-classify
#SBATCH --cpus-per-task=2
#SBATCH --output=mega-classify-%A_%a.log
set -euo pipefail
: "${MANIFEST:?set MANIFEST to the list of inputs}"
: "${OUTDIR:?set OUTDIR to the shared result directory}"
: "${SLURM_ARRAY_TASK_ID:?submit with sbatch --array=0-(N-1)}"
shards=${MEGA_SHARDS:-${SLURM_ARRAY_TASK_COUNT:?set MEGA_SHARDS}}
read -r -a extra <<< "${MEGA_ARGS:-}"
exec "${MEGA_CLASSIFY:-mega-classify}" "${extra[@]}" --manifest "$MANIFEST" \
  --shard "$SLURM_ARRAY_TASK_ID/$shards" --output-dir "$OUTDIR" \
  --jobs "${SLURM_CPUS_PER_TASK:-1}"
