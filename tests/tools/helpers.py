"""Shared by the tools tests: paths from the environment meson sets, test media, and the
reference detections, computed by gst-launch-1.0 -m straight from the element."""
import os
import re
import subprocess
import sys

SOURCE_ROOT = os.environ["MEGA_SOURCE_ROOT"]
BUILD_ROOT = os.environ["MEGA_BUILD_ROOT"]
CLI = os.environ.get("MEGA_CLI", os.path.join(BUILD_ROOT, "tools", "mega-classify"))
MODEL = os.environ["MEGA_TEST_MODEL"]
RECORDING = os.path.join(SOURCE_ROOT, "examples", "data", "commands.wav")
EXPECTED = os.path.join(SOURCE_ROOT, "examples", "data", "commands.expected")

# Element settings under which the random test model detects a varied sequence of labels.
PROPS = {"threshold": "0.2", "smoothing": "200000000", "suppression": "300000000"}
CLI_OPTS = ["--model", MODEL, "--threshold", "0.2", "--smoothing", "200", "--suppression", "300"]

# Stereo 44.1 kHz test files: name -> encoder fragment.
ENCODERS = {
    "wav": "wavenc",
    "flac": "flacenc",
    "ogg": "vorbisenc ! oggmux",
    "mp3": "lamemp3enc",
}


def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def run(cmd, env=None, timeout=60, **kw):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=timeout, **kw)


def make_media(outdir, kinds=ENCODERS):
    """The bundled recording re-encoded as stereo 44.1 kHz in each format."""
    paths = {}
    for kind in kinds:
        path = os.path.join(outdir, f"commands-44k-stereo.{kind}")
        r = run(["gst-launch-1.0", "-q", "filesrc", f"location={RECORDING}", "!", "wavparse", "!",
                 "audioconvert", "!", "audioresample", "!", "audio/x-raw,rate=44100,channels=2", "!",
                 "audioconvert", "!"] + ENCODERS[kind].split() + ["!", "filesink", f"location={path}"])
        check(r.returncode == 0 and os.path.getsize(path) > 1000, f"cannot make {kind}: {r.stderr}")
        paths[kind] = path
    return paths


_DETECTION = re.compile(r"\(element\): megaclassify, label=\(string\)\"?([^,\"]*)\"?, .*?"
                        r"confidence=\(double\)([^,]*),.*start=\(guint64\)(\d+), end=\(guint64\)(\d+)")


def reference_detections(path, props=PROPS, model=MODEL):
    """[(label, start_s, end_s, confidence)] from gst-launch-1.0 -m on the element itself."""
    cmd = ["gst-launch-1.0", "-m", "filesrc", f"location={path}", "!", "decodebin", "!",
           "audioconvert", "!", "megaclassify", f"model={model}"]
    cmd += [f"{k}={v}" for k, v in props.items()]
    cmd += ["!", "fakesink", "sync=false"]
    r = run(cmd)
    check(r.returncode == 0, f"gst-launch failed on {path}: {r.stderr}")
    out = []
    for line in r.stdout.splitlines():
        m = _DETECTION.search(line)
        if m:
            out.append((m.group(1), int(m.group(3)) / 1e9, int(m.group(4)) / 1e9, float(m.group(2))))
    return out


def labels(detections):
    return [d[0] for d in detections]
