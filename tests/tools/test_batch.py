#!/usr/bin/python3
"""Tests of mega-classify's batch mode (--manifest, --shard, --output-dir, --merge).
One case per invocation: test_batch.py CASE (meson registers each)."""
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from helpers import CLI, CLI_OPTS, RECORDING, check, fail, run
from archive import make_archive


def result_name(path):
    return hashlib.sha256(path.encode()).hexdigest() + ".json"


def result_files(outdir):
    return sorted(n for n in os.listdir(outdir) if n.endswith(".json"))


def write_manifest(tmp, inputs, name="list.txt"):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write("".join(p + "\n" for p in inputs))
    return path


def batch(args, **kw):
    return run([CLI] + CLI_OPTS + args, timeout=300, **kw)


def check_results(outdir, inputs, failed):
    """Exactly one result file per input, named by its hash, carrying its path and index."""
    names = result_files(outdir)
    want = sorted(result_name(p) for p in inputs)
    check(names == want, f"{len(names)} result files for {len(inputs)} inputs "
          f"(extra {set(names) - set(want)}, missing {len(set(want) - set(names))})")
    errors = []
    for i, p in enumerate(inputs):
        with open(os.path.join(outdir, result_name(p))) as f:
            text = f.read()
        check(text.count("\n") == 1 and text.endswith("\n"), f"{p}: one line per result file")
        obj = json.loads(text)
        check(obj["file"] == p and obj["index"] == i, f"{p}: file {obj['file']} index {obj['index']}")
        if "error" in obj:
            check(set(obj) == {"file", "uri", "index", "error"}, f"error keys {sorted(obj)}")
            errors.append(p)
        else:
            check(set(obj) == {"file", "uri", "index", "duration", "detections"}, f"keys {sorted(obj)}")
    check(errors == failed, f"error results for {errors}, want {failed}")


