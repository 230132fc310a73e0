#!/usr/bin/python3
"""Training sequences (train/sequences.py) and the training-only regularisers.

  * per-frame targets: background -> _silence_; an unknown word from `unknown_from` of the
    word (ignored before; default its onset); a keyword ignored before `label_from` of the word
    and labelled from there to TAIL frames after its end;
  * the clip layout: one word per example, scored only from its end on;
  * words from the real-recordings cache come with probability p_real, with their own labels;
  * the cross-domain overlay: a real non-keyword mixed under a word, at the asked level below
    it, leaves the word's targets alone;
  * the noise floor: a clean background becomes the floor at the asked level, with a linear
    tilt across the mel axis; p_floor 0 keeps digital silence;
  * the mel-axis warp: shape kept, identity at factor 1, a stretch moves energy up the axis;
  * dropout (MegaClassifier.set_dropout) changes training outputs but never eval() outputs, so
    the model file and the C engine are unaffected.
"""

import numpy as np
import torch

from train.corpus_index import DEFAULT_LABELS
from train.mega_config import MegaConfig, NetworkConfig
from train.mega_ref import MegaClassifier
from train.sequences import FLOOR, IGNORE, MARGIN, TAIL, UNKNOWN_TAIL, SequenceBuilder

M = 8
YES, UNK, SIL = DEFAULT_LABELS.index("yes"), DEFAULT_LABELS.index("_unknown_"), DEFAULT_LABELS.index("_silence_")


def one_word_cache(label, start=20, end=60):
    f = torch.full((100, M), -5.0)
    f[start:end] = 3.0
    return {"feats": [f.half()], "spans": torch.tensor([[start, end]], dtype=torch.int32),
            "levels": torch.tensor([-20.0]), "labels": torch.tensor([label])}


def targets(label, label_from, unknown_from=0.0):
    """Every word of a sequence is this cache's one clip; returns (features, targets, onsets)."""
    cache = one_word_cache(label)
    b = SequenceBuilder(cache, [torch.zeros(400, M)], DEFAULT_LABELS, 400, np.random.default_rng(3),
                        p_keyword=1.0 if label != UNK else 0.0, p_unknown=1.0, specaugment=False,
                        label_from=label_from, max_gap=30, unknown_from=unknown_from)
    x, y = b.one()
    return x, y


def check_targets():
    for label_from in (0.5, 1.0):
        _, y = targets(YES, label_from)
        y = y.numpy()
        assert (y == YES).any() and (y == IGNORE).any(), "a keyword sequence has labelled and ignored frames"
        span = 40  # end - start of the cached word; the trainer counts e - s + 1 frames
        runs = []  # (first ignored frame, first keyword frame, last keyword frame)
        t = 0
        while t < len(y):
            if y[t] == IGNORE:
                s = t
                while t < len(y) and y[t] == IGNORE:
                    t += 1
                k0 = t
                while t < len(y) and y[t] == YES:
                    t += 1
                if t < len(y) - 1:  # a word cut by the end of the sequence is not checked
                    runs.append((s, k0, t))
            else:
                t += 1
        assert runs, "no complete keyword in the sequence"
        for s, k0, k1 in runs:
            assert k0 - s == int(round((span + 1) * label_from)), (label_from, s, k0)
            assert k1 - s <= span + TAIL, (label_from, s, k1)
            assert k1 - s > span, "the keyword label outlasts the word"
    _, y = targets(UNK, 0.5)
    y = y.numpy()
    assert (y == UNK).sum() > 0 and (y == IGNORE).sum() == 0, "unknown words are scored from their onset"
    starts = [t for t in range(1, len(y)) if y[t] == UNK and y[t - 1] == SIL]
    assert starts, "an unknown word follows background"
    t = starts[0]
    n = 0
    while t + n < len(y) and y[t + n] == UNK:
        n += 1
    assert n == 40 + UNKNOWN_TAIL, n
    assert MARGIN > 0
    # Scored from mid-word: 20 ignored frames (round(41 * 0.5)), then _unknown_ to the tail.
    _, y = targets(UNK, 0.5, unknown_from=0.5)
    y = y.numpy()
    starts = [t for t in range(1, len(y)) if y[t] == IGNORE and y[t - 1] == SIL]
    assert starts, "an unknown word's start is ignored"
    t = starts[0]
    assert (y[t:t + 20] == IGNORE).all() and y[t + 20] == UNK and y[t + 21] == UNK, y[t:t + 25]
    n = 0
    while y[t + 20 + n] == UNK:
        n += 1
    assert n == 40 - 20 + UNKNOWN_TAIL, n


