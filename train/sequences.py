"""Training sequences for a streaming classifier.

A model that only ever sees isolated 1-s clips from a zero state collapses when it runs over
endless audio with carried state (kws_streaming issue #819). So every training example here is
a stream of several seconds in which keywords, unknown words and pauses follow each other over
one continuous background, with a target per frame:

  * background frames                          -> _silence_
  * an unknown word: the part before `unknown_from` of the word is not scored (default 0: it
    is `_unknown_` from its onset), then `_unknown_` until UNKNOWN_TAIL frames after its end
  * a keyword: the start of the word is not scored (nobody can tell "six" from "sit"
    half-way); from `label_from` of the word (default mid-word) until TAIL frames after its
    end -> the keyword

The `clip` layout (train.py --layout clip) builds clip-level examples instead, for pre-training
(hypothesis 3a of the real-voices study): one word whose end sits 1..TAIL frames before the end
of a short sequence, scored only from the word's end on, each from a zero state.

Words come from the synthetic cache and, with probability `p_real`, from a second cache of
real recordings (`real`; train/make_real_set.py's real-train speakers), so that real voices are
heard as keywords as well as non-keywords.

Words are cut from the cached clip features around their speech span and mixed into the
background in the mel-power domain: log(exp(word) + exp(noise + 2 ln g)), which is what the
filter bank of the summed signals gives for uncorrelated sources.

Cross-domain overlay (train.py --p-overlay, hypothesis 6's mixup across engines): with
probability `p_overlay` a word gets another utterance mixed under it, `overlay_snr_db` below it,
overlapping it, and keeps its own label. The other utterance is a non-keyword of the real
recordings when there are any, else of the synthetic ones, so a natural voice in the mix stops
being evidence for `_unknown_`.

Noise floor (train.py --p-floor): with probability `p_floor` a sequence's background gets a
white-noise floor `floor_db` dB (re unit RMS, i.e. about dBFS) with a random spectral tilt of up
to +-`floor_tilt_db` across the mel axis. Without it a clean background is the filter bank's log
floor (digital silence), some 23 nats below a -80 dBFS hiss, while every microphone, and the
clean real-dev streams, have one: a per-stream normalisation such as PCEN turns such a floor
into a noise-like background the model never heard.
"""
import math

import numpy as np
import torch

IGNORE = -100
TAIL = 25            # frames after a keyword's end that still carry its label
UNKNOWN_TAIL = 10
MARGIN = 6           # frames of context kept around a word's speech span
FLOOR = math.log(np.finfo(np.float32).eps)
LAYOUTS = ("stream", "clip")


