#!/usr/bin/python3
"""Scores the element's detections on labelled test streams (train/make_streams.py).

Matching rule: a detection of keyword w matches a labelled occurrence of w when its decision
time (the CLI's `time`, end of the smoothing window) lies in [start_s, end_s + TOLERANCE_S];
detections are taken in time order and each takes the earliest unmatched occurrence it fits,
so every occurrence is matched at most once. Every unmatched detection is a false alarm
(counted per hour of stream audio); those that fall inside the tolerance window of an
occurrence of another keyword are also counted as substitutions. Latency is decision time
minus end_s of the matched occurrence (negative: decided before the word ended).

  /usr/bin/python3 -m train.score_streams --model M --streams data/streams [--threshold 0.6 ...]
"""
import argparse
import json
import os

import numpy as np

from .decision import is_background
from .element_cli import element_defaults, run_cli
from .eval_clips import read_labels_csv

TOLERANCE_S = 1.0


def load_streams(folder):
    """[(wav path, [(start, end, label)], manifest entry or {})] in name order."""
    manifest = {}
    mpath = os.path.join(folder, "manifest.json")
    if os.path.exists(mpath):
        manifest = {s["name"]: s for s in json.load(open(mpath))["streams"]}
    out = []
    for f in sorted(os.listdir(folder)):
        if f.endswith(".wav"):
            name = f[:-4]
            out.append((os.path.join(folder, f), read_labels_csv(os.path.join(folder, name + ".csv")),
                        manifest.get(name, {})))
    return out


def match(words, detections, tolerance=TOLERANCE_S):
    """words [(start, end, label)], detections [(time, label)] ->
    (matched [(word index, latency)], false alarms [(time, label, substitution?)])."""
    used = [False] * len(words)
    matched, false = [], []
    for t, lab in sorted(detections):
        hit = None
        for i, (s, e, w) in enumerate(words):
            if not used[i] and w == lab and s <= t <= e + tolerance:
                hit = i
                break
        if hit is None:
            sub = any(s <= t <= e + tolerance and not is_background(w) and w != lab for s, e, w in words)
            false.append((t, lab, sub))
        else:
            used[hit] = True
            matched.append((hit, t - words[hit][1]))
    return matched, false


def score(streams, results, keywords, tolerance=TOLERANCE_S):
    """Recall (overall, per keyword, per SNR), false alarms per hour, latency."""
    hits = {k: 0 for k in keywords}
    totals = {k: 0 for k in keywords}
    per_snr, latencies, n_false, n_sub, seconds = {}, [], 0, 0, 0.0
    for path, words, meta in streams:
        r = results[path]
        seconds += r["duration"]
        dets = [(d["time"], d["label"]) for d in r["detections"]]
        matched, false = match(words, dets, tolerance)
        snr = "clean" if meta.get("snr_db") is None else f"{meta['snr_db']} dB"
        s = per_snr.setdefault(snr, {"keywords": 0, "hits": 0, "false_alarms": 0, "seconds": 0.0})
        s["seconds"] += r["duration"]
        s["false_alarms"] += len(false)
        for _, _, w in words:
            if w in totals:
                totals[w] += 1
                s["keywords"] += 1
        for i, lat in matched:
            hits[words[i][2]] += 1
            s["hits"] += 1
            latencies.append(lat)
        n_false += len(false)
        n_sub += sum(1 for f in false if f[2])
    hours = seconds / 3600
    n_kw, n_hit = sum(totals.values()), sum(hits.values())
    lat = np.array(latencies) if latencies else np.array([np.nan])
    return {
        "hours": round(hours, 4), "keywords": n_kw, "hits": n_hit,
        "recall": round(100.0 * n_hit / n_kw, 2) if n_kw else None,
        "miss_rate": round(100.0 * (n_kw - n_hit) / n_kw, 2) if n_kw else None,
        "false_alarms": n_false, "substitutions": n_sub,
        "false_alarms_per_hour": round(n_false / hours, 3) if hours else None,
        "latency_median_ms": None if not latencies else round(1000 * float(np.median(lat)), 1),
        "latency_p95_ms": None if not latencies else round(1000 * float(np.percentile(lat, 95)), 1),
        "recall_per_keyword": {k: round(100.0 * hits[k] / totals[k], 1) for k in keywords if totals[k]},
        "per_snr": {k: {"keywords": v["keywords"],
                        "recall": round(100.0 * v["hits"] / v["keywords"], 2) if v["keywords"] else None,
                        "false_alarms": v["false_alarms"],
                        "false_alarms_per_hour": round(v["false_alarms"] / (v["seconds"] / 3600), 2)}
                    for k, v in sorted(per_snr.items(), key=lambda kv: -float(kv[0].split()[0])
                                       if kv[0] != "clean" else -1e9)},
    }


def run_and_score(streams, model, keywords, threshold, smoothing_ms, suppression_ms, minimum_count, jobs=2):
    files = [p for p, _, _ in streams]
    res = run_cli(files, model, "events", threshold=threshold, smoothing_ms=smoothing_ms,
                  suppression_ms=suppression_ms, minimum_count=minimum_count, jobs=jobs)
    out = score(streams, res, keywords)
    out.update(threshold=threshold, smoothing_ms=smoothing_ms, suppression_ms=suppression_ms,
               minimum_count=minimum_count)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--streams", default="data/streams")
    ap.add_argument("--threshold", type=float)
    ap.add_argument("--smoothing", type=float, help="ms")
    ap.add_argument("--suppression", type=float, help="ms")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    d = element_defaults()
    from .model_io import load_model
    labels = load_model(a.model).config.labels
    r = run_and_score(load_streams(a.streams), a.model, [l for l in labels if not is_background(l)],
                      a.threshold if a.threshold is not None else d["threshold"],
                      a.smoothing if a.smoothing is not None else d["smoothing_ms"],
                      a.suppression if a.suppression is not None else d["suppression_ms"],
                      d["minimum_count"], a.jobs)
    print(json.dumps(r, indent=1))


if __name__ == "__main__":
    main()
