"""The training data of train.py: the cached features of the corpus (and of an extra corpus and
a real-recordings set), the clips left out by the leave-one-engine-out and near-miss options,
and the endless training batches built from them (sequences.py), in loader processes on a GPU.
"""
import json
import os

import numpy as np
import torch

from .adversary import domain_ids
from .corpus_index import CorpusIndex, speaker_of
from .feature_cache import build_clip_cache, build_noise_cache, clip_cache_key, load_or_build, noise_cache_key
from .mega_ref import features_from_audio
from .sequences import SequenceBuilder


def merge_caches(caches):
    out = {"feats": [], "spans": [], "levels": [], "labels": [], "rels": []}
    for c in caches:
        for k in out:
            out[k] = out[k] + (list(c[k]) if k in ("feats", "rels") else [c[k]])
    for k in ("spans", "levels", "labels"):
        out[k] = torch.cat(out[k])
    return out


def engine_speakers(corpus, engine):
    with open(os.path.join(corpus, "speakers.json")) as f:
        return {s["id"] for s in json.load(f)["speakers"] if s["engine"] == engine}


def drop_clips(cache, drop):
    """The cache without the clips whose relative path `drop(rel)` is true (all their renderings)."""
    per_clip = len(cache["feats"]) // max(1, len(cache["rels"]))
    keep = [i for i in range(len(cache["feats"])) if not drop(cache["rels"][i // per_clip])]
    if len(keep) == len(cache["feats"]):
        return cache
    idx = torch.tensor(keep)
    return {"feats": [cache["feats"][i] for i in keep], "spans": cache["spans"][idx],
            "levels": cache["levels"][idx], "labels": cache["labels"][idx],
            "rels": [cache["rels"][i // per_clip] for i in keep[::per_clip]]}


def near_miss_words():
    """The unknown words chosen for sounding close to a keyword (train/words/near_miss.txt)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "words", "near_miss.txt")
    with open(path) as f:
        return {line.split("#", 1)[0].strip().lower() for line in f} - {""}


class SequenceStream(torch.utils.data.IterableDataset):
    """Endless training batches; each loader process draws from its own seeded generator (a
    resumed run's from its step as well: loader processes cannot be resumed exactly)."""

    def __init__(self, make_builder, batch, seed, from_step=0):
        self.make_builder, self.batch, self.seed, self.from_step = make_builder, batch, seed, from_step

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        torch.set_num_threads(1)
        key = [self.seed, info.id if info else 0] + ([self.from_step] if self.from_step else [])
        builder = self.make_builder(np.random.default_rng(key))
        while True:
            yield builder.batch(self.batch)


class TrainingBatches:
    """The endless training batches. Built in this process (no loader workers), their generator's
    state can be saved (`rng_state`) and restored (`rng_state=`), so a resumed run draws the batches
    the uninterrupted one would have."""

    def __init__(self, make_builder, args, rng_state=None, from_step=0):
        self.rng = None
        if args.loader_workers <= 0:
            self.rng = np.random.default_rng(args.seed)
            if rng_state is not None:
                self.rng.bit_generator.state = rng_state
            builder = make_builder(self.rng)
            self.source = iter(lambda: builder.batch(args.batch), None)
        else:
            self.source = iter(torch.utils.data.DataLoader(
                SequenceStream(make_builder, args.batch, args.seed, from_step), batch_size=None,
                num_workers=args.loader_workers, prefetch_factor=4, pin_memory=args.device.startswith("cuda")))

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.source)

    def rng_state(self):
        return None if self.rng is None else self.rng.bit_generator.state


def load_data(args, labels, fe):
    """The cached features: training renderings (with the extra corpus, and the real set kept
    apart), validation clips and background noises; domain ids when the adversary is on."""
    os.makedirs(args.cache, exist_ok=True)
    index = CorpusIndex(args.corpus, labels)
    print(json.dumps(index.summary()), flush=True)

    def cache_for(split, versions, recipe="base"):
        tag = clip_cache_key(index, split, fe, versions, args.seed, recipe)
        return load_or_build(os.path.join(args.cache, tag + ".pt"),
                             lambda: build_clip_cache(index, split, fe, versions, args.seed, args.jobs,
                                                      recipe=recipe))

    train = merge_caches([cache_for(s, args.versions, args.augment) for s in args.train_splits.split(",")])
    if args.exclude_engine:
        left_out = engine_speakers(args.corpus, args.exclude_engine)
        train = drop_clips(train, lambda rel: speaker_of(rel) in left_out)
    if args.no_near_misses:
        near = near_miss_words()
        train = drop_clips(train, lambda rel: rel.split("/")[0] in near)

    def other_set_cache(root, prefix, versions):
        """The training split of another set in the corpus layout, rendered like the corpus."""
        other = CorpusIndex(root, labels)
        return load_or_build(os.path.join(args.cache, prefix + clip_cache_key(
            other, "train", fe, versions, args.seed, args.augment) + ".pt"),
            lambda: build_clip_cache(other, "train", fe, versions, args.seed, args.jobs,
                                     recipe=args.augment))

    if args.extra_corpus:
        # Its klettres recordings are the main corpus's own: not counted twice.
        extra = drop_clips(other_set_cache(args.extra_corpus, "extra-", args.versions),
                           lambda rel: rel.startswith("klettres/"))
        print(f"extra corpus: {len(extra['feats'])} renderings of {len(extra['rels'])} clips", flush=True)
        train = merge_caches([train, extra])
    real = None
    if args.real:
        real = other_set_cache(args.real, "real-", args.real_versions or args.versions)
        print(f"real: {len(real['feats'])} renderings of {len(real['rels'])} real-train clips", flush=True)
    if args.adv_weight > 0:
        engine_of = {}
        for root in filter(None, (args.corpus, args.extra_corpus)):
            with open(os.path.join(root, "speakers.json")) as f:
                engine_of.update({sp["id"]: sp["engine"] for sp in json.load(f)["speakers"]})
        train["domains"] = domain_ids(train["rels"], len(train["feats"]) // len(train["rels"]), engine_of, speaker_of)
        if real is not None:
            real["domains"] = domain_ids(real["rels"], len(real["feats"]) // len(real["rels"]), {}, speaker_of,
                                         default="real")
    val_clips = cache_for("validation", 0)
    noise = load_or_build(os.path.join(args.cache, noise_cache_key(index, fe) + ".pt"),
                          lambda: build_noise_cache(index, fe))
    print(f"train: {len(train['feats'])} renderings, validation: {len(val_clips['feats'])} clips, "
          f"noise files: {len(noise)}", flush=True)
    return {"train": train, "real": real, "val_clips": val_clips, "noise": noise,
            "val_streams": cache_for("validation", 1),
            "floor": noise_floor_features(fe) if args.p_floor else None}


def noise_floor_features(fe, seconds=10.0):
    """Log-mel of unit-RMS white noise (a fixed draw): the shape of the training noise floor."""
    x = np.random.default_rng(0).standard_normal(int(seconds * fe.sample_rate)).astype(np.float32)
    return features_from_audio(torch.from_numpy(x), fe)


def builder_factory(args, data, labels):
    """make_builder(rng) -> the training sequences' builder (each loader process makes its own)."""
    def make_builder(rng):
        return SequenceBuilder(data["train"], data["noise"], labels, args.seq_frames, rng,
                               p_keyword=args.p_keyword, max_gap=args.max_gap, label_from=args.label_from,
                               snr_db=tuple(float(v) for v in args.snr_db.split(",")),
                               freq_masks=args.freq_masks, freq_mask_width=args.freq_mask_width,
                               mel_warp=args.mel_warp, p_unknown=args.p_unknown,
                               unknown_from=args.unknown_from, real=data["real"], p_real=args.p_real,
                               layout=args.layout, p_overlay=args.p_overlay,
                               overlay_snr_db=tuple(float(v) for v in args.overlay_snr_db.split(",")),
                               floor=data.get("floor"), p_floor=args.p_floor,
                               floor_db=tuple(float(v) for v in args.floor_db.split(",")),
                               floor_tilt_db=args.floor_tilt_db)
    return make_builder


def validation_batches(args, data, labels):
    """Fixed validation streams for the frame accuracy, from their own seed."""
    val_builder = SequenceBuilder(data["val_streams"], data["noise"], labels,
                                  args.seq_frames, np.random.default_rng(1234), specaugment=False,
                                  label_from=args.label_from, unknown_from=args.unknown_from)
    return [val_builder.batch(args.batch) for _ in range(4)]
