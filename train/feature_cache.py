"""Precomputed log-mel features, so training sees many epochs cheaply.

For every clip of a split, `versions` augmented renderings (augment.py) are turned into raw
log-mel features with the model's own front end (torchaudio's Kaldi fbank, as the C engine
computes it) and stored as float16 together with the speech span in frames and the speech
level. Background noise files are stored once at unit RMS; their level is set later by adding
2*ln(gain) to the log-mel values, which is exact for a scaled signal.
"""
import hashlib
import inspect
import os
import time
from multiprocessing import Pool

import numpy as np
import torch

from .augment import augment_clip, speech_span
from .mega_config import fbank_params
from .mega_ref import features_from_audio
from .wav import read_wav

RATE = 16000


def _clip_seed(seed, rel, version):
    digest = hashlib.sha1(f"{seed}:{rel}:{version}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def _render(job):
    path, rel, versions, seed, frontend, recipe = job
    torch.set_num_threads(1)
    x, rate = read_wav(path)
    if rate != RATE:
        raise ValueError(f"{path}: sample rate {rate}, expected {RATE}")
    out = []
    for v in range(max(1, versions)):
        rng = np.random.default_rng(_clip_seed(seed, rel, v))
        y = augment_clip(x, rng, v, recipe) if versions > 0 else x
        y = np.pad(y, (0, max(0, 16000 - len(y))))
        feats = features_from_audio(torch.from_numpy(y), frontend).numpy()
        start, end = speech_span(y)
        end = min(end, len(feats))
        level = float(10 * np.log10(np.mean(y[start * 160: end * 160 + 240] ** 2) + 1e-12))
        out.append((feats.astype(np.float16), start, end, level))
    return out


def build_clip_cache(index, split, frontend, versions, seed, jobs=2, limit=None, recipe="base"):
    """versions = 0 caches each clip as it is (evaluation); n > 0 caches n augmented renderings
    made with augmentation `recipe` (augment.RECIPES)."""
    items = index.clips[split]
    if limit:
        items = items[:limit]
    jobs_list = [(index.path(rel), rel, versions, seed, frontend, recipe) for rel, _ in items]
    t0 = time.time()
    with Pool(jobs) as pool:
        rendered = pool.map(_render, jobs_list, chunksize=16)
    feats, spans, levels, labels = [], [], [], []
    for (rel, label), versions_out in zip(items, rendered):
        for f, s, e, lev in versions_out:
            feats.append(torch.from_numpy(f))
            spans.append((s, e))
            levels.append(lev)
            labels.append(label)
    print(f"cache {split}: {len(items)} clips x {versions} versions in {time.time() - t0:.0f} s", flush=True)
    return {"feats": feats, "spans": torch.tensor(spans, dtype=torch.int32),
            "levels": torch.tensor(levels), "labels": torch.tensor(labels),
            "versions": versions, "rels": [rel for rel, _ in items]}


def build_noise_cache(index, frontend, files=None):
    """Log-mel of each background file scaled to unit RMS, float16."""
    out = []
    for path in files if files is not None else index.noise:
        x, rate = read_wav(path)
        if rate != RATE:
            raise ValueError(f"{path}: sample rate {rate}, expected {RATE}")
        x = x / (np.sqrt(np.mean(x ** 2)) + 1e-9)
        out.append(features_from_audio(torch.from_numpy(x.astype(np.float32)), frontend).half())
    return out


# The code that shapes a cached rendering: a change in any of it must not reuse a cache. Of the
# reference model only the feature function counts, so work on the network keeps the caches.
_SHAPING_SOURCES = ("augment.py", "codec.py", "feature_cache.py", "corpus_index.py", "wav.py")
_SOURCE_DIR = os.path.dirname(os.path.abspath(__file__))


def cache_key(prefix, paths, params):
    """Names a feature cache by everything that decides its contents: the input files (path,
    size, modification time), the parameters that shape the renderings (front-end configuration,
    versions, seed, augmentation recipe, labels, ...) and the source of the modules that render
    them. A readable prefix plus a hash: a changed augmentation can never silently reuse old
    features."""
    h = hashlib.sha256(repr(params).encode())
    for name in _SHAPING_SOURCES:
        with open(os.path.join(_SOURCE_DIR, name), "rb") as f:
            h.update(name.encode() + b"\0" + f.read())
    h.update(inspect.getsource(features_from_audio).encode())
    for path in paths:
        st = os.stat(path)
        h.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return f"{prefix}-{h.hexdigest()[:16]}"


def clip_cache_key(index, split, frontend, versions, seed, recipe):
    prefix = f"{split}-v{versions}-m{frontend.n_mels}-s{seed}-{recipe}"
    return cache_key(prefix, [index.path(rel) for rel, _ in index.clips[split]],
                     (split, versions, seed, recipe, sorted(fbank_params(frontend).items()),
                      [label for _, label in index.clips[split]]))


def noise_cache_key(index, frontend):
    return cache_key(f"noise-m{frontend.n_mels}", index.noise, sorted(fbank_params(frontend).items()))


def load_or_build(path, build):
    if os.path.exists(path):
        return torch.load(path)
    data = build()
    torch.save(data, path + ".tmp")
    os.replace(path + ".tmp", path)
    return data
