#!/usr/bin/python3
"""Draws class posteriors over time with the detections marked (used by
`mega-classify --plot OUT.png FILE`, which records the posteriors).

  /usr/bin/python3 tools/plot_posteriors.py --posteriors P.csv [--detections D.csv]
      [--title TEXT] --output OUT.png

P.csv: header `time,<label>,<label>,...`, then one row per instant (seconds, scores).
D.csv: header `start,end,label,confidence[,time]`, one row per detection (seconds): the
keyword's span is shaded, the decision time (end of the smoothing window) a dotted line.
Background classes (names starting with `_`) are drawn grey and dashed.
"""
import argparse
import csv

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_posteriors(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    labels = rows[0][1:]
    times = [float(r[0]) for r in rows[1:]]
    scores = {lab: [float(r[i + 1]) for r in rows[1:]] for i, lab in enumerate(labels)}
    return labels, times, scores


def read_detections(path):
    if not path:
        return []
    with open(path, newline="") as f:
        return [(float(r["start"]), float(r["end"]), r["label"], float(r["confidence"]),
                 float(r["time"]) if r.get("time") else None) for r in csv.DictReader(f)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posteriors", required=True)
    ap.add_argument("--detections")
    ap.add_argument("--title", default="")
    ap.add_argument("--output", required=True)
    a = ap.parse_args()

    labels, times, scores = read_posteriors(a.posteriors)
    detections = read_detections(a.detections)
    if not times:
        raise SystemExit("no posteriors to plot")

    fig, ax = plt.subplots(figsize=(12, 4.5), dpi=100)
    # Only classes that ever matter get a legend entry; the rest stay faint.
    colors = plt.get_cmap("tab10")
    shown = 0
    for lab in labels:
        ys = scores[lab]
        if lab.startswith("_"):
            ax.plot(times, ys, color="0.6", linestyle="--", linewidth=1, label=lab)
        elif max(ys) >= 0.2:
            ax.plot(times, ys, color=colors(shown % 10), linewidth=1.5, label=lab)
            shown += 1
        else:
            ax.plot(times, ys, color="0.85", linewidth=0.8)
    for i, (start, end, lab, conf, decided) in enumerate(detections):
        ax.axvspan(start, end, color="tab:green", alpha=0.15)
        if decided is not None:
            ax.axvline(decided, color="tab:green", linestyle=":", linewidth=1)
        # Alternate two rows of captions so neighbours do not overlap.
        ax.text((start + end) / 2, 1.02 + 0.05 * (i % 2), f"{lab} {conf:.2f}", ha="center",
                va="bottom", fontsize=8)
    ax.set_xlim(times[0], times[-1])
    ax.set_ylim(0, 1.15)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("smoothed posterior")
    ax.set_title(a.title, loc="left", fontsize=10, pad=18)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(a.output)


if __name__ == "__main__":
    main()
