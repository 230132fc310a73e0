"""The element's decision rules in Python, for evaluation and for choosing its defaults.

Mirrors one C file, plugin/analyzer.c: its end-of-stream summary (which frames give peaks, and
mega_clip_decision); the window mean it takes them from is plugin/detector.c's, which only
analyzer.c drives. The C code is the product; this copy is checked against it through the real
element by tests/train/test_train_smoke.py, every label's end-of-stream summary score, and by
every evaluate.py run, `decision_agreement_percent`. The detection rule lives only in C
(score_streams.py scores the element's own events):

  smoothed[t] = mean of the posteriors of frames max(0, t-W+1) .. t          (W = smoothing)
  detection at t: c = argmax over non-background labels of smoothed[t];
      smoothed[t][c] >= threshold, at least min(minimum_count, W) frames in the window,
      and (c differs from the last detection, or t - t_last >= suppression).
  clip summary: score[c] = max of smoothed[t][c] over t = 0 and the frames where a detection
      could fire; the clip label is the best
      non-background label whose score reaches the threshold, else the best background label
      other than `_silence_` whose score reaches it, else `_silence_` (or, without one, the
      best-scoring background label).
Background labels are those whose name starts with '_'.
"""
import numpy as np


def is_background(label):
    return label.startswith("_")


def _ready(t, window, minimum_count):
    return min(t + 1, window) >= min(minimum_count, window)


def smooth(post, window):
    """Causal moving average over `window` frames (fewer at the start)."""
    c = np.cumsum(np.vstack([np.zeros((1, post.shape[1])), post]), axis=0)
    t = np.arange(1, len(post) + 1)
    lo = np.maximum(0, t - window)
    return (c[t] - c[lo]) / (t - lo)[:, None]


def clip_decision(post, labels, window, threshold, minimum_count=3):
    """Returns (class index, scores per class) by the summary rule above."""
    sm = smooth(post, window)
    ready = [t for t in range(len(sm)) if t == 0 or _ready(t, window, minimum_count)]
    score = sm[ready].max(axis=0)
    fg = [i for i, l in enumerate(labels) if not is_background(l)]
    bg = [i for i, l in enumerate(labels) if is_background(l) and l != "_silence_"]
    for group in (fg, bg):
        best = max(group, key=lambda i: score[i], default=None)
        if best is not None and score[best] >= threshold:
            return best, score
    if "_silence_" in labels:
        return labels.index("_silence_"), score
    return max((i for i, l in enumerate(labels) if is_background(l)), key=lambda i: score[i]), score
