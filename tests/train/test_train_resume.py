#!/usr/bin/python3
"""A training run stopped for its session and resumed (train.py --session-steps, --resume;
train/resume.py) ends where the same run never stopped ends: the same training curve, the same
selected step and the same weights, bit for bit (training sequences built in-process, one
thread). A resume with other options is refused, naming them."""
import json
import os
import subprocess
import sys
import tempfile

import torch

from train import model_io
from train.resume import STOPPED

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = "/usr/bin/python3"


def check(cond, msg):
    if not cond:
        print("FAIL:", msg, file=sys.stderr)
        sys.exit(1)


def train(corpus, labels, tmp, out, *extra):
    cmd = [PY, "-m", "train.train", "--corpus", corpus, "--labels", ",".join(labels),
           "--steps", "7", "--eval-every", "2", "--batch", "2", "--seq-frames", "120", "--versions", "1",
           "--d-model", "16", "--z-dim", "8", "--h-dim", "24", "--ffn-dim", "16", "--n-dim", "4",
           "--n-layers", "2", "--window", "8", "--threads", "1", "--jobs", "2", "--carry-steps", "2",
           "--select", "last",  # the weights compared are the last step's, trained after the resumes
           "--cache", os.path.join(tmp, "cache"), "--out", os.path.join(tmp, out), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT)


def curve(log):
    """The training curve without its wall-clock minutes."""
    return [{k: v for k, v in e.items() if k != "minutes"} for e in log["curve"]]


def main(tmp):
    corpus = os.path.join(tmp, "corpus")
    r = subprocess.run([PY, "-m", "train.make_corpus", "--tiny", "--out", corpus, "--jobs", "2", "--seed", "3"],
                       capture_output=True, text=True, timeout=120, cwd=ROOT)
    check(r.returncode == 0, f"make_corpus: {r.stderr[-2000:]}")
    labels = ["_silence_", "_unknown_"] + json.load(open(os.path.join(corpus, "speakers.json")))["keywords"]
    path = lambda name: os.path.join(tmp, name)

    whole = train(corpus, labels, tmp, "whole.safetensors", "--resume")  # nothing to resume: a fresh run
    check(whole.returncode == 0, f"uninterrupted run: {whole.stderr[-2000:]}")
    check(not os.path.exists(path("whole.resume.pt")), "a finished run leaves no resume state")

    # Stopped after 3 steps: between two validation points and inside a carried stream state.
    first = train(corpus, labels, tmp, "split.safetensors", "--session-steps", "3")
    check(first.returncode == STOPPED, f"a stopped run exits {STOPPED}, not {first.returncode}: {first.stderr[-1500:]}")
    check(os.path.exists(path("split.resume.pt")), "the stopped run wrote no resume state")
    check(not os.path.exists(path("split.train.json")), "a stopped run writes no final training log")
    check(os.path.exists(path("split.safetensors")), "the checkpoint of step 2 is on disk")

    refused = train(corpus, labels, tmp, "split.safetensors", "--resume", "--lr", "1e-3")
    check(refused.returncode not in (0, STOPPED) and "--lr" in refused.stderr,
          f"a resume with another --lr must be refused naming it: {refused.returncode} {refused.stderr[-800:]}")

    # The second session is also given 3 steps: it runs steps 4-6, the third session the last one.
    second = train(corpus, labels, tmp, "split.safetensors", "--resume", "--session-steps", "3")
    check(second.returncode == STOPPED and "resumed" in second.stdout, f"second session: {second.stdout[-800:]}")
    third = train(corpus, labels, tmp, "split.safetensors", "--resume", "--session-steps", "3")
    check(third.returncode == 0, f"third session: {third.stderr[-2000:]}")
    check(not os.path.exists(path("split.resume.pt")), "the finished run removed its resume state")

    a, b = json.load(open(path("whole.train.json"))), json.load(open(path("split.train.json")))
    check([e["step"] for e in b["curve"]] == [2, 4, 6, 7], f"resumed curve steps: {[e['step'] for e in b['curve']]}")
    check(curve(a) == curve(b), f"training curves differ:\n{curve(a)}\n{curve(b)}")
    check(a["selected_step"] == b["selected_step"] == 7, f"selected step {a['selected_step']}, {b['selected_step']}")
    check(b["resumed_at"] == [3, 6] and "resumed_at" not in a, f"resumed_at: {b.get('resumed_at')}, {a.get('resumed_at')}")
    wa = model_io.load_model(path("whole.safetensors")).state_dict()
    wb = model_io.load_model(path("split.safetensors")).state_dict()
    diff = max(float((wa[k] - wb[k]).abs().max()) for k in wa)
    check(diff == 0.0, f"the resumed run's weights differ from the uninterrupted run's by {diff}")
    print(f"ok: curve {[(e['step'], round(e['loss'], 4)) for e in b['curve']]}, selected step {b['selected_step']}, "
          "weights identical")


if __name__ == "__main__":
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="mega-train-resume-") as tmp:
        main(tmp)
