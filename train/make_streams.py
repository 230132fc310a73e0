#!/usr/bin/python3
"""Long test streams for streaming keyword-spotting evaluation.

Only held-out material is used: the corpus's testing_list.txt clips (test
speakers), held-out klettres speakers, and noise made here from a separate
seed (babble from test speakers only). Each stream gets a label CSV
(start_s,end_s,label) whose times are the speech onset/offset found by the
energy detector, not the 1 s clip bounds; unknown words are `_unknown_`.

  /usr/bin/python3 -m train.make_streams --corpus data/corpus --out data/streams --minutes 30 --seed 2
  /usr/bin/python3 -m train.make_streams --corpus data/corpus --out data/streams_klettres --klettres-only
  /usr/bin/python3 -m train.make_streams --corpus data/real --out data/real_streams --real --minutes 30

--real takes a real-recordings set (train/make_real_set.py): its real-dev speakers
(testing_list.txt) only, keyword clips and non-keyword clips (`other/`), babble from the
non-keyword clips.
"""
import argparse
import json
import pathlib
import time

import numpy as np

from . import wav
from .corpus import audio, noise
from .corpus_index import KEYWORDS

SNRS = (None, 20, 10, 5)  # None = clean (only a -80 dBFS floor)
NOISES = ("babble", "pink", "white", "brown", "hum", "klettres_babble")
MARGIN = int(0.05 * audio.SR)


def load_pool(corpus, rels):
    """[(rel, speech segment with margins, onset within segment, offset)]."""
    pool = []
    for rel in rels:
        x, _ = wav.read_wav(str(corpus / rel))
        b = audio.speech_bounds(x)
        if b is None:
            continue
        s, e = max(0, b[0] - MARGIN), min(len(x), b[1] + MARGIN)
        pool.append((rel, x[s:e], b[0] - s, b[1] - s))
    return pool


def make_noise(kind, n, rng, babble_src, kl_src):
    if kind == "babble":
        return noise.babble([p[1] for p in babble_src], n, rng)
    if kind == "klettres_babble":
        return noise.babble([p[1] for p in kl_src], n, rng, talkers=4)
    if kind == "hum":
        return noise.hum(n, rng, 50 if rng.random() < 0.5 else 60)
    return getattr(noise, kind)(n, rng)


def one_stream(n, rng, pools, weights):
    """Lay words out with random pauses; returns (clean audio, labels, sources)."""
    x = np.zeros(n, dtype=np.float32)
    labels, pos = [], int(rng.uniform(0.2, 1.0) * audio.SR)
    kinds = list(pools)
    while True:
        kind = kinds[rng.choice(len(kinds), p=weights)]
        rel, seg, on, off = pools[kind][int(rng.integers(len(pools[kind])))]
        if pos + len(seg) >= n:
            break
        x[pos:pos + len(seg)] += seg * np.float32(10 ** (rng.uniform(-6, 0) / 20))
        label = rel.split("/")[0] if kind == "keyword" else "_unknown_"
        labels.append(((pos + on) / audio.SR, (pos + off) / audio.SR, label, rel))
        pos += len(seg) + int(rng.uniform(0.3, 2.0) * audio.SR)
    return x, labels


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="data/corpus")
    ap.add_argument("--out", default="data/streams")
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--streams", type=int, default=10)
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--klettres-only", action="store_true")
    ap.add_argument("--real", action="store_true", help="--corpus is a real-recordings set")
    a = ap.parse_args()
    t0 = time.time()
    corpus, out = pathlib.Path(a.corpus), pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    test = (corpus / "testing_list.txt").read_text().split()
    if a.real:
        keywords, kl_rels = set(KEYWORDS), set()
    else:
        keywords = set(json.loads((corpus / "speakers.json").read_text())["keywords"])
        kl_rels = set((corpus / "klettres_test_list.txt").read_text().split())
    kw = load_pool(corpus, [r for r in test if r.split("/")[0] in keywords])
    unk = load_pool(corpus, [r for r in test if r.split("/")[0] not in keywords and r not in kl_rels])
    kl = load_pool(corpus, sorted(kl_rels))
    if a.klettres_only:
        pools, weights = {"klettres": kl}, [1.0]
    elif a.real:
        pools, weights = {"keyword": kw, "unknown": unk}, [0.5, 0.5]
    else:
        pools, weights = {"keyword": kw, "unknown": unk, "klettres": kl}, [0.45, 0.35, 0.20]
    rng = np.random.default_rng(a.seed)
    n = int(a.minutes * 60 / a.streams * audio.SR)
    prefix = "klettres_stream" if a.klettres_only else "stream"
    manifest = dict(corpus=str(corpus), seed=a.seed, klettres_only=a.klettres_only,
                    pool_sizes={k: len(v) for k, v in pools.items()}, streams=[])
    for i in range(a.streams):
        x, labels = one_stream(n, rng, pools, weights)
        snr = SNRS[i % len(SNRS)]
        # Noise kinds cycle over the noisy streams only, so every kind is heard.
        kind = NOISES[(i - i // len(SNRS) - 1) % len(NOISES)]
        speech = np.concatenate([x[int(s * audio.SR):int(e * audio.SR)] for s, e, _, _ in labels])
        p_speech = float(np.mean(speech.astype(np.float64) ** 2))
        if snr is None:
            mix = x + rng.standard_normal(n).astype(np.float32) * 1e-4
            kind = "none"
        else:
            # Babble from non-keyword words only: no hidden targets in the background.
            nz = make_noise(kind, n, rng, unk, kl or unk).astype(np.float64)
            nz *= np.sqrt(p_speech / 10 ** (snr / 10) / np.mean(nz ** 2))
            mix = x + nz
        mix = mix * min(1.0, 0.99 / float(np.max(np.abs(mix))))
        name = f"{prefix}_{i:02d}"
        wav.write_wav(out / f"{name}.wav", mix)
        with open(out / f"{name}.csv", "w") as f:
            f.write("start_s,end_s,label\n")
            f.writelines(f"{s:.3f},{e:.3f},{lab}\n" for s, e, lab, _ in labels)
        counts = {}
        for _, _, lab, _ in labels:
            counts[lab] = counts.get(lab, 0) + 1
        manifest["streams"].append(dict(name=name, seconds=n / audio.SR, noise=kind, snr_db=snr,
                                        counts=counts, sources=[r for *_, r in labels]))
        print(f"{name}: {n / audio.SR:.0f} s, noise={kind} snr={snr}, "
              f"{sum(v for k, v in counts.items() if k != '_unknown_')} keywords, "
              f"{counts.get('_unknown_', 0)} unknown", flush=True)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"{a.streams} streams in {out} ({time.time() - t0:.1f} s); pools: {manifest['pool_sizes']}")


if __name__ == "__main__":
    main()