def check_real_pool():
    """Unknown-only synthetic words and keyword-only real words: the share of real words decides
    whether any keyword target appears at all, and how many."""
    synth, real = one_word_cache(UNK), one_word_cache(YES)
    noise = [torch.zeros(400, M)]

    def labels_seen(p_real):
        b = SequenceBuilder(synth, noise, DEFAULT_LABELS, 400, np.random.default_rng(5), p_keyword=0.5,
                            p_unknown=0.5, specaugment=False, max_gap=30, real=real, p_real=p_real)
        return np.concatenate([b.one()[1].numpy() for _ in range(20)])

    none, half, every = labels_seen(0.0), labels_seen(0.5), labels_seen(1.0)
    assert not (none == YES).any() and (none == UNK).any(), "p_real 0: only synthetic words"
    assert (every == YES).any() and not (every == UNK).any(), "p_real 1: only real words"
    assert (half == YES).any() and (half == UNK).any(), "p_real 0.5: both"


def check_overlay():
    """p_overlay 1: every word gets the real non-keyword (3.0 in its span, level -20 dB like the
    word) mixed under it 10 dB down, i.e. at 3.0 - ln 10, so overlapped word frames read
    logaddexp(3, 3 - ln 10) = 3.0953 (more where the overlays of two neighbours meet); the targets
    still name only the keyword. p_overlay 0: no such frame."""
    synth, real = one_word_cache(YES), one_word_cache(UNK)
    noise = [torch.zeros(400, M)]

    def sequences(p_overlay):
        b = SequenceBuilder(synth, noise, DEFAULT_LABELS, 400, np.random.default_rng(9), p_keyword=1.0,
                            p_unknown=0.0, specaugment=False, max_gap=30, real=real, p_real=1e-12,
                            p_overlay=p_overlay, overlay_snr_db=(10.0, 10.0))
        return [b.one() for _ in range(10)]

    mixed = float(np.logaddexp(3.0, 3.0 - np.log(10.0)))
    for p_overlay in (0.0, 1.0):
        hits = 0
        for x, y in sequences(p_overlay):
            y = y.numpy()
            assert set(np.unique(y)) <= {YES, SIL, IGNORE} and (y == YES).any(), np.unique(y)
            word = x[:, 0].numpy()
            word = word[word > 2.5]
            assert ((np.abs(word - 3.0) < 0.01) | (word > mixed - 0.01)).all(), word
            hits += int((np.abs(word - mixed) < 0.01).sum())
        assert (hits > 0) == (p_overlay > 0), (p_overlay, hits)


def check_floor():
    """Clean backgrounds (the filter bank's log floor) with a 0-nat floor source mixed in at
    -60 dB +- a tilt of up to 12 dB: each background frame's floor part, recovered by taking the
    log floor back out, is linear across the mel axis, centred on -60 dB, with a slope within the
    asked tilt, and the tilt differs between sequences; without it (p_floor 0) every background
    frame stays at the log floor. A floor without its features is refused."""
    cache = one_word_cache(YES)
    nat = 2.0 * np.log(10.0) / 20.0

    def builder(p_floor, tilt=12.0):
        return SequenceBuilder(cache, [torch.zeros(400, M)], DEFAULT_LABELS, 400, np.random.default_rng(4),
                               p_keyword=1.0, p_unknown=0.0, specaugment=False, max_gap=30, p_clean=1.0,
                               floor=torch.zeros(50, M), p_floor=p_floor, floor_db=(-60.0, -60.0),
                               floor_tilt_db=tilt)

    silent = builder(0.0)
    for _ in range(5):
        x, y = silent.one()
        bg = x[(y == SIL) & (x[:, 0] < -5.5)]     # pauses, not the words' own -5 margins
        assert len(bg) and torch.equal(bg, torch.full_like(bg, FLOOR)), "p_floor 0: digital silence"
    b, slopes = builder(1.0), []
    for _ in range(8):
        x, y = b.one()
        bg = x[(y == SIL) & (x[:, 0] < -5.5)].double()
        assert len(bg), "a pause in every sequence"
        part = (bg + torch.log1p(-torch.exp(FLOOR - bg))) / nat   # the floor alone, in dB
        assert torch.allclose(part, part[:1].expand_as(part), atol=1e-3), "one floor per sequence"
        row = part[0].numpy()
        slope = np.diff(row)
        assert np.allclose(slope, slope[0], atol=1e-3), row            # a linear tilt
        assert abs(row.mean() + 60.0) < 1e-2, row.mean()                # centred on the level
        assert abs(row[-1] - row[0]) <= 12.0 + 1e-3, row
        slopes.append(float(slope[0]))
    assert np.ptp(slopes) > 1.0, slopes
    try:
        SequenceBuilder(cache, [torch.zeros(400, M)], DEFAULT_LABELS, 400, np.random.default_rng(4), p_floor=0.5)
    except ValueError:
        pass
    else:
        raise AssertionError("p_floor without floor features accepted")


