#!/usr/bin/env bash
# Classify an archive on several machines with GNU parallel over ssh: SHARDS shards of the
# manifest (mega-classify --shard K/SHARDS), handed out to the hosts as they become free.
#
#   cluster/parallel-ssh.sh MANIFEST OUTDIR SHARDS HOST...
#
# Shared filesystem: every host must see MANIFEST, the audio files it lists and OUTDIR at the
# same paths (NFS, CephFS, ...). Results land in OUTDIR, one file per input; run the script
# again to resume or to retry a host that died (finished inputs are skipped), then merge:
#   mega-classify --merge OUTDIR --manifest MANIFEST --format json > all.jsonl
# HOST is anything ssh accepts (user@host, an alias of ~/.ssh/config); prefix N/ to run N
# shards on it at once, e.g. 2/gpu-box. Passwordless ssh (keys, ssh-agent) is assumed.
#
# Environment: MEGA_CLASSIFY  the command on the hosts (default: mega-classify)
#              MEGA_ARGS      more options for it, word-split (e.g. "--clip -j 4 --model /m.st")
#              PARALLEL_SSH   the ssh command (default: ssh), e.g. "ssh -F cluster.conf"
# Exit status: that of GNU parallel: 0, or how many shards had failed inputs (their error
# result files say which) or did not finish. The job log is OUTDIR.joblog.
set -euo pipefail

if [ $# -lt 4 ]; then
  echo "usage: $0 MANIFEST OUTDIR SHARDS HOST..." >&2
  exit 2
fi
manifest=$(realpath "$1") outdir=$(realpath -m "$2") shards=$3
shift 3
if ! [[ $shards =~ ^[1-9][0-9]*$ ]]; then
  echo "$0: SHARDS must be a positive number, not '$shards'" >&2
  exit 2
fi
logins=$(IFS=,; echo "$*")
read -r -a extra <<< "${MEGA_ARGS:-}"

mkdir -p "$outdir"
# -q quotes every argument for the remote shell (paths with spaces survive ssh);
# --halt never: one shard's failed inputs do not stop the others.
seq 0 $((shards - 1)) | parallel --will-cite -q --halt never --ssh "${PARALLEL_SSH:-ssh}" \
  --sshlogin "$logins" --joblog "$outdir.joblog" --tagstring 'shard {}' \
  "${MEGA_CLASSIFY:-mega-classify}" "${extra[@]}" --manifest "$manifest" \
  --shard "{}/$shards" --output-dir "$outdir"
