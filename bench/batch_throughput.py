#!/usr/bin/python3
"""Throughput of mega-classify's batch mode on an archive of short files: N clips of S seconds
(cut from examples/data/commands.wav) through --manifest/--output-dir at -j 1, at -j 2, and as
two shards (--shard 0/2 and 1/2, two processes at once, -j 1 each), with the default model.
Writes bench/BATCH.md and its section of bench/RESULTS.md (bench/report.py keeps it there).

    /usr/bin/python3 bench/batch_throughput.py [--cli build/tools/mega-classify] [--files 1000]
"""
import argparse
import datetime
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))
from archive import make_clips  # noqa: E402  (the batch tests' archive: the same clips)
BEGIN, END = "<!-- batch-throughput (bench/batch_throughput.py) -->", "<!-- /batch-throughput -->"


def timed(cmds, outdir, n):
    """Wall time of the commands run at once; checks that every input has its result."""
    t0 = time.monotonic()
    procs = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for c in cmds]
    errs = [p.communicate()[1] for p in procs]
    wall = time.monotonic() - t0
    for p, e in zip(procs, errs):
        if p.returncode != 0:
            raise SystemExit(f"{' '.join(cmds[0])}: exit {p.returncode}: {e}")
    results = len([f for f in os.listdir(outdir) if f.endswith(".json")])
    if results != n:
        raise SystemExit(f"{results} results for {n} inputs")
    return wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=os.path.join(ROOT, "build", "tools", "mega-classify"))
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "BATCH.md"))
    ap.add_argument("--note", default="", help="a sentence on the conditions, for the report")
    a = ap.parse_args()
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory(prefix="mega-batch-bench-") as tmp:
        clips = make_clips(tmp, a.files, a.seconds)
        manifest = os.path.join(tmp, "list.txt")
        with open(manifest, "w") as f:
            f.write("".join(p + "\n" for p in clips))
        base = [a.cli, "--manifest", manifest, "--quiet"]
        configs = [("-j 1", [base + ["-j", "1"]]), ("-j 2", [base + ["-j", "2"]]),
                   ("2 shards (2 processes, -j 1 each)",
                    [base + ["-j", "1", "--shard", f"{k}/2"] for k in range(2)])]
        for name, cmds in configs:
            outdir = os.path.join(tmp, re.sub(r"\W+", "_", name))
            wall = timed([c + ["--output-dir", outdir] for c in cmds], outdir, a.files)
            audio_h = a.files * a.seconds / 3600
            rows.append((name, wall, a.files / wall, audio_h / wall, audio_h * 3600 / wall))
            print(f"{name}: {wall:.1f} s, {a.files / wall:.1f} files/s, {audio_h / wall:.4f} audio h/s")
    load_after = os.getloadavg()
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    md = [BEGIN, "## 7. Batches of short files (mega-classify --manifest --output-dir)", "",
          f"{a.files} WAV clips of {a.seconds:g} s (16 kHz mono, cut from `examples/data/commands.wav`), "
          "default model, one result file per clip, `bench/batch_throughput.py`; "
          f"{datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, {os.cpu_count()} x {cpu}, load average "
          f"{load_before[0]:.2f} before / {load_after[0]:.2f} after.", "",
          "| run | wall s | files/s | audio hours/s | x real time |", "|---|---|---|---|---|"]
    md += [f"| {n} | {w:.1f} | {f:.1f} | {h:.4f} | {x:.0f} |" for n, w, f, h, x in rows]
    md += ([""] + [a.note] if a.note else []) + ["", "Short files are dominated by the per-file pipeline (decoder, state changes, model "
           "stream set-up) and the result file, not by the network: see section 2 for long audio.", END, ""]
    with open(a.out, "w") as f:
        f.write("\n".join(md))
    results = os.path.join(ROOT, "bench", "RESULTS.md")
    with open(results) as f:
        text = f.read()
    section = "\n".join(md)
    if BEGIN in text:
        text = text[:text.index(BEGIN)] + section + text[text.index(END) + len(END) + 1:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(results, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
