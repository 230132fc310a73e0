#!/bin/sh
# gst-launch-1.0 -m on a WAV through decodebin: the detections of the test model must show
# up as bus messages, in order ("yes" then "no"), followed by the EOS summary.
# usage: launch_test.sh MODEL WAV_MAKER [RATE CHANNELS]
set -eu
model=$1
maker=$2
rate=${3:-16000}
channels=${4:-1}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
/usr/bin/python3 "$maker" "$dir/test.wav" "$rate" "$channels"
gst-launch-1.0 -m filesrc location="$dir/test.wav" ! decodebin ! \
  megaclassify model="$model" threshold=0.6 smoothing=200000000 suppression=300000000 ! \
  fakesink > "$dir/out.txt" 2>&1 || { cat "$dir/out.txt"; exit 1; }
grep -o 'megaclassify[a-z-]*, label=(string)[^,]*' "$dir/out.txt" > "$dir/labels.txt" || true
cat "$dir/labels.txt"
first_yes=$(grep -n 'megaclassify, label=(string)yes' "$dir/labels.txt" | head -n1 | cut -d: -f1)
first_no=$(grep -n 'megaclassify, label=(string)no' "$dir/labels.txt" | head -n1 | cut -d: -f1)
[ -n "$first_yes" ] || { echo "FAIL: no 'yes' detection"; exit 1; }
[ -n "$first_no" ] || { echo "FAIL: no 'no' detection"; exit 1; }
[ "$first_yes" -lt "$first_no" ] || { echo "FAIL: 'yes' should come before 'no'"; exit 1; }
tail -n1 "$dir/labels.txt" | grep -q '^megaclassify-summary, ' || { echo "FAIL: no summary last"; exit 1; }
if grep -q -i 'nan' "$dir/labels.txt"; then echo "FAIL: NaN in a message"; exit 1; fi
echo PASS
