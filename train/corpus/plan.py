"""Deterministic list of clips to synthesise: which word, split, engine,
speaker and prosody, and the output file name."""
import hashlib
import random

import numpy as np

from .speakers import ENGINES
from .synth import draw_params


def item_rng(*key):
    """Per-item RNG from a stable hash, so results do not depend on job order."""
    h = hashlib.sha256("|".join(map(str, key)).encode()).digest()
    return np.random.default_rng(int.from_bytes(h[:8], "little"))


def counts(sizes, word, kind, index):
    """{split: {engine: n}} for one word. Engines get equal shares; counts
    that do not divide by 3 rotate the remainder by word index."""
    out = {}
    for split in ("train", "validation", "test"):
        n = sizes[kind][split]
        if kind == "unknown" and split != "train":
            # Ordinary unknown words give one held-out clip, alternating val/test.
            n = 1 if (index % 2 == 0) == (split == "validation") else 0
        per = {e: n // 3 for e in ENGINES}
        for j in range(n % 3):
            per[ENGINES[(index + j) % 3]] += 1
        out[split] = per
    return out


def default_sizes(per_word, held_per_word=None):
    """held_per_word fixes the validation/test size apart from the training size, so a corpus
    with more training clips keeps exactly the same held-out clips (same seed)."""
    kw_held = held_per_word if held_per_word else max(3, per_word // 6)
    return {
        "keyword": {"train": per_word, "validation": kw_held, "test": kw_held},
        "auxiliary": {"train": max(3, per_word // 4), "validation": max(3, kw_held // 5),
                      "test": max(3, kw_held // 5)},
        "near_miss": {"train": max(3, per_word // 20), "validation": 1, "test": 1},
        "unknown": {"train": 3, "validation": 1, "test": 1},
    }


def opt_in_count(n, index):
    """Clips of an opt-in engine for a split that gives n clips to the three base engines:
    one engine's share, the remainder rotating with the word so it averages n / 3."""
    return (n + index % 3) // 3


def speaker_jobs(seed, word, kind, split, engine, n, pool):
    """n clips of one word, split and engine, cycling through a shuffled pool so one word
    uses many speakers; every item's randomness comes from its own key."""
    rnd = random.Random(f"{seed}|{word}|{split}|{engine}")
    order = list(pool)
    rnd.shuffle(order)
    jobs = []
    for i in range(n):
        spk = order[i % len(order)]
        rng = item_rng(seed, word, split, engine, i)
        jobs.append(dict(word=word, kind=kind, split=split, engine=engine,
                         voice=spk["voice"], variant=spk["variant"], speaker=spk["id"],
                         seed=int(rng.integers(0, 2 ** 31)),
                         params=draw_params(rng, engine, spk["voice"], spk)))
    return jobs


def make_plan(seed, words, pools, sizes, engines=ENGINES):
    """words: [(word, kind)]. Returns the list of job dicts. The base ENGINES are planned first
    and as if alone; a base engine left out of `engines` just loses its jobs, and opt-in engines
    are planned after them, so neither changes any base-engine clip."""
    jobs = []
    for index, (word, kind) in enumerate(words):
        for split, per in counts(sizes, word, kind, index).items():
            for engine, n in per.items():
                if engine in engines:
                    jobs += speaker_jobs(seed, word, kind, split, engine, n, pools[(engine, split)])
    for engine in (e for e in engines if e not in ENGINES):
        for index, (word, kind) in enumerate(words):
            for split, per in counts(sizes, word, kind, index).items():
                n = opt_in_count(sum(per.values()), index)
                jobs += speaker_jobs(seed, word, kind, split, engine, n, pools[(engine, split)])
    # Number the clips of each (word, speaker) like GSC's _nohash_<k>.
    seen = {}
    for j in jobs:
        k = seen.get((j["word"], j["speaker"]), 0)
        seen[(j["word"], j["speaker"])] = k + 1
        j["rel"] = f"{j['word']}/{j['speaker']}_nohash_{k}.wav"
    return jobs
