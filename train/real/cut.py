"""Cutting keywords (and keyword-free stretches) out of spoken phrases.

A phrase with a known text is force-aligned with pocketsphinx (a JSGF grammar
of exactly that phrase; no path = dropped). Each keyword occurrence is
cut at the aligned word boundaries -- with a margin only where the neighbour
is silence, so no part of the next word leaks in -- and the cut is kept only
when the keyword check (pocketsphinx, keywords + distractor words) hears the
same keyword. Everything is logged: the sources turn failures into "dropped".
"""
import numpy as np

from .common import SR, KEYWORDS, HOMOPHONES, UNKNOWN, words_of

MARGIN = 0.075   # next to silence
TOUCH = 0.015    # next to another word
FADE = 0.005


def _db(seg):
    return 10.0 * np.log10(float(np.mean(np.asarray(seg, np.float64) ** 2)) + 1e-12)


def _extend(x, pos, step, limit, thr):
    """Move from sample pos outward (step = +-160, 10 ms) while the audio there
    is quiet (under thr dB), at most limit samples: a margin never takes in a
    neighbouring sound (a radio beep, a breath, the next word)."""
    p = pos
    while abs(p - pos) + abs(step) <= limit:
        q = p + step
        if q < 0 or q > len(x) or _db(x[min(p, q):max(p, q)]) > thr:
            break
        p = q
    return p


def _segment(x, words, i, j):
    """Samples of words[i..j] (inclusive) with margins that respect neighbours:
    up to MARGIN of quiet audio next to silence, TOUCH next to another word."""
    start, end = words[i][1], words[j][2]
    prev_end = words[i - 1][2] if i > 0 else None
    next_start = words[j + 1][1] if j + 1 < len(words) else None
    s0, s1 = max(0, int(start * SR)), min(len(x), int(end * SR))
    core = x[s0:s1]
    thr = (max(_db(core[k:k + 320]) for k in range(0, max(1, len(core) - 320), 160)) - 25.0) if len(core) else -60
    if prev_end is not None and start - prev_end < 0.03:
        a = max(int(prev_end * SR), s0 - int(TOUCH * SR))
    else:
        a = _extend(x, s0, -160, int(MARGIN * SR), thr)
        if prev_end is not None:
            a = max(a, int(prev_end * SR))
    if next_start is not None and next_start - end < 0.03:
        b = min(int(next_start * SR), s1 + int(TOUCH * SR))
    else:
        b = _extend(x, s1, 160, int(MARGIN * SR), thr)
        if next_start is not None:
            b = min(b, int(next_start * SR))
    a, b = max(0, a), min(len(x), b)
    seg = x[a:b].astype(np.float32).copy()
    n = min(int(FADE * SR), len(seg) // 4)
    if n > 1:
        ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
        seg[:n] *= ramp
        seg[-n:] *= ramp[::-1]
    return seg, round(a / SR, 3), round(b / SR, 3)


def _is_kwlike(w):
    return w in KEYWORDS or w in HOMOPHONES


def cut(sphinx, jobs, keep_rest=False, min_rest=0.25, check_words=()):
    """jobs: [(key, x, text)]. Returns (cuts, failures):
    cuts: [(key, label, text, samples, (a, b))] -- keyword cuts, plus the
          keyword-free stretches as _unknown_ when keep_rest;
    failures: [(key, reason)] (one per job or keyword that could not be used)."""
    cuts, failures = [], []
    want = {}
    for key, x, text in jobs:
        ws = words_of(text)
        oov = sphinx.oov(ws)
        if oov:
            failures.append((key, f"cannot align: words not in the pocketsphinx dictionary: {' '.join(oov)}"))
            continue
        want[key] = (x, ws)
    if not want:
        return cuts, failures
    # one exact-phrase grammar per distinct text: long phrases do not fit a
    # grammar of many alternatives (the search loses them)
    got = {}
    by_text = {}
    for k, (x, ws) in want.items():
        by_text.setdefault(" ".join(ws), []).append((k, x))
    for text, items in sorted(by_text.items()):
        got.update(sphinx.align(text, items))
    pending = []
    for key, (x, ws) in want.items():
        words = got.get(key) or []
        said = [w for w, _, _ in words]
        # the keywords must be the expected ones, in order; the other words may
        # differ from the written text ("bam"/"bamboo") and are taken as said
        if not said or [w for w in said if _is_kwlike(w)] != [w for w in ws if _is_kwlike(w)]:
            failures.append((key, f"alignment failed (decoder chose '{' '.join(said)}' for '{' '.join(ws)}')"))
            continue
        for i, (w, a, b) in enumerate(words):
            if w in KEYWORDS:
                seg, s0, s1 = _segment(x, words, i, i)
                pending.append((key, w, w, seg, (s0, s1)))
        if keep_rest:
            i = 0
            while i < len(words):
                if _is_kwlike(words[i][0]):
                    i += 1
                    continue
                j = i
                while j + 1 < len(words) and not _is_kwlike(words[j + 1][0]):
                    j += 1
                seg, s0, s1 = _segment(x, words, i, j)
                if s1 - s0 >= min_rest:
                    cuts.append((key, UNKNOWN, " ".join(w for w, _, _ in words[i:j + 1]), seg, (s0, s1)))
                i = j + 1
    if pending:
        heard = sphinx.check([(f"{k}@{s[0]}", seg) for k, _, _, seg, s in pending], check_words)
        for key, label, text, seg, span in pending:
            h = heard.get(f"{key}@{span[0]}", "")
            if h == label:
                cuts.append((key, label, text, seg, span))
            else:
                failures.append((key, f"cut '{label}' at {span[0]:.2f}-{span[1]:.2f}s: keyword check heard '{h}'"))
    return cuts, failures


def cut_clips(ctx, package, jobs, speaker, keep_rest=False, check_words=()):
    """Cut the keywords out of [(original, x, text)] phrases of one package.
    speaker: a string or a function original -> speaker. Returns (clips, drops)."""
    from .common import Clip, Dropped
    spk = speaker if callable(speaker) else (lambda _o: speaker)
    texts = {o: t for o, _, t in jobs}
    cuts, failures = cut(ctx.sphinx, jobs, keep_rest=keep_rest, check_words=check_words)
    clips = [Clip(seg, text, label, spk(o), package, o, "aligned",
                  note=f"cut {span[0]:.2f}-{span[1]:.2f} s from '{texts[o]}'")
             for o, label, text, seg, span in cuts]
    drops = [Dropped(package, o, why) for o, why in failures]
    return clips, drops
