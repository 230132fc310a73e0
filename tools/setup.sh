#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing, training and the demo need.
# Idempotent: when everything is present it only runs dpkg-query and exits in a second.
set -euo pipefail

PACKAGES=(
  # build
  build-essential meson ninja-build pkg-config clang
  libglib2.0-dev libjson-glib-dev libfftw3-dev libopenblas-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  # run and test
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-x
  python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0
  valgrind libclang-rt-14-dev
  # reference model, training, plots
  python3-torch python3-torchaudio python3-numpy python3-matplotlib
  # speech and noise for the corpus
  espeak-ng flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts
  sox klettres-data
  # the peer (train/peer_pocketsphinx.py) and the real-speech set's aligner (train/make_real_set.py)
  gstreamer1.0-pocketsphinx pocketsphinx pocketsphinx-en-us
  # cluster recipes and their tests (tests/cluster): GNU parallel over ssh, Slurm, Kubernetes YAML
  parallel openssh-client openssh-server slurm-wlm munge python3-yaml
  # Debian packaging (debian/, tests/packaging)
  debhelper dpkg-dev fakeroot lintian
)

# Daemons whose binaries the tests start privately (sshd on 127.0.0.1 only, Slurm in a
# temporary directory); installing them must not start or enable system services.
DAEMON_PACKAGES=(openssh-server munge slurm-wlm)
DAEMON_UNITS=(ssh.service ssh.socket munge.service slurmd.service slurmctld.service)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# gnuspeech voices for the corpus (train/corpus/gnuspeech) run on Node.js with npm. A machine that
# already has both (e.g. a newer Node.js than Debian's, whose npm Debian's package conflicts with)
# keeps them.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
new_daemons=()
for p in "${missing[@]}"; do
  for d in "${DAEMON_PACKAGES[@]}"; do [ "$p" = "$d" ] && new_daemons+=("$p"); done
done
policy=""
if [ ${#new_daemons[@]} -gt 0 ] && [ ! -e /usr/sbin/policy-rc.d ]; then
  # invoke-rc.d and deb-systemd-invoke ask policy-rc.d; 101: do not start anything.
  policy=/usr/sbin/policy-rc.d
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  trap '$SUDO rm -f "$policy"' EXIT
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if [ ${#new_daemons[@]} -gt 0 ] && command -v systemctl >/dev/null 2>&1; then
  $SUDO systemctl disable --now "${DAEMON_UNITS[@]}" >/dev/null 2>&1 || true
fi
