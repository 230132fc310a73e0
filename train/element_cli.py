"""Runs the real megaclassify element through the `mega-classify` CLI, for evaluation.

The element's default properties are read from plugin/megaclassify-defaults.h, so the
evaluation follows the header when the defaults are retuned instead of a copy of its numbers.
"""
import json
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULTS_H = os.path.join(ROOT, "plugin", "megaclassify-defaults.h")
UNITS_MS = {"GST_MSECOND": 1.0, "GST_SECOND": 1000.0, "GST_USECOND": 1e-3}


def element_defaults(path=DEFAULTS_H):
    """{'threshold': float, 'smoothing_ms': float, 'suppression_ms': float, 'minimum_count': int,
    'end_padding_ms': float}"""
    text = open(path).read()

    def value(name):
        m = re.search(rf"#define\s+MEGACLASSIFY_DEFAULT_{name}\s+(.+)", text)
        if not m:
            raise ValueError(f"{path}: no MEGACLASSIFY_DEFAULT_{name}")
        return m.group(1).split("/*")[0].strip()

    def ms(expr):
        m = re.fullmatch(r"\(?\s*([0-9.]+)\s*\*\s*(GST_\w+)\s*\)?", expr)
        if not m or m.group(2) not in UNITS_MS:
            raise ValueError(f"cannot read a time from {expr!r}")
        return float(m.group(1)) * UNITS_MS[m.group(2)]

    return {"threshold": float(value("THRESHOLD")), "smoothing_ms": ms(value("SMOOTHING")),
            "suppression_ms": ms(value("SUPPRESSION")), "minimum_count": int(value("MINIMUM_COUNT")),
            "end_padding_ms": ms(value("END_PADDING"))}


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
