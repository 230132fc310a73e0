"""Real-speech evaluation: the real-dev speakers of a real-recordings set
(train/make_real_set.py) through the element, the measures users live with.

  * clips: every real-dev clip decided by the element's end-of-stream summary rule (and by
    the PyTorch reference): keyword clips detected as exactly their keyword, per keyword and
    per speaker; non-keyword clips that trigger any keyword; a threshold sweep of both; the
    threshold-free transfer measures (eval_clips.transfer_metrics);
  * streams: real-dev words laid out in noise (make_streams.py --real), recall and false
    alarms per hour over a threshold grid, scored as the synthetic streams are.
Every run that reads real-dev appends one line to a looks log, so the report can say how
often real-dev was looked at while choosing models and defaults.
"""
import datetime
import json
import os

import numpy as np

from .corpus_index import UNKNOWN, speaker_of
from .decision import is_background
from .element_cli import run_cli
from .eval_clips import clip_metrics, decide_element, decide_torch, torch_posteriors, transfer_metrics
from .score_streams import load_streams, score


def real_clips(real_dir, labels):
    """[(path, label index, speaker)] for the real-dev clips (testing_list.txt)."""
    index = {name: i for i, name in enumerate(labels)}
    with open(os.path.join(real_dir, "testing_list.txt")) as f:
        rels = f.read().split()
    return [(os.path.join(real_dir, rel), index.get(rel.split("/")[0], index[UNKNOWN]), speaker_of(rel))
            for rel in rels]


def clip_summary(labels, truth, pred):
    """The two real-dev clip measures of the issue, in percent, with their counts."""
    kw = np.array([not is_background(l) for l in labels])
    truth, pred = np.asarray(truth), np.asarray(pred)
    true_kw = kw[truth]
    pred_kw = np.array([p >= 0 and kw[p] for p in pred])
    unk = labels.index(UNKNOWN)
    n_kw, n_unk = int(true_kw.sum()), int((truth == unk).sum())
    return {"keyword_clips": n_kw,
            "keyword_detected_exactly": round(100.0 * float((pred == truth)[true_kw].mean()), 2) if n_kw else None,
            "non_keyword_clips": n_unk,
            "non_keyword_triggering": round(100.0 * float(pred_kw[truth == unk].mean()), 2) if n_unk else None}


def evaluate_real_clips(model, model_path, labels, d, real_dir, thresholds, jobs=2):
    clips = real_clips(real_dir, labels)
    paths = [c[0] for c in clips]
    truth = np.array([c[1] for c in clips])
    speakers = [c[2] for c in clips]
    posts = torch_posteriors(model, paths, d["end_padding_ms"])
    torch_pred, torch_scores = decide_torch(posts, labels, d)
    elem_pred, _ = decide_element(paths, model_path, labels, d, jobs)
    per = clip_metrics(labels, truth, elem_pred, speakers)
    sweep = []
    for th in thresholds:
        p, _ = decide_torch(posts, labels, dict(d, threshold=th))
        sweep.append(dict(threshold=th, **clip_summary(labels, truth, p)))
    kw_labels = [l for l in labels if not is_background(l)]
    return {
        "set": real_dir, "settings": {k: d[k] for k in ("threshold", "smoothing_ms", "minimum_count", "end_padding_ms")},
        "element": clip_summary(labels, truth, elem_pred),
        "torch": clip_summary(labels, truth, torch_pred),
        "decision_agreement_percent": round(100.0 * float((torch_pred == elem_pred).mean()), 2),
        "per_keyword_detected": {l: v for l, v in per["per_class_accuracy"].items() if l in kw_labels},
        "per_speaker": {s: {"keyword_clips": b["keyword_clips"], "keyword_detected": b["keyword_accuracy"],
                            "non_keyword_clips": b["unknown_clips"],
                            "non_keyword_triggering": None if b["unknown_rejection"] is None
                            else round(100.0 - b["unknown_rejection"], 2)}
                        for s, b in per["per_group"].items()},
        "transfer": transfer_metrics(labels, truth, torch_scores, ["real-dev"] * len(truth))["real-dev"],
        "mean_unknown_posterior_on_keyword_clips": round(float(np.mean(
            [p[:, labels.index(UNKNOWN)].mean() for p, t in zip(posts, truth) if not is_background(labels[t])]
            or [np.nan])), 4),
        "torch_threshold_sweep": sweep,
    }


def evaluate_real_streams(model_path, labels, d, streams_dir, thresholds, jobs=2):
    streams = load_streams(streams_dir)
    keywords = [l for l in labels if not is_background(l)]
    files = [p for p, _, _ in streams]
    grid = []
    for th in thresholds:
        res = run_cli(files, model_path, "events", threshold=th, smoothing_ms=d["smoothing_ms"],
                      suppression_ms=d["suppression_ms"], minimum_count=d["minimum_count"], jobs=jobs)
        g = score(streams, res, keywords)
        g.update(threshold=th, smoothing_ms=d["smoothing_ms"], suppression_ms=d["suppression_ms"])
        grid.append(g)
    at_default = next((g for g in grid if g["threshold"] == d["threshold"]), None)
    return {"streams": len(streams), "hours": grid[0]["hours"] if grid else 0, "grid": grid,
            "at_defaults": at_default}


def log_look(path, tag, model_path, what):
    """One line per reading of real-dev (the report counts them)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "a") as f:
        f.write(json.dumps({"utc": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"), "tag": tag,
                            "model": os.path.basename(model_path), "what": what}) + "\n")