def check_clip_layout():
    """One word per example, its speech ending 1..TAIL frames before the end; only the frames
    from its end on are scored, with its label (or _silence_ for a pause); the features hold the
    word there; a word longer than the example loses its start."""
    noise = [torch.zeros(400, M)]
    for label in (YES, UNK):
        b = SequenceBuilder(one_word_cache(label), noise, DEFAULT_LABELS, 100, np.random.default_rng(7),
                            p_keyword=1.0 if label == YES else 0.0, p_unknown=1.0, specaugment=False,
                            layout="clip")
        tails = set()
        for _ in range(30):
            x, y = b.one()
            y = y.numpy()
            scored = np.nonzero(y != IGNORE)[0]
            assert len(scored) and (y[scored] == label).all(), y
            assert scored[-1] == 99 and (np.diff(scored) == 1).all(), "scored frames run to the end"
            tail = len(scored)              # scored from the span's end (first frame after speech)
            assert 1 <= tail <= TAIL, tail
            tails.add(tail)
            end = 100 - tail                # the cached word's speech is 3.0 up to its span end
            assert (x[end - 40:end, 0] > 2.5).all() and (x[end + MARGIN:, 0] < 0).all()
        assert len(tails) > 5, "the tail varies"
    pause = SequenceBuilder(one_word_cache(YES), noise, DEFAULT_LABELS, 100, np.random.default_rng(7),
                            p_keyword=0.0, p_unknown=0.0, specaugment=False, layout="clip")
    _, y = pause.one()
    assert (y[-TAIL:] == SIL).all() and (y[:-TAIL] == IGNORE).all()
    short = SequenceBuilder(one_word_cache(YES), noise, DEFAULT_LABELS, 30, np.random.default_rng(7),
                            p_keyword=1.0, specaugment=False, layout="clip")
    for _ in range(10):
        x, y = short.one()
        assert x.shape == (30, M) and (y[-1] == YES)
    try:
        SequenceBuilder(one_word_cache(YES), noise, DEFAULT_LABELS, 30, np.random.default_rng(7), layout="x")
    except ValueError:
        pass
    else:
        raise AssertionError("an unknown layout is refused")


def check_warp():
    b = SequenceBuilder(one_word_cache(YES), [torch.zeros(400, M)], DEFAULT_LABELS, 400,
                        np.random.default_rng(0), mel_warp=0.0)
    seg = torch.randn(30, M)
    b.mel_warp = 1e-12
    assert torch.allclose(b._warp(seg), seg, atol=1e-6), "a warp by factor 1 is the identity"
    b.mel_warp = 0.15
    ramp = torch.arange(M, dtype=torch.float32).repeat(5, 1)
    changed = 0
    for _ in range(20):
        w = b._warp(ramp)
        assert w.shape == ramp.shape
        assert torch.all(w[:, 1:] >= w[:, :-1] - 1e-6), "the warp keeps the mel axis in order"
        changed += int(not torch.allclose(w, ramp))
    assert changed >= 15, "random factors in 1 +- 0.15 change the features"


def check_dropout():
    torch.manual_seed(0)
    cfg = MegaConfig(labels=DEFAULT_LABELS, network=NetworkConfig(d_model=16, z_dim=8, h_dim=16, ffn_dim=16,
                                                                   n_dim=4, n_layers=2, window=8))
    model = MegaClassifier(cfg)
    x = torch.randn(2, 40, cfg.frontend.n_mels)
    model.eval()
    ref = model(x)
    model.set_dropout(0.3)
    model.train()
    assert not torch.allclose(model(x), ref), "dropout acts while training"
    model.eval()
    assert torch.equal(model(x), ref), "dropout never acts in eval()"


if __name__ == "__main__":
    check_targets()
    check_real_pool()
    check_overlay()
    check_floor()
    check_clip_layout()
    check_warp()
    check_dropout()
    print("sequences: targets, real-word pool, overlay, noise floor, clip layout, mel warp and dropout OK")