def case_resume(tmp):
    """SIGKILL midway, rerun: every input has exactly one result, the finished ones are kept,
    and the merge equals one uninterrupted run."""
    inputs, bad = make_archive(tmp, n_short=50, n_long=4)
    manifest = write_manifest(tmp, inputs)
    outdir = os.path.join(tmp, "out")
    cmd = [CLI] + CLI_OPTS + ["--manifest", manifest, "--output-dir", outdir, "-j", "1"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and p.poll() is None:
        if os.path.isdir(outdir) and len(result_files(outdir)) >= 5:
            break
        time.sleep(0.005)
    p.send_signal(signal.SIGKILL)
    p.communicate()
    check(p.returncode == -signal.SIGKILL, f"the batch ended by itself (exit {p.returncode}) before the kill")
    before = {n: os.stat(os.path.join(outdir, n)) for n in result_files(outdir)}
    check(5 <= len(before) < len(inputs), f"{len(before)} of {len(inputs)} results at the kill")
    for n in before:      # what is there is whole: the rename made it appear at once
        with open(os.path.join(outdir, n)) as f:
            json.loads(f.read())

    r = run(cmd, timeout=300)
    check(r.returncode == 1, f"rerun: exit {r.returncode}, want 1 (two inputs fail): {r.stderr}")
    n_failed_before = sum(1 for n in before if "error" in json.load(open(os.path.join(outdir, n))))
    summary = (f"mega-classify: {len(inputs)} inputs: {len(inputs) - len(before) - (len(bad) - n_failed_before)} "
               f"classified now, {len(before) - n_failed_before} done before, {len(bad)} failed")
    check(summary in r.stderr, f"summary {summary!r} not in {r.stderr!r}")
    check_results(outdir, inputs, bad)
    for n, st in before.items():
        now = os.stat(os.path.join(outdir, n))
        check((now.st_ino, now.st_mtime_ns) == (st.st_ino, st.st_mtime_ns), f"{n} was redone")

    merged = run([CLI, "--merge", outdir, "--manifest", manifest, "--format", "json"])
    direct = batch(["--manifest", manifest, "--format", "json", "-j", "2"])
    check(merged.returncode == 1 and direct.returncode == 1, f"exits {merged.returncode} {direct.returncode}")
    check(merged.stdout == direct.stdout, "merge differs from one uninterrupted run")
    check(len(merged.stdout.splitlines()) == len(inputs) - len(bad), "one line per classified input")
    for b in bad:
        check(f"mega-classify: {b}: " in merged.stderr, f"merge does not name {b}: {merged.stderr}")
    detections = sum(len(json.loads(x)["detections"]) for x in merged.stdout.splitlines())
    check(detections >= 4 * 5, f"only {detections} detections: the long files are not classified")
    # Without the manifest: ordered by the files' "index", the same lines.
    by_index = run([CLI, "--merge", outdir, "--format", "json"])
    check(by_index.stdout == merged.stdout, "--merge without --manifest: another order")
    print(f"resume ok: killed at {len(before)}/{len(inputs)} results, rerun completed, "
          f"{detections} detections, merge == one run")


def case_shards(tmp):
    """Two shards, run at the same time without coordination, cover the manifest exactly once;
    with N > inputs, the empty shards succeed."""
    inputs, bad = make_archive(tmp, n_short=21, n_long=2)
    manifest = write_manifest(tmp, inputs)
    dirs = [os.path.join(tmp, f"shard{k}") for k in range(2)]
    procs = [subprocess.Popen([CLI] + CLI_OPTS + ["--manifest", manifest, "--shard", f"{k}/2",
                               "--output-dir", dirs[k], "-j", "1", "-q"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for k in range(2):
        names = set(result_files(dirs[k]))
        mine = [p for i, p in enumerate(inputs) if i % 2 == k]
        check(names == {result_name(p) for p in mine}, f"shard {k}: {len(names)} results, want {len(mine)}")
        want_exit = 1 if any(b in mine for b in bad) else 0
        check(procs[k].returncode == want_exit, f"shard {k}: exit {procs[k].returncode}: {outs[k][1]}")
    both = os.path.join(tmp, "all")
    os.mkdir(both)
    for d in dirs:
        for n in result_files(d):
            check(not os.path.exists(os.path.join(both, n)), f"{n} in both shards")
            shutil.copy(os.path.join(d, n), both)
    check_results(both, inputs, bad)
    merged = run([CLI, "--merge", both, "--manifest", manifest, "--format", "csv"])
    direct = batch(["--manifest", manifest, "--format", "csv"])
    check(merged.stdout == direct.stdout and merged.returncode == 1, "merged shards != one run")

    # Without --output-dir a shard prints its inputs on stdout, as a plain run would.
    r = batch(["--manifest", manifest, "--shard", "1/2", "--format", "json"])
    printed = [json.loads(x)["file"] for x in r.stdout.splitlines()]
    check(printed == [p for p in inputs[1::2] if p not in bad], f"--shard 1/2 on stdout: {printed}")

    many = os.path.join(tmp, "many")
    covered = []
    for k in range(40):
        r = batch(["--manifest", manifest, "--shard", f"{k}/40", "--output-dir", many, "-q"])
        check(r.returncode == (1 if k < len(inputs) and inputs[k] in bad else 0), f"shard {k}/40: {r.returncode}")
        covered.append(len(result_files(many)))
    check(covered[-1] == len(inputs) and covered[len(inputs):] == [len(inputs)] * (40 - len(inputs)),
          f"40 shards: {covered}")
    print(f"shards ok: 2 shards x ~{len(inputs) // 2} inputs, disjoint, union == manifest; 40 shards too")


def case_failures(tmp):
    """Failed inputs get error result files, are counted and not retried, unless --retry-failed."""
    good = os.path.join(tmp, "good.wav")
    shutil.copy(RECORDING, good)
    missing = os.path.join(tmp, "later.wav")
    corrupt = os.path.join(tmp, "corrupt.wav")
    with open(corrupt, "wb") as f:
        f.write(bytes(range(256)) * 40)
    inputs = [missing, good, corrupt]
    manifest = write_manifest(tmp, inputs)
    outdir = os.path.join(tmp, "out")
    args = ["--manifest", manifest, "--output-dir", outdir]
    r = batch(args)
    check(r.returncode == 1, f"exit {r.returncode}")
    check(f"mega-classify: {missing}: No such file or directory" in r.stderr, r.stderr)
    check(f"mega-classify: {corrupt}: cannot decode" in r.stderr, r.stderr)
    check("3 inputs: 1 classified now, 0 done before, 2 failed\n" in r.stderr, r.stderr)
    check_results(outdir, inputs, [missing, corrupt])
    with open(os.path.join(outdir, result_name(missing))) as f:
        err = json.load(f)
    check(err["error"] == "No such file or directory" and err["uri"] is None, err)

    shutil.copy(RECORDING, missing)
    r = batch(args)
    check(r.returncode == 1 and "0 classified now, 1 done before, 2 failed (2 before, not retried" in r.stderr,
          f"rerun: {r.returncode} {r.stderr}")
    check(f"{missing}:" not in r.stderr, "old failures are counted, not retried")
    r = batch(args + ["--retry-failed"])
    check(r.returncode == 1 and "3 inputs: 1 classified now, 1 done before, 1 failed\n" in r.stderr,
          f"--retry-failed: {r.returncode} {r.stderr}")
    check_results(outdir, inputs, [corrupt])
    with open(os.path.join(outdir, result_name(missing))) as f:
        check(len(json.load(f)["detections"]) >= 5, "the retried input is classified")

    # A result file cut short (a power cut) is redone; one for another input too.
    with open(os.path.join(outdir, result_name(good)), "w") as f:
        f.write('{"file": "')
    shutil.copy(os.path.join(outdir, result_name(missing)), os.path.join(outdir, result_name(corrupt)))
    r = batch(args)
    check(r.returncode == 1 and "not valid JSON" in r.stderr and f"holds the result of '{missing}'" in r.stderr
          and "3 inputs: 1 classified now, 1 done before, 1 failed\n" in r.stderr, f"damaged results: {r.stderr}")
    check_results(outdir, inputs, [corrupt])
    # One directory, one mode: --clip does not overwrite --events results, and merge says so.
    names = result_files(outdir)
    r = batch(["--manifest", manifest, "--output-dir", outdir, "--clip", "-q"])
    check(r.returncode == 2 and "holds --events results" in r.stderr, f"--clip over --events: {r.stderr}")
    check(result_files(outdir) == names, "--clip changed the directory")
    clipdir = os.path.join(tmp, "clip")
    r = batch(["--clip", "--output-dir", clipdir, good, "-q"])
    check(r.returncode == 0, r.stderr)
    shutil.copy(os.path.join(clipdir, result_name(good)), outdir)
    r = run([CLI, "--merge", outdir, "--manifest", manifest, "--format", "csv"])
    check(r.returncode == 1 and "--merge" in r.stderr and "has --clip results" in r.stderr, r.stderr)
    print("failures ok")


def case_usage(tmp):
    manifest = write_manifest(tmp, [RECORDING])
    bad = [["--shard", "2/2", RECORDING], ["--shard", "1", RECORDING], ["--shard", "-1/2", RECORDING],
           ["--shard", "0/0", RECORDING], ["--manifest", manifest, RECORDING], ["--retry-failed", RECORDING],
           ["--merge", tmp, RECORDING], ["--merge", tmp, "--shard", "0/2"],
           ["--plot", "x.png", "--output-dir", tmp, RECORDING]]
    for args in bad:
        r = run([CLI] + args)
        check(r.returncode == 2 and "--help" in r.stderr and r.stdout == "", f"{args}: {r.returncode} {r.stderr!r}")
    r = run([CLI, "--manifest", os.path.join(tmp, "nope.txt")])
    check(r.returncode == 2 and "cannot read the manifest" in r.stderr, r.stderr)
    r = run([CLI, "--merge", os.path.join(tmp, "nope")])
    check(r.returncode == 2 and "--merge" in r.stderr, r.stderr)
    # The manifest from stdin, CRLF line ends and empty lines.
    r = run([CLI] + CLI_OPTS + ["--manifest", "-", "--format", "json"], input=f"\r\n{RECORDING}\r\n\n")
    check(r.returncode == 0 and json.loads(r.stdout)["file"] == RECORDING, f"stdin manifest: {r.stderr}")
    r = run([CLI, "--help"])
    for word in ("--manifest", "--shard", "--output-dir", "--retry-failed", "--merge"):
        check(word in r.stdout, f"--help lacks {word}")
    print("usage ok")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        fail(f"usage: test_batch.py {'|'.join(CASES)}")
    with tempfile.TemporaryDirectory(prefix="mega-batch-test-") as tmp:
        CASES[sys.argv[1]](tmp)
