#!/usr/bin/python3
"""(Re)generates tests/train/data: a small fixed set of held-out clips for test_shipped_model.py.

  PYTHONPATH=. /usr/bin/python3 tests/train/make_shipped_set.py [--model models/default.safetensors]

Picks, with a fixed seed, from the corpus's test split (held-out speakers only): 2 clips per
keyword (from two different engines, rotating), 2 unknown words per engine, 2 held-out klettres
recordings, and 2 one-second noise windows of the test streams as `_silence_`. Copies them to
tests/train/data/clips/ and writes manifest.json with the expected labels and the accuracy the
PyTorch model reaches on them by the element's summary rule at the element's defaults; the test
holds the element to that number. Run it again whenever the default model or the defaults in
plugin/megaclassify-defaults.h change (the test fails with a hint when they differ).
"""
import argparse
import hashlib
import json
import os
import shutil
import tempfile

import numpy as np
import torch

from train.corpus_index import UNKNOWN
from train.decision import is_background
from train.element_cli import element_defaults
from train.eval_clips import decide_torch, silence_clips, test_clips, torch_posteriors
from train.model_io import load_model

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

ENGINES = ("espeak", "flite", "festival")
TOLERANCE_POINTS = 5.0


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def pick(clips, labels, rng, streams, tmp):
    by = {}
    for path, lab, eng in clips:
        by.setdefault((labels[lab], eng), []).append(path)
    for v in by.values():
        v.sort()
    chosen = []
    keywords = [l for l in labels if not is_background(l)]
    for i, kw in enumerate(keywords):
        for eng in (ENGINES[i % 3], ENGINES[(i + 1) % 3]):
            pool = by.get((kw, eng)) or sorted(p for (l, e), ps in by.items() if l == kw for p in ps)
            chosen.append((pool[int(rng.integers(len(pool)))], kw, eng))
    for eng in ENGINES:
        pool = by.get((UNKNOWN, eng), [])
        for j in rng.choice(len(pool), size=min(2, len(pool)), replace=False):
            chosen.append((pool[int(j)], UNKNOWN, eng))
    pool = by.get((UNKNOWN, "klettres"), [])
    for j in rng.choice(len(pool), size=min(2, len(pool)), replace=False):
        chosen.append((pool[int(j)], UNKNOWN, "klettres"))
    noise = silence_clips(streams, tmp, labels, per_stream=1)
    for j in sorted(rng.choice(len(noise), size=min(2, len(noise)), replace=False)):
        chosen.append((noise[int(j)][0], "_silence_", "noise"))
    return chosen


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "default.safetensors"))
    ap.add_argument("--corpus", default=os.path.join(ROOT, "data", "corpus"))
    ap.add_argument("--streams", default=os.path.join(ROOT, "data", "streams"))
    ap.add_argument("--out", default=os.path.join(HERE, "data"))
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    torch.set_num_threads(1)
    model = load_model(a.model)
    labels = list(model.config.labels)
    rng = np.random.default_rng(a.seed)
    clip_dir = os.path.join(a.out, "clips")
    shutil.rmtree(clip_dir, ignore_errors=True)
    os.makedirs(clip_dir)
    with tempfile.TemporaryDirectory() as tmp:
        chosen = pick(test_clips(a.corpus, labels), labels, rng, a.streams, tmp)
        entries = []
        for src, label, eng in chosen:
            name = f"{label}__{eng}__{os.path.basename(src)}"
            shutil.copyfile(src, os.path.join(clip_dir, name))
            source = os.path.relpath(src, a.corpus) if eng != "noise" else "test stream " + os.path.basename(src)
            entries.append({"file": f"clips/{name}", "label": label, "engine": eng, "source": source})
    d = dict(element_defaults(), frame_shift_ms=model.config.frontend.frame_shift_ms)
    paths = [os.path.join(a.out, e["file"]) for e in entries]
    pred, _ = decide_torch(torch_posteriors(model, paths, d["end_padding_ms"]), labels, d)
    for e, p in zip(entries, pred):
        e["torch_label"] = labels[p]
    acc = 100.0 * float(np.mean([e["torch_label"] == e["label"] for e in entries]))
    manifest = {"generated_by": "tests/train/make_shipped_set.py", "seed": a.seed,
                "model": os.path.relpath(os.path.abspath(a.model), ROOT), "model_sha256": sha256(a.model),
                "labels": labels, "element_defaults": d, "rule": "element end-of-stream summary",
                "torch_accuracy": round(acc, 2), "tolerance_points": TOLERANCE_POINTS, "clips": entries}
    with open(os.path.join(a.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    size = sum(os.path.getsize(p) for p in paths)
    print(f"{len(entries)} clips ({size / 1e6:.2f} MB) in {clip_dir}; PyTorch accuracy {acc:.2f}%")


if __name__ == "__main__":
    main()
