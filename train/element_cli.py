"""Runs the real megaclassify element through the `mega-classify` CLI, for evaluation.

The element's default properties are read from the built element itself (`gst-inspect-1.0
megaclassify`, with the build's plugin directory on GST_PLUGIN_PATH), so the evaluation follows
the element when its defaults are retuned (plugin/megaclassify-defaults.h), never a copy of them.
"""
import json
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NS_PER_MS = 1e6

# element property -> (key of element_defaults(), conversion of gst-inspect's printed default:
# times in nanoseconds, doubles to 7 significant digits, ample for a threshold)
DEFAULT_PROPERTIES = {
    "threshold": ("threshold", float),
    "smoothing": ("smoothing_ms", lambda v: int(v) / NS_PER_MS),
    "suppression": ("suppression_ms", lambda v: int(v) / NS_PER_MS),
    "minimum-count": ("minimum_count", int),
    "end-padding": ("end_padding_ms", lambda v: int(v) / NS_PER_MS),
}


def property_defaults(inspect_text):
    """gst-inspect-1.0's "Element Properties:" list -> {property name: its default as printed}.
    Each property is a line `  name : blurb` followed by indented lines, one of them holding
    `Default: value` (a blurb may say "Default" too, so only the indented lines count)."""
    out, name, inside = {}, None, False
    for line in inspect_text.splitlines():
        if line.startswith("Element Properties:"):
            inside = True
            continue
        if not inside:
            continue
        if line and not line.startswith(" "):
            break  # the next section
        m = re.match(r"  ([a-z][a-z0-9-]*)\s*: ", line)
        if m:
            name = m.group(1)
        elif name and name not in out and "Default:" in line:
            value = line.split("Default:", 1)[1].split()
            out[name] = value[0] if value else ""
    return out


def element_defaults():
    """{'threshold': float, 'smoothing_ms': float, 'suppression_ms': float, 'minimum_count': int,
    'end_padding_ms': float}: the default properties of the megaclassify element that
    mega-classify runs (the build next to cli_path() unless GST_PLUGIN_PATH says otherwise)."""
    r = subprocess.run(["gst-inspect-1.0", "megaclassify"], capture_output=True, text=True, env=_env(),
                       timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"gst-inspect-1.0 megaclassify (GST_PLUGIN_PATH={_env().get('GST_PLUGIN_PATH')}): "
                           f"exit {r.returncode}: {r.stderr.strip()[-500:]}; is the element built "
                           "(meson compile -C build)?")
    printed = property_defaults(r.stdout)
    missing = sorted(set(DEFAULT_PROPERTIES) - set(printed))
    if missing:
        raise RuntimeError(f"gst-inspect-1.0 megaclassify lists no default for {missing}")
    return {key: convert(printed[prop]) for prop, (key, convert) in DEFAULT_PROPERTIES.items()}


def frames_for_ms(ms, frame_shift_ms):
    """The element's conversion of a time property to frames (rounded, at least 1)."""
    return max(1, int(round(ms / frame_shift_ms)))


def cli_path():
    return os.environ.get("MEGA_CLI", os.path.join(ROOT, "build", "tools", "mega-classify"))


def _env():
    env = dict(os.environ)
    build = os.path.dirname(os.path.dirname(os.path.abspath(cli_path())))
    env.setdefault("GST_PLUGIN_PATH", os.path.join(build, "plugin"))
    env.pop("MEGA_MODEL_PATH", None)  # the model is always passed explicitly
    return env


def run_cli(files, model, mode, threshold=None, smoothing_ms=None, suppression_ms=None,
            minimum_count=None, top_k=None, jobs=2, timeout=3600, end_padding_ms=None):
    """mode 'clip' or 'events'; returns {file: parsed JSON object} (JSON lines output)."""
    cmd = [cli_path(), "--quiet", "--format", "json", "--model", model, "--jobs", str(jobs),
           "--clip" if mode == "clip" else "--events"]
    for opt, val in (("--threshold", threshold), ("--smoothing", smoothing_ms),
                     ("--suppression", suppression_ms), ("--minimum-count", minimum_count),
                     ("--top-k", top_k), ("--end-padding", end_padding_ms)):
        if val is not None:
            cmd += [opt, f"{val:g}" if isinstance(val, float) else str(val)]
    r = subprocess.run(cmd + list(files), capture_output=True, text=True, env=_env(), timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:12])} ...: exit {r.returncode}: {r.stderr.strip()[-2000:]}")
    out = {}
    for line in r.stdout.splitlines():
        if line.strip():
            obj = json.loads(line)
            out[obj["file"]] = obj
    missing = [f for f in files if f not in out]
    if missing:
        raise RuntimeError(f"mega-classify gave no result for {missing[:3]} ...")
    return out
