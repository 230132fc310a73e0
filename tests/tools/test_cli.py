#!/usr/bin/python3
"""Tests of mega-classify. One case per invocation: test_cli.py CASE (meson registers each).

Expected values come from the element itself through another path (gst-launch-1.0 -m), so
the tests hold for any model; test_default_model.py adds the bundled recording's commands
once the default model exists."""
import csv
import io
import json
import os
import pty
import shutil
import struct
import sys
import tempfile
import wave

from helpers import (CLI, CLI_OPTS, MODEL, RECORDING, check, fail, labels, make_media,
                     reference_detections, run)


def model_labels(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    return json.loads(header["__metadata__"]["config"])["labels"]


def parse_table(text):
    lines = text.splitlines()
    check(lines and lines[0].split() == ["FILE", "START", "END", "LABEL", "CONFIDENCE"],
          f"table header: {lines[:1]}")
    rows = []
    for line in lines[1:]:
        f = line.split()
        check(len(f) == 5, f"table row: {line!r}")
        rows.append((f[0], f[3], float(f[1]), float(f[2]), float(f[4])))
    return rows


def parse_csv(text):
    r = list(csv.reader(io.StringIO(text)))
    check(r and r[0] == ["file", "start", "end", "label", "confidence"], f"csv header: {r[:1]}")
    return [(x[0], x[3], float(x[1]), float(x[2]), float(x[4])) for x in r[1:]]


def parse_json(text):
    rows = []
    for line in text.splitlines():
        obj = json.loads(line)
        for d in obj["detections"]:
            rows.append((obj["file"], d["label"], d["start"], d["end"], d["confidence"]))
    return rows


def same_detections(got, want, what):
    """got: [(label, start, end, conf)] rounded by the CLI; want: exact reference."""
    check(labels(got) == labels(want), f"{what}: labels {labels(got)} != reference {labels(want)}")
    for g, w in zip(got, want):
        check(abs(g[1] - w[1]) <= 0.0015 and abs(g[2] - w[2]) <= 0.0015,
              f"{what}: {g[0]} at {g[1]}-{g[2]} s, reference {w[1]:.4f}-{w[2]:.4f} s")
        check(abs(g[3] - w[3]) <= 0.0006, f"{what}: {g[0]} confidence {g[3]} != reference {w[3]}")


def case_formats(tmp):
    """Every input format x every output format == the element's own detections."""
    media = make_media(tmp)
    files = [RECORDING] + [media[k] for k in ("wav", "flac", "ogg", "mp3")]
    refs = {f: reference_detections(f) for f in files}
    for f, ref in refs.items():
        check(len(ref) >= 5, f"the test model detects too little in {f} to compare: {ref}")
    # Lossless FLAC decodes to the same samples as the WAV: the same detections.
    check(refs[media["wav"]] == refs[media["flac"]], "FLAC and WAV differ")
    parsers = {"table": parse_table, "csv": parse_csv, "json": parse_json}
    for fmt, parse in parsers.items():
        r = run([CLI] + CLI_OPTS + ["--format", fmt, "-j", "2"] + files)
        check(r.returncode == 0, f"--format {fmt}: exit {r.returncode}: {r.stderr}")
        rows = parse(r.stdout)
        for f in files:
            got = [row[1:] for row in rows if row[0] == f]
            same_detections(got, refs[f], f"--format {fmt} {os.path.basename(f)}")
        print(f"{fmt}: {len(rows)} detections over {len(files)} files match gst-launch")


def case_json_schema(tmp):
    """JSON lines have exactly the documented keys and types, in both modes."""
    names = model_labels(MODEL)
    media = make_media(tmp, ["ogg"])
    files = [RECORDING, media["ogg"]]
    with wave.open(RECORDING) as w:
        seconds = w.getnframes() / w.getframerate()

    r = run([CLI] + CLI_OPTS + ["--format", "json"] + files)
    check(r.returncode == 0, r.stderr)
    objs = [json.loads(line) for line in r.stdout.splitlines()]
    check([o["file"] for o in objs] == files, "one object per file, in input order")
    for o in objs:
        check(set(o) == {"file", "uri", "duration", "detections"}, f"keys {sorted(o)}")
        check(o["uri"].startswith("file:///") and o["uri"].endswith(os.path.basename(o["file"])), o["uri"])
        check(abs(o["duration"] - seconds) < 0.06, f"duration {o['duration']} != {seconds}")
        check(isinstance(o["detections"], list) and o["detections"], "detections")
        for d in o["detections"]:
            check(set(d) == {"label", "class_index", "confidence", "start", "end", "time"}, f"keys {sorted(d)}")
            check(isinstance(d["class_index"], int) and names[d["class_index"]] == d["label"],
                  f"class_index {d['class_index']} is not {d['label']}")
            check(not d["label"].startswith("_"), "background label detected")
            check(0 < d["confidence"] <= 1, f"confidence {d['confidence']}")
            check(0 <= d["start"] <= d["end"] <= d["time"] <= o["duration"] + 0.01,
                  f"span {d['start']}-{d['end']} decided at {d['time']}")

    r = run([CLI, "--model", MODEL, "--clip", "--top-k", "4", "--format", "json"] + files)
    check(r.returncode == 0, r.stderr)
    for line in r.stdout.splitlines():
        o = json.loads(line)
        check(set(o) == {"file", "uri", "duration", "label", "confidence", "top_k"}, f"keys {sorted(o)}")
        top = o["top_k"]
        check(len(top) == 4 and all(set(t) == {"label", "score"} for t in top), f"top_k {top}")
        scores = [t["score"] for t in top]
        # The clip's class comes first, the rest by descending peak score.
        check(scores[1:] == sorted(scores[1:], reverse=True) and all(0 <= v <= 1 for v in scores),
              f"scores {scores}")
        check(all(t["label"] in names for t in top), "top_k labels are model labels")
        check(o["label"] == top[0]["label"] and abs(o["confidence"] - scores[0]) < 1e-6, "best first")
    # The clip label is the element's summary, seen from gst-launch as well.
    g = run(["gst-launch-1.0", "-m", "filesrc", f"location={RECORDING}", "!", "decodebin", "!",
             "audioconvert", "!", "megaclassify", f"model={MODEL}", "!", "fakesink"])
    summary = [line for line in g.stdout.splitlines() if "megaclassify-summary" in line]
    first = json.loads(r.stdout.splitlines()[0])
    check(len(summary) == 1 and f"label=(string){first['label']}," in summary[0],
          f"clip label {first['label']} vs {summary}")
    print("json schema ok:", len(objs), "event objects,", len(r.stdout.splitlines()), "clip objects")


def case_errors(tmp):
    """Bad inputs: one line each on stderr, exit 1, the good files still classified."""
    good = os.path.join(tmp, "good.wav")
    shutil.copy(RECORDING, good)
    corrupt = os.path.join(tmp, "corrupt.wav")
    with open(corrupt, "wb") as f:
        f.write(bytes(range(256)) * 40)
    empty = os.path.join(tmp, "empty.flac")
    open(empty, "wb").close()
    video = os.path.join(tmp, "video-only.ogg")
    r = run(["gst-launch-1.0", "-q", "videotestsrc", "num-buffers=10", "!", "theoraenc", "!", "oggmux",
             "!", "filesink", f"location={video}"])
    check(r.returncode == 0, r.stderr)
    missing = os.path.join(tmp, "missing.wav")
    inputs = [corrupt, good, missing, empty, video, tmp, good]
    r = run([CLI] + CLI_OPTS + ["--format", "csv"] + inputs)
    check(r.returncode == 1, f"exit {r.returncode}, want 1")
    err = r.stderr.splitlines()
    want = [f"mega-classify: {corrupt}: cannot decode",
            f"mega-classify: {missing}: No such file or directory",
            f"mega-classify: {empty}: file is empty",
            f"mega-classify: {video}: cannot decode: no audio stream",
            f"mega-classify: {tmp}: is a directory"]
    check(len(err) == len(want), f"want {len(want)} error lines, got {err}")
    for line, prefix in zip(err, want):
        check(line.startswith(prefix), f"{line!r} does not start with {prefix!r}")
    alone = run([CLI] + CLI_OPTS + ["--format", "csv", good])
    check(alone.returncode == 0 and alone.stderr == "", alone.stderr)
    body = alone.stdout.split("\n", 1)[1]
    check(r.stdout == alone.stdout + body, "the good files' rows are as when run alone, twice")
    check(len(body.splitlines()) >= 5, "the good file has detections")
    print("errors ok:\n" + r.stderr)


def case_jobs(tmp):
    """-j 1, -j 2 and -j 5 print the same bytes."""
    media = make_media(tmp)
    files = [RECORDING] + list(media.values()) + [RECORDING]
    for mode in (["--events"], ["--clip"]):
        for fmt in ("table", "json", "csv"):
            outs = []
            for j in ("1", "2", "5"):
                r = run([CLI] + CLI_OPTS + mode + ["--format", fmt, "-j", j] + files)
                check(r.returncode == 0, r.stderr)
                outs.append(r.stdout)
            check(outs[0] == outs[1] == outs[2], f"{mode} {fmt}: -j changes the output")
            check(len(outs[0].splitlines()) >= len(files), f"{mode} {fmt}: too little output")
    print("jobs ok")


def case_usage(tmp):
    bad = [[], ["--format", "xml", RECORDING], ["--threshold", "1.5", RECORDING], ["--jobs", "0", RECORDING],
           ["--events", "--clip", RECORDING], ["--plot", "x.png", RECORDING, RECORDING], ["--bogus", RECORDING],
           ["--smoothing", "-3", RECORDING], ["--top-k", "0", RECORDING], ["--model"]]
    for args in bad:
        r = run([CLI] + args)
        check(r.returncode == 2, f"{args}: exit {r.returncode}, want 2")
        check(r.stdout == "" and "mega-classify:" in r.stderr and "--help" in r.stderr, f"{args}: {r.stderr!r}")
    r = run([CLI, "--model", os.path.join(tmp, "no-model.safetensors"), RECORDING])
    check(r.returncode == 2 and "cannot load the model" in r.stderr, f"bad model: {r.returncode} {r.stderr!r}")
    r = run([CLI, "--help"])
    check(r.returncode == 0, "--help exit")
    for word in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "OUTPUT", "EXIT STATUS", "EXAMPLES",
                 "--events", "--clip", "--format", "--model", "--threshold", "--smoothing", "--suppression",
                 "--top-k", "--jobs", "--plot", "--quiet"):
        check(word in r.stdout, f"--help lacks {word}")
    print("usage ok")


