#!/usr/bin/python3
"""Runs every pipelines/ script and both examples on the bundled recording (live sources
swapped for the file through their environment variables) and checks they print the
element's own detections, as gst-launch-1.0 -m reports them.

  test_scripts.py pipelines|examples"""
import os
import re
import sys
import tempfile
import wave

from helpers import (BUILD_ROOT, CLI, EXPECTED, MODEL, PROPS, RECORDING, SOURCE_ROOT, check, fail,
                     labels, reference_detections, run)

PIPELINES = os.path.join(SOURCE_ROOT, "pipelines")
FILE_SOURCE = f"filesrc location={RECORDING} ! decodebin"
ENV = {"MEGA_BUILD_DIR": BUILD_ROOT, "MEGA_MODEL_PATH": MODEL,
       "MEGA_PROPS": " ".join(f"{k}={v}" for k, v in PROPS.items())}


def printed_labels(stdout):
    """Labels of the `label confidence start - end s` lines the scripts print."""
    return [m.group(1) for m in re.finditer(r"^(\S+)\s+[0-9.]+\s+[0-9.]+ -\s+[0-9.]+ s$", stdout, re.M)]


def script(name, args=(), env=None):
    r = run([os.path.join(PIPELINES, name)] + list(args), env={**ENV, **(env or {})}, timeout=120)
    check(r.returncode == 0, f"{name}: exit {r.returncode}: {r.stderr}")
    return r.stdout


def case_pipelines(tmp):
    want = labels(reference_detections(RECORDING))
    check(len(want) >= 5, f"too few reference detections: {want}")
    covered = set()

    def same(name, got):
        check(got == want, f"{name}: printed {got}, gst-launch says {want}")
        covered.add(name)
        print(f"{name}: {len(got)} detections as gst-launch")

    same("live-mic.sh", printed_labels(script("live-mic.sh", env={"MEGA_SOURCE": FILE_SOURCE})))
    same("live-mic-playback.sh", printed_labels(script(
        "live-mic-playback.sh", env={"MEGA_SOURCE": FILE_SOURCE, "MEGA_SINK": "fakesink sync=false"})))
    same("file.sh", printed_labels(script("file.sh", [RECORDING])))
    same("network.sh", printed_labels(script("network.sh", ["file://" + RECORDING], env={"MEGA_SYNC": "false"})))

    rec = os.path.join(tmp, "recorded.wav")
    same("record-and-classify.sh", printed_labels(script(
        "record-and-classify.sh", [rec], env={"MEGA_SOURCE": FILE_SOURCE})))
    with wave.open(rec) as a, wave.open(RECORDING) as b:
        check(abs(a.getnframes() / a.getframerate() - b.getnframes() / b.getframerate()) < 0.01,
              "the tee's recording has the input's length")

    out = script("visual.sh", env={"MEGA_SOURCE": FILE_SOURCE, "MEGA_VIDEO_SINK": "fakesink sync=false"})
    same("visual.sh", re.findall(r"^overlay: (\S+)\s+[0-9.]+$", out, re.M))

    # demo.sh with the element's default properties, as the CLI reports them.
    out = script("demo.sh", env={"MEGA_PROPS": ""})
    cli = run([CLI, "--model", MODEL, "--format", "csv", RECORDING])
    heard = [row.split(",")[3] for row in cli.stdout.splitlines()[1:]]
    check(heard, "the test model detects nothing at the default settings")
    check(f"heard:    {' '.join(heard)}\n" in out, f"demo.sh: {out!r}, CLI heard {heard}")
    expected = open(EXPECTED).read().split()
    check(f"expected: {' '.join(expected)}\n" in out, "demo.sh prints the expected commands")
    covered.add("demo.sh")
    print("demo.sh: heard", heard)

    scripts = {f for f in os.listdir(PIPELINES) if f.endswith(".sh") and os.access(os.path.join(PIPELINES, f), os.X_OK)}
    check(scripts == covered, f"scripts without a test: {sorted(scripts - covered)}")


def case_examples(tmp):
    want = labels(reference_detections(RECORDING, props={}))
    check(len(want) >= 3, f"too few reference detections: {want}")
    c_example = os.environ["MEGA_EXAMPLE_C"]
    py_example = os.path.join(SOURCE_ROOT, "examples", "python", "classify.py")
    for name, cmd in (("C", [c_example]), ("Python", ["/usr/bin/python3", py_example])):
        r = run(cmd + [RECORDING, MODEL])
        check(r.returncode == 0, f"{name} example: exit {r.returncode}: {r.stderr}")
        for how in ("message:", "event:"):
            got = re.findall(rf"^{how} (\S+) [0-9.]+ [0-9.]+-[0-9.]+ s$", r.stdout, re.M)
            check(got == want, f"{name} example, {how} {got} != gst-launch {want}")
        print(f"{name} example: {len(want)} detections as messages and as events")
        r = run(cmd + [os.path.join(tmp, "missing.wav"), MODEL])
        check(r.returncode != 0 and "error:" in r.stderr, f"{name} example on a missing file: {r.stderr}")


CASES = {"pipelines": case_pipelines, "examples": case_examples}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        fail("usage: test_scripts.py pipelines|examples")
    with tempfile.TemporaryDirectory(prefix="mega-scripts-test-") as tmp:
        CASES[sys.argv[1]](tmp)
