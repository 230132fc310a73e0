"""Shared by the cluster tests: the tools tests' helpers, the recipes and an archive."""
import hashlib
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))

from helpers import CLI, CLI_OPTS, SOURCE_ROOT, check, fail, run  # noqa: E402,F401
from archive import make_archive  # noqa: E402,F401

CLUSTER = os.path.join(SOURCE_ROOT, "cluster")


def result_name(path):
    return hashlib.sha256(path.encode()).hexdigest() + ".json"


def write_manifest(tmp, inputs):
    path = os.path.join(tmp, "list.txt")
    with open(path, "w") as f:
        f.write("".join(p + "\n" for p in inputs))
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_cover(outdir, inputs, bad, manifest):
    """One result per input, nothing else; the merge equals one plain run over the list."""
    names = sorted(n for n in os.listdir(outdir) if n.endswith(".json"))
    check(names == sorted(result_name(p) for p in inputs), f"{len(names)} results for {len(inputs)} inputs")
    merged = run([CLI, "--merge", outdir, "--manifest", manifest, "--format", "json"])
    direct = run([CLI] + CLI_OPTS + ["--manifest", manifest, "--format", "json"], timeout=300)
    check(merged.stdout == direct.stdout and merged.stdout.count("\n") == len(inputs) - len(bad),
          "merged results != one plain run")
    check(merged.returncode == (1 if bad else 0), f"merge exit {merged.returncode}")
