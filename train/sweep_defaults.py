"""Re-picks the element's threshold and smoothing from the curves users live with: for every
(smoothing, threshold) of a grid, the real-dev clips (PyTorch reference, the element's summary
rule, with its end-padding), the real-dev streams and the synthetic test streams (the element's
own detections, score_streams.py). Writes one JSON with every point and the pick.

  /usr/bin/python3 -m train.sweep_defaults --model models/default.safetensors \
      --out models/studies/sweep-defaults.json

The pick: among the points that are no worse than the current defaults on any of the five
measures (real-dev clips detected and triggering, false alarms per hour on both stream sets,
synthetic stream recall), the one with the best real-dev stream recall; the current defaults
when no point is. A default that trades one set's false alarms for another's recall would be a
choice for a user to make with `threshold`, not a better default. Appends one line to the
real-dev looks log.
"""
import argparse
import json
import os

import numpy as np

from .decision import is_background
from .element_cli import element_defaults
from .eval_clips import decide_torch, torch_posteriors
from .eval_real import clip_summary, log_look, real_clips
from .model_io import load_model
from .score_streams import load_streams, run_and_score

MEASURES = (  # (name, +1 when more is better)
    ("real_clips_detected", +1), ("real_clips_triggering", -1), ("real_streams_fa_per_hour", -1),
    ("synthetic_streams_fa_per_hour", -1), ("synthetic_streams_recall", +1))


def clip_points(model, labels, d, real_dir, grid):
    clips = real_clips(real_dir, labels)
    truth = np.array([c[1] for c in clips])
    posts = torch_posteriors(model, [c[0] for c in clips], d["end_padding_ms"])
    out = {}
    for sm, th in grid:
        pred, _ = decide_torch(posts, labels, dict(d, smoothing_ms=sm, threshold=th))
        out[(sm, th)] = clip_summary(labels, truth, pred)
    return out


def stream_points(model_path, labels, d, folder, grid, jobs):
    streams = load_streams(folder)
    keywords = [l for l in labels if not is_background(l)]
    return {(sm, th): run_and_score(streams, model_path, keywords, th, sm, d["suppression_ms"],
                                    d["minimum_count"], jobs=jobs) for sm, th in grid}


def no_worse(p, ref):
    return all((p[m] - ref[m]) * sign >= 0 for m, sign in MEASURES)


def pick(points, current):
    ref = next(p for p in points if (p["smoothing_ms"], p["threshold"]) == current)
    better = [p for p in points if no_worse(p, ref)]
    return max(better, key=lambda p: (p["real_streams_recall"], -p["real_streams_fa_per_hour"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--real", default="data/real")
    ap.add_argument("--real-streams", default="data/real_streams")
    ap.add_argument("--streams", default="data/streams")
    ap.add_argument("--smoothings", default="100,150,200,300", help="ms")
    ap.add_argument("--thresholds", default="0.4,0.5,0.6,0.7,0.8")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", required=True)
    ap.add_argument("--looks-log", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                                        "models", "studies", "real-dev-looks.jsonl"))
    a = ap.parse_args()
    model = load_model(a.model).eval()
    d = dict(element_defaults(), frame_shift_ms=model.config.frontend.frame_shift_ms)
    labels = model.config.labels
    grid = [(float(s), float(t)) for s in a.smoothings.split(",") for t in a.thresholds.split(",")]
    current = (float(d["smoothing_ms"]), float(d["threshold"]))
    if current not in grid:
        raise SystemExit(f"the grid must hold the current defaults {current}")
    clips = clip_points(model, labels, d, a.real, grid)
    real = stream_points(a.model, labels, d, a.real_streams, grid, a.jobs)
    synth = stream_points(a.model, labels, d, a.streams, grid, a.jobs)
    points = [{"smoothing_ms": sm, "threshold": th,
               "real_clips_detected": clips[(sm, th)]["keyword_detected_exactly"],
               "real_clips_triggering": clips[(sm, th)]["non_keyword_triggering"],
               "real_streams_recall": real[(sm, th)]["recall"],
               "real_streams_fa_per_hour": real[(sm, th)]["false_alarms_per_hour"],
               "synthetic_streams_recall": synth[(sm, th)]["recall"],
               "synthetic_streams_fa_per_hour": synth[(sm, th)]["false_alarms_per_hour"]}
              for sm, th in grid]
    chosen = pick(points, current)
    log_look(a.looks_log, "sweep-defaults", a.model, "smoothing x threshold sweep of the element defaults")
    with open(a.out, "w") as f:
        json.dump({"model": a.model, "current": {"smoothing_ms": current[0], "threshold": current[1]},
                   "rule": __doc__.split("The pick: ")[1].split(" Appends")[0].replace("\n", " "),
                   "points": points, "pick": chosen}, f, indent=1)
    print("smoothing threshold | real clips det/trig | real streams recall @FA/h | synthetic streams recall @FA/h")
    for p in points:
        mark = " <- pick" if p is chosen else (" (current)" if (p["smoothing_ms"], p["threshold"]) == current else "")
        print(f"{p['smoothing_ms']:5.0f} {p['threshold']:.2f} | {p['real_clips_detected']:5.1f} / "
              f"{p['real_clips_triggering']:4.1f} | {p['real_streams_recall']:5.1f} @ "
              f"{p['real_streams_fa_per_hour']:5.0f} | {p['synthetic_streams_recall']:5.1f} @ "
              f"{p['synthetic_streams_fa_per_hour']:5.0f}{mark}")


if __name__ == "__main__":
    main()