class SequenceBuilder:
    def __init__(self, cache, noise, labels, seq_frames, rng, p_keyword=0.5, p_unknown=0.35,
                 snr_db=(0.0, 30.0), p_clean=0.15, specaugment=True, max_gap=100, label_from=0.5,
                 freq_masks=2, freq_mask_width=8, mel_warp=0.0, unknown_from=0.0, real=None, p_real=0.0, layout="stream",
                 p_overlay=0.0, overlay_snr_db=(5.0, 20.0), floor=None, p_floor=0.0,
                 floor_db=(-90.0, -50.0), floor_tilt_db=10.0):
        if layout not in LAYOUTS:
            raise ValueError(f"layout {layout!r}: one of {LAYOUTS}")
        self.layout = layout
        self.cache = cache
        self.noise = noise
        self.seq_frames = seq_frames
        self.rng = rng
        self.silence = labels.index("_silence_")
        self.unknown = labels.index("_unknown_")
        self.specaugment = specaugment
        self.p_keyword, self.p_unknown = p_keyword, p_unknown
        self.snr_db, self.p_clean = snr_db, p_clean
        self.max_gap = max_gap
        self.label_from = label_from
        self.unknown_from = unknown_from
        self.freq_masks, self.freq_mask_width = freq_masks, freq_mask_width
        self.mel_warp = mel_warp
        self.with_domains = "domains" in cache
        self.pools = [self._pool(cache)]
        self.p_real = p_real if real is not None and len(real["feats"]) else 0.0
        if self.p_real:
            self.pools.append(self._pool(real))
        self.p_overlay, self.overlay_snr_db = p_overlay, overlay_snr_db
        # the utterances laid under words: real non-keywords when there are any
        self.overlay_pool = next(((c, u) for c, _, u in reversed(self.pools) if len(u)), None)
        if p_floor and floor is None:
            raise ValueError("p_floor needs the floor's features (unit-RMS white noise)")
        self.floor, self.p_floor = floor, p_floor
        self.floor_db, self.floor_tilt_db = floor_db, floor_tilt_db

    def _pool(self, cache):
        lab = cache["labels"].numpy()
        keyword_items = np.nonzero((lab != self.unknown) & (lab != self.silence))[0]
        # Keywords are drawn uniformly per class, not per clip.
        by_class = {int(c): np.nonzero(lab == c)[0] for c in np.unique(lab[keyword_items])}
        return cache, by_class, np.nonzero(lab == self.unknown)[0]

    def _background(self, n):
        if self.rng.random() < self.p_clean:
            return torch.full((n, self.cache["feats"][0].shape[1]), FLOOR), -120.0
        return self._window(self.noise[self.rng.integers(len(self.noise))], n).clone(), 0.0

    def _window(self, src, n):
        """n frames from a random place of src, repeated end to end when it is shorter."""
        src = src.float()
        if len(src) < n:
            src = src.repeat(n // len(src) + 1, 1)
        start = int(self.rng.integers(0, len(src) - n + 1))
        return src[start: start + n]

    def _pick_word(self):
        """(cache, item) of the next word, or None for a long pause."""
        cache, by_class, unknown_items = self.pools[1 if self.p_real and self.rng.random() < self.p_real else 0]
        r = self.rng.random()
        if r < self.p_keyword and by_class:
            classes = list(by_class)
            items = by_class[classes[self.rng.integers(len(classes))]]
        elif r < self.p_keyword + self.p_unknown and len(unknown_items):
            items = unknown_items
        else:
            return None
        return cache, int(items[self.rng.integers(len(items))])

    def one(self):
        n = self.seq_frames
        feats, noise_level_db = self._background(n)
        words = self._clip_layout(n) if self.layout == "clip" else self._stream_layout(n)
        target = torch.full((n,), self.silence, dtype=torch.long)
        # One background level per sequence, relative to the loudest word in it.
        speech_db = max((w[2] for w in words), default=-30.0)
        if noise_level_db == 0.0:
            snr = self.rng.uniform(*self.snr_db)
            feats += 2.0 * math.log(10.0) * (speech_db - snr) / 20.0
            feats.clamp_(min=FLOOR)   # the filter bank never goes below its log floor
        if self.p_floor and self.rng.random() < self.p_floor:
            self._add_floor(feats)
        domains = torch.full((n,), IGNORE, dtype=torch.long)
        for t0, seg, level, _, s, e, domain in words:
            feats[t0: t0 + len(seg)] = torch.logaddexp(feats[t0: t0 + len(seg)], seg)
            domains[max(0, s): min(n, e)] = domain
            if self.p_overlay and self.overlay_pool is not None and self.rng.random() < self.p_overlay:
                self._overlay(feats, t0, len(seg), level)
        if self.layout == "clip":
            self._score_only_the_end(target, words)
        else:
            self._score_words(target, words)
        if self.specaugment:
            self._spec_augment(feats)
        return (feats, target, domains) if self.with_domains else (feats, target)

    def _word(self, picked, t):
        """(t, features, level, label, speech start, speech end, domain) of a word placed at t."""
        cache, item = picked
        f = cache["feats"][item].float()
        s, e = (int(v) for v in cache["spans"][item])
        a, b = max(0, s - MARGIN), min(len(f), e + MARGIN)
        seg = f[a:b]
        if self.mel_warp > 0:
            seg = self._warp(seg)
        domain = int(cache["domains"][item]) if "domains" in cache else IGNORE
        return (t, seg, float(cache["levels"][item]), int(cache["labels"][item]), t + (s - a), t + (e - a), domain)

    def _overlay(self, feats, t0, length, level):
        """Mixes a non-keyword utterance under the word at t0..t0+length, overlay_snr_db below the
        word's level, starting anywhere from half the utterance before the word to mid-word."""
        cache, unknown_items = self.overlay_pool
        item = int(unknown_items[self.rng.integers(len(unknown_items))])
        f = cache["feats"][item].float()
        s, e = (int(v) for v in cache["spans"][item])
        seg = f[max(0, s - MARGIN): min(len(f), e + MARGIN)]
        gain_db = level - float(cache["levels"][item]) - self.rng.uniform(*self.overlay_snr_db)
        seg = seg + 2.0 * math.log(10.0) * gain_db / 20.0
        start = t0 + int(self.rng.integers(-(len(seg) // 2), length // 2 + 1))
        a, b = max(0, start), min(len(feats), start + len(seg))
        if a < b:
            feats[a:b] = torch.logaddexp(feats[a:b], seg[a - start: b - start])

    def _add_floor(self, feats):
        """Mixes the noise floor into the background, in the mel-power domain like the words."""
        n, m = feats.shape
        src = self._window(self.floor, n)
        level = self.rng.uniform(*self.floor_db)
        tilt = self.rng.uniform(-self.floor_tilt_db, self.floor_tilt_db)
        db = level + tilt * torch.linspace(-0.5, 0.5, m)
        feats.copy_(torch.logaddexp(feats, src + 2.0 * math.log(10.0) * db / 20.0))

    def _stream_layout(self, n):
        """Keywords, unknown words and pauses one after another over the whole sequence."""
        words = []
        t = int(self.rng.integers(0, 80))
        while t < n - 20:
            picked = self._pick_word()
            if picked is None:                     # a long pause
                t += int(self.rng.integers(30, 150))
                continue
            word = self._word(picked, t)
            if t + len(word[1]) > n:
                break
            words.append(word)
            t += len(word[1]) + int(self.rng.integers(5, self.max_gap))
        return words

    def _clip_layout(self, n):
        """One word (or none: a pause) whose speech ends 1..TAIL frames before the sequence does:
        a clip-level example, decided at its end (train.py --layout clip). A word longer than the
        sequence loses its start."""
        picked = self._pick_word()
        if picked is None:
            return []
        tail = int(self.rng.integers(1, TAIL + 1))
        t, seg, level, label, s, e, domain = self._word(picked, 0)
        shift = (n - tail) - e
        if shift < 0:
            seg = seg[-shift:]
            t, s, e = 0, s + shift, e + shift
        else:
            t, s, e = shift, s + shift, e + shift
        return [(t, seg[:n - t], level, label, s, e, domain)]

    def _score_words(self, target, words):
        """Stream targets: each word from `label_from` (keywords) or `unknown_from` (unknown
        words) of it to a tail after its end; the start of the word is not scored."""
        n = len(target)
        for _, _, _, label, s, e, _ in words:
            if label == self.unknown:
                mid = s + int(round((e - s + 1) * self.unknown_from))
                target[s:mid] = IGNORE
                target[mid: min(n, e + UNKNOWN_TAIL)] = self.unknown
            else:
                mid = s + int(round((e - s + 1) * self.label_from))
                target[s:mid] = IGNORE
                target[mid: min(n, e + TAIL)] = label

    def _score_only_the_end(self, target, words):
        """Clip examples are scored on their last frames only: from the word's end on, with its
        label, or for a pause the last TAIL frames, as _silence_."""
        end = max(0, words[0][5]) if words else len(target) - TAIL
        target[:end] = IGNORE
        target[end:] = words[0][3] if words else self.silence

    def _warp(self, seg):
        """A vocal-tract-length-like warp of one word: the mel axis is stretched by a random
        factor in 1 +- mel_warp (a new voice for the few-voice engines), by linear interpolation."""
        a = self.rng.uniform(1.0 - self.mel_warp, 1.0 + self.mel_warp)
        m = seg.shape[1]
        src = torch.clamp(torch.arange(m, dtype=torch.float32) / a, 0, m - 1)
        lo = src.floor().long()
        hi = torch.clamp(lo + 1, max=m - 1)
        frac = src - lo
        return seg[:, lo] * (1 - frac) + seg[:, hi] * frac

    def _spec_augment(self, feats):
        n, m = feats.shape
        fill = feats.mean()
        for _ in range(self.freq_masks):
            w = int(self.rng.integers(0, self.freq_mask_width))
            f0 = int(self.rng.integers(0, m - w + 1))
            feats[:, f0: f0 + w] = fill
        for _ in range(max(1, n // 300)):
            w = int(self.rng.integers(0, 15))
            t0 = int(self.rng.integers(0, n - w + 1))
            feats[t0: t0 + w] = fill

    def batch(self, size):
        return tuple(torch.stack(parts) for parts in zip(*(self.one() for _ in range(size))))
