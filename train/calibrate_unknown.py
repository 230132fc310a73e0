#!/usr/bin/python3
"""Fits an offset on the `_unknown_` logit of a model (a calibrated background prior, post-hoc
logit adjustment as in Menon et al., 2021) on the real-TRAIN speakers of a real-recordings set,
and writes the adjusted model file. Real-dev is not read here: evaluate the result with
train/evaluate.py --real.

  /usr/bin/python3 -m train.calibrate_unknown --model models/default.safetensors --real data/real \\
      --out data/calibrated.safetensors

Subtracting b from one logit of every frame is the same as dividing that class's posterior by
e^b and renormalising, so the sweep reuses one forward pass per clip. The chosen offset is the
one with the most real-train keyword clips detected exactly while at most --max-trigger percent
of real-train non-keyword clips trigger a keyword (ties: the smaller offset).
"""
import argparse
import json
import os

import numpy as np
import torch

from .corpus_index import UNKNOWN, CorpusIndex
from .element_cli import element_defaults
from .eval_clips import decide_torch, torch_posteriors
from .eval_real import clip_summary
from .model_io import load_model, save_model


def shift_posteriors(posts, cls, offset):
    """Posteriors after subtracting `offset` from class `cls`'s logit on every frame."""
    out = []
    for p in posts:
        q = p.copy()
        q[:, cls] *= np.exp(-offset)
        out.append(q / q.sum(axis=1, keepdims=True))
    return out


def sweep(posts, truth, labels, d, offsets):
    unk = labels.index(UNKNOWN)
    rows = []
    for b in offsets:
        pred, _ = decide_torch(shift_posteriors(posts, unk, b), labels, d)
        rows.append(dict(offset=b, **clip_summary(labels, truth, pred)))
    return rows


def choose(rows, max_trigger):
    ok = [r for r in rows if r["non_keyword_triggering"] is not None and r["non_keyword_triggering"] <= max_trigger]
    pool = ok or [min(rows, key=lambda r: r["non_keyword_triggering"])]
    return max(pool, key=lambda r: (r["keyword_detected_exactly"], -r["offset"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--real", default="data/real")
    ap.add_argument("--out", required=True)
    ap.add_argument("--offsets", default=",".join(f"{0.5 * i:g}" for i in range(13)))
    ap.add_argument("--max-trigger", type=float, default=3.0, help="percent of non-keyword clips")
    a = ap.parse_args()
    torch.set_num_threads(2)
    model = load_model(a.model)
    labels = list(model.config.labels)
    d = dict(element_defaults(), frame_shift_ms=model.config.frontend.frame_shift_ms)
    index = CorpusIndex(a.real, labels)
    clips = index.clips["train"]
    posts = torch_posteriors(model, [index.path(rel) for rel, _ in clips], d["end_padding_ms"])
    rows = sweep(posts, np.array([lab for _, lab in clips]), labels, d, [float(v) for v in a.offsets.split(",")])
    best = choose(rows, a.max_trigger)
    for r in rows:
        print(json.dumps(r))
    with torch.no_grad():
        model.classifier.bias[labels.index(UNKNOWN)] -= best["offset"]
    save_model(model, a.out, f"{os.path.basename(a.model)} with the _unknown_ logit lowered by {best['offset']:g} "
                             f"(train/calibrate_unknown.py on the real-train speakers of {a.real})")
    with open(os.path.splitext(a.out)[0] + ".calibration.json", "w") as f:
        json.dump({"model": a.model, "real": a.real, "split": "real-train", "clips": len(clips),
                   "max_trigger_percent": a.max_trigger, "chosen": best, "sweep": rows}, f, indent=1)
    print(f"offset {best['offset']:g}: real-train keywords {best['keyword_detected_exactly']}% "
          f"non-keywords triggering {best['non_keyword_triggering']}% -> {a.out}")


if __name__ == "__main__":
    main()
