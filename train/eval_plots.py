"""PNG plots of the evaluation and the report (matplotlib, Agg backend: no display needed)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402
import numpy as np  # noqa: E402


def confusion_png(path, labels, matrix, title):
    """matrix [K, K+1] counts (rows: truth, last column: no decision); drawn row-normalised."""
    rows = matrix.sum(1, keepdims=True)
    keep = rows[:, 0] > 0
    norm = np.where(rows > 0, matrix / np.maximum(rows, 1), 0.0)[keep]
    cols = list(labels) + (["(none)"] if matrix[:, -1].any() else [])
    norm = norm[:, :len(cols)]
    fig, ax = plt.subplots(figsize=(11, 9.5))
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(cols)), cols, rotation=90)
    ax.set_yticks(range(int(keep.sum())), [f"{l} ({int(n)})" for l, n, k in zip(labels, rows[:, 0], keep) if k])
    for (i, j), v in np.ndenumerate(norm):
        if v >= 0.005:
            ax.text(j, i, f"{100 * v:.0f}", ha="center", va="center", fontsize=6.5,
                    color="white" if v > 0.5 else "black")
    ax.set_xlabel("decided by the element (clip summary)")
    ax.set_ylabel("true label (clips)")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, fraction=0.04, label="fraction of the row")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def det_png(path, grid, chosen, title):
    """Miss rate against false alarms per hour, one curve per smoothing window over thresholds;
    right panel: false alarms per hour on the klettres-only streams against threshold."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 5.5))
    for sm in sorted({g["smoothing_ms"] for g in grid}):
        pts = sorted((g for g in grid if g["smoothing_ms"] == sm and g["suppression_ms"] == chosen["suppression_ms"]),
                     key=lambda g: g["threshold"])
        if not pts:
            continue
        fa = [g["false_alarms_per_hour"] for g in pts]
        line, = ax.plot(fa, [g["miss_rate"] for g in pts], "o-", label=f"smoothing {sm:g} ms")
        for g, x in zip(pts, fa):
            ax.annotate(f"{g['threshold']:g}", (x, g["miss_rate"]), fontsize=7, xytext=(3, 3),
                        textcoords="offset points", color=line.get_color())
        if any("klettres_false_alarms_per_hour" in g for g in pts):
            bx.plot([g["threshold"] for g in pts], [g.get("klettres_false_alarms_per_hour", np.nan) for g in pts],
                    "o-", color=line.get_color(), label=f"smoothing {sm:g} ms")
    ax.plot([chosen["false_alarms_per_hour"]], [chosen["miss_rate"]], "r*", ms=16, label="chosen default")
    ax.axvline(1.0, color="grey", ls=":", lw=1)
    ax.axhline(5.0, color="grey", ls=":", lw=1)
    ax.set_xscale("symlog", linthresh=1.0)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xlim(left=-0.1)
    ax.set_ylim(-2, 102)
    ax.set_xlabel("false alarms per hour (test streams; symlog axis)")
    ax.set_ylabel("miss rate (%)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    bx.axhline(1.0, color="grey", ls=":", lw=1)
    bx.set_yscale("symlog", linthresh=1.0)
    bx.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    bx.set_ylim(bottom=-0.1)
    bx.set_xlabel("threshold")
    bx.set_ylabel("false alarms per hour (klettres-only streams)")
    bx.set_title("real human letters/syllables, no keywords")
    bx.grid(alpha=0.3)
    bx.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def training_curve_png(path, curve, title):
    """Loss and validation accuracies against training minutes."""
    fig, ax = plt.subplots(figsize=(9, 4.8))
    minutes = [c["minutes"] for c in curve]
    ax.plot(minutes, [c["loss"] for c in curve], color="tab:red", label="training loss")
    ax.set_xlabel("training time (minutes)")
    ax.set_ylabel("loss (cross-entropy per frame)", color="tab:red")
    bx = ax.twinx()
    bx.plot(minutes, [100 * c["val_clip_accuracy"] for c in curve], color="tab:blue", label="validation clip accuracy")
    bx.plot(minutes, [100 * c["val_frame_accuracy"] for c in curve], color="tab:green", label="validation frame accuracy")
    bx.set_ylabel("validation accuracy (%)")
    lines = ax.get_lines() + bx.get_lines()
    ax.legend(lines, [l.get_label() for l in lines], loc="center right", fontsize=8)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