def case_progress(tmp):
    """A progress bar on a terminal's stderr, none on a pipe; stdout untouched by it."""
    media = make_media(tmp)
    files = list(media.values()) * 3
    cmd = [CLI] + CLI_OPTS + ["--format", "csv", "-j", "1"] + files
    plain = run(cmd)
    check(plain.returncode == 0 and plain.stderr == "", f"no tty: stderr {plain.stderr!r}")
    master, slave = pty.openpty()
    out = tempfile.TemporaryFile(mode="w+")
    import subprocess
    p = subprocess.Popen(cmd, stdout=out, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    check(p.wait() == 0, "exit on a tty")
    out.seek(0)
    check(out.read() == plain.stdout, "stdout differs when stderr is a terminal")
    text = seen.decode()
    check("files" in text and "s audio" in text and "x real time" in text, f"no progress bar: {text!r}")
    check(f"/{len(files)} files" in text, "progress counts the files")
    r = run(cmd + ["--quiet"])
    check(r.stderr == "", "--quiet")
    print("progress ok:", text.strip().split("\r")[-2][:100] if "\r" in text else text)


def case_plot(tmp):
    png = os.path.join(tmp, "posteriors.png")
    r = run([CLI] + CLI_OPTS + ["--plot", png, RECORDING])
    check(r.returncode == 0, f"exit {r.returncode}: {r.stderr}")
    with open(png, "rb") as f:
        data = f.read()
    check(data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20000, f"not a real PNG ({len(data)} bytes)")
    plain = run([CLI] + CLI_OPTS + [RECORDING])
    check(plain.stdout == r.stdout, "--plot changes the printed results")
    print("plot ok:", len(data), "bytes")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        fail(f"usage: test_cli.py {'|'.join(CASES)}")
    with tempfile.TemporaryDirectory(prefix="mega-cli-test-") as tmp:
        CASES[sys.argv[1]](tmp)
