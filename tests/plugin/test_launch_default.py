#!/usr/bin/python3
"""gst-launch-1.0 -m filesrc ! decodebin ! megaclassify ! fakesink on the bundled recording
with the element's default model (no model= property, no MEGA_MODEL_PATH): the bus messages
must carry detections of commands that were said, in the order they were said, at least
MIN_FOUND of them, and the end-of-stream summary last."""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RECORDING = os.path.join(ROOT, "examples", "data", "commands.wav")
MIN_FOUND = int(sys.argv[1]) if len(sys.argv) > 1 else 3


def main():
    env = dict(os.environ)
    env.pop("MEGA_MODEL_PATH", None)
    out = subprocess.run(["gst-launch-1.0", "-m", "filesrc", f"location={RECORDING}", "!", "decodebin",
                          "!", "megaclassify", "!", "fakesink"], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    names = re.findall(r"\b(megaclassify(?:-summary|-posteriors)?), label=\(string\)(\S+?)[,;]", out.stdout)
    assert names and names[-1][0] == "megaclassify-summary", f"no summary last: {names}"
    got = [label for kind, label in names if kind == "megaclassify"]
    said = open(os.path.join(ROOT, "examples", "data", "commands.expected")).read().split()
    rest = iter(said)
    assert all(any(g == s for s in rest) for g in got), f"{got} is not an in-order part of {said}"
    assert len(got) >= MIN_FOUND, f"only {got} of {said}"
    assert "nan" not in out.stdout.lower(), "NaN in a message"
    print("gst-launch detections:", got, "of", said)


if __name__ == "__main__":
    main()
