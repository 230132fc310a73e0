"""Training objectives over per-frame targets (sequences.py).

frame:   cross-entropy on every scored frame (IGNORE frames are not scored).
maxpool: max-pooling loss (Sun et al., SLT 2016; wekws): each keyword occurrence, a run of
         frames labelled with one keyword, is scored once, at the frame where that keyword's
         posterior peaks, so the model may fire anywhere in the word's scored region instead of
         on every frame of it; background and unknown frames keep their per-frame loss, so
         they must stay negative everywhere. Best started from a frame-trained model (Sun et al.).
"""
import torch
import torch.nn.functional as F

IGNORE = -100
OBJECTIVES = ("frame", "maxpool")


def keyword_runs(targets, is_keyword):
    """Run id per frame for frames that carry a keyword target (-1 elsewhere): a new run starts
    where the target changes or the previous frame was not a keyword frame. targets [B, T]."""
    kw = is_keyword[targets.clamp_min(0)] & (targets != IGNORE)
    prev = torch.nn.functional.pad(targets, (1, 0), value=IGNORE)[:, :-1]
    prev_kw = torch.nn.functional.pad(kw, (1, 0), value=False)[:, :-1]
    start = kw & (~prev_kw | (prev != targets))
    run = torch.cumsum(start.reshape(-1).long(), 0) - 1
    return torch.where(kw.reshape(-1), run, torch.full_like(run, -1)).reshape(targets.shape)


def loss(logits, targets, objective, is_keyword, weight=None, label_smoothing=0.0):
    """logits [B, T, K], targets [B, T]; is_keyword [K] bool."""
    K = logits.shape[-1]
    if objective == "frame":
        return F.cross_entropy(logits.reshape(-1, K), targets.reshape(-1), ignore_index=IGNORE,
                               weight=weight, label_smoothing=label_smoothing)
    if objective != "maxpool":
        raise ValueError(f"objective {objective!r}")
    runs = keyword_runs(targets, is_keyword).reshape(-1)
    flat_logits, flat_targets = logits.reshape(-1, K), targets.reshape(-1)
    background = torch.where(runs >= 0, torch.full_like(flat_targets, IGNORE), flat_targets)
    # Frame-level part over background and unknown frames, averaged with the pooled keyword terms.
    per_frame = F.cross_entropy(flat_logits, background, ignore_index=IGNORE, weight=weight,
                                label_smoothing=label_smoothing, reduction="sum")
    n = int((background != IGNORE).sum())
    in_run = runs >= 0
    if in_run.any():
        logp = F.log_softmax(flat_logits[in_run], -1)
        own = logp.gather(1, flat_targets[in_run, None])[:, 0]
        ids = runs[in_run]
        n_runs = int(ids.max()) + 1
        best = torch.full((n_runs,), -float("inf"), device=logits.device).scatter_reduce(
            0, ids, own, reduce="amax")
        pick = own == best[ids]          # the peak frame of each run (exact ties: all of them)
        # Label smoothing on the pooled frames too, so both parts are on the same scale.
        pooled = F.cross_entropy(flat_logits[in_run][pick], flat_targets[in_run][pick], weight=weight,
                                 label_smoothing=label_smoothing, reduction="sum")
        per_frame = per_frame + pooled
        n += int(pick.sum())
    return per_frame / max(1, n)
