#!/usr/bin/python3
"""Trains the streaming Mega keyword classifier on a Speech Commands v2 style folder.

    /usr/bin/python3 -m train.train --corpus data/corpus --out models/default.safetensors

Works unchanged on the real Google Speech Commands v2 folder (--corpus path/to/speech_commands_v0.02).
Features are cached per split under --cache (several augmented renderings per training clip),
training examples are multi-second streams with per-frame targets (sequences.py), and the EMA
and attention state is carried from one batch to the next (truncated back-propagation through
time), so the model learns to be right in the middle of an endless stream, not only from a
zero state. The best checkpoint by validation clip accuracy is written as a model file.
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch

from . import objectives
from .adversary import Adversary, domain_ids, schedule
from .augment import RECIPES
from .corpus_index import DEFAULT_LABELS, CorpusIndex, speaker_of
from .decision import clip_decision
from .element_cli import element_defaults
from .feature_cache import (build_clip_cache, build_noise_cache, clip_cache_key, load_or_build,
                            noise_cache_key)
from .mega_ref import (PCEN_KEYS, FrontendConfig, MegaClassifier, MegaConfig, NetworkConfig,
                       count_params, fbank_params, frontend_dict, load_model, macs_per_frame, save_model)
from .sequences import IGNORE, LAYOUTS, SequenceBuilder


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", default="data/corpus")
    p.add_argument("--labels", default=",".join(DEFAULT_LABELS),
                   help="comma-separated labels; must include _silence_ and _unknown_")
    p.add_argument("--out", default="models/default.safetensors")
    p.add_argument("--log", help="JSON training log (default: next to --out)")
    p.add_argument("--cache", default="data/cache")
    p.add_argument("--versions", type=int, default=4, help="augmented renderings per training clip")
    p.add_argument("--augment", default="base", choices=RECIPES, help="waveform augmentation recipe "
                   "of the training clips (base; voices adds voice conversion and GStreamer codecs)")
    p.add_argument("--train-splits", default="train", help="e.g. train,validation to train on all speakers")
    p.add_argument("--exclude-engine", default="", help="leave this engine's speakers out of training "
                   "(espeak, flite, festival: the leave-one-engine-out study; needs the corpus's speakers.json)")
    p.add_argument("--no-near-misses", action="store_true", help="leave the near-miss unknown words "
                   "(train/words/near_miss.txt) out of training; the evaluation still has them")
    p.add_argument("--init", help="start from this model file's weights (same architecture)")
    p.add_argument("--max-gap", type=int, default=100, help="longest pause between words (frames)")
    p.add_argument("--p-keyword", type=float, default=0.5, help="share of words that are keywords")
    p.add_argument("--p-unknown", type=float, default=0.35, help="share of words that are unknown words "
                   "(the rest are long pauses)")
    p.add_argument("--unknown-from", type=float, default=0.0, help="where in an unknown word its frames "
                   "start to be scored as _unknown_ (0: onset; --label-from's value treats both kinds alike)")
    p.add_argument("--objective", default="frame", choices=objectives.OBJECTIVES, help="per-frame "
                   "cross-entropy, or max-pooling over each keyword occurrence (objectives.py)")
    p.add_argument("--layout", default="stream", choices=LAYOUTS, help="training examples: streams of "
                   "words with the state carried, or clips (one word, scored from its end on, each from a "
                   "zero state: clip-level pre-training; use a short --seq-frames such as 100)")
    p.add_argument("--unknown-weight", type=float, default=1.0, help="loss weight of _unknown_ targets")
    p.add_argument("--extra-corpus", default="", help="a second corpus whose training speakers are added "
                   "(e.g. a Gnuspeech-only one: make_corpus.py --engines gnuspeech); its klettres clips are "
                   "left out, the main corpus has them")
    p.add_argument("--real", default="", help="a real-recordings set in the same layout "
                   "(train/make_real_set.py); its training speakers (not in testing_list.txt) are mixed in")
    p.add_argument("--p-real", type=float, default=0.0, help="share of words drawn from --real")
    p.add_argument("--adv-weight", type=float, default=0.0, help="domain-adversarial training (adversary.py): "
                   "final weight of the reversed gradient of a head that tells the engines and real "
                   "recordings apart (0: off)")
    p.add_argument("--snr-db", default="0,30", help="range of speech-to-background ratios (dB)")
    p.add_argument("--dropout", type=float, default=0.0, help="dropout inside the blocks while training")
    p.add_argument("--mel-warp", type=float, default=0.0, help="per-word random stretch of the mel "
                   "axis by up to this fraction (vocal tract length perturbation on features)")
    p.add_argument("--freq-masks", type=int, default=2, help="SpecAugment frequency masks per sequence")
    p.add_argument("--freq-mask-width", type=int, default=8, help="widest SpecAugment frequency mask (bins)")
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--minutes", type=float, default=0, help="stop after this much training time")
    p.add_argument("--batch", type=int, default=24)
    p.add_argument("--seq-frames", type=int, default=600)
    p.add_argument("--carry-steps", type=int, default=4, help="batches a stream's state is carried over")
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--warmup", type=int, help="warm-up steps (default: a tenth of --steps, at most 200)")
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--label-smoothing", type=float, default=0.05)
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--loader-workers", type=int, help="processes building training sequences "
                   "(0: in the training process; default 0 on a CPU, up to 8 with a GPU, which needs "
                   "several to be kept busy)")
    p.add_argument("--label-from", type=float, default=0.5, help="where in a keyword its frames "
                   "start to be scored, as a fraction of the word (0: onset, 0.5: mid-word)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    n = NetworkConfig()
    for name in ("d_model", "z_dim", "h_dim", "ffn_dim", "n_dim", "n_layers", "window"):
        p.add_argument("--" + name.replace("_", "-"), type=int, default=getattr(n, name))
    for name in ("attention", "rel_pos_bias", "norm", "window_mode", "activation"):
        p.add_argument("--" + name.replace("_", "-"), default=getattr(n, name))
    fe = FrontendConfig()
    p.add_argument("--n-mels", type=int, default=fe.n_mels)
    p.add_argument("--normalization", default=fe.normalization, choices=("global", "pcen", "running"),
                   help="causal per-stream feature normalisation before the per-bin standardisation "
                   "(model/FORMAT.md): pcen on the mel energies, or running mean/variance of the log-mel")
    for name in PCEN_KEYS:
        p.add_argument("--" + name.replace("_", "-"), type=float, default=getattr(fe, name),
                       help="PCEN parameter (with --normalization pcen)")
    p.add_argument("--running-frames", type=int, default=fe.running_frames,
                   help="time constant of --normalization running, in frames")
    p.add_argument("--smoothing-frames", type=int, help="clip rule window in frames for model "
                   "selection (default: the element's default smoothing)")
    p.add_argument("--clip-threshold", type=float, help="clip rule threshold for model selection "
                   "(default: the element's default threshold)")
    return p.parse_args(argv)


def make_config(args, labels):
    net = NetworkConfig(d_model=args.d_model, z_dim=args.z_dim, h_dim=args.h_dim, ffn_dim=args.ffn_dim,
                        n_dim=args.n_dim, n_layers=args.n_layers, window=args.window,
                        attention=args.attention, rel_pos_bias=args.rel_pos_bias, norm=args.norm,
                        window_mode=args.window_mode, activation=args.activation)
    fe = FrontendConfig(n_mels=args.n_mels, normalization=args.normalization,
                        running_frames=args.running_frames, **{k: getattr(args, k) for k in PCEN_KEYS})
    return MegaConfig(labels=labels, frontend=fe, network=net)


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


@torch.no_grad()
def set_per_bin_statistics(model, builder, n_mels):
    """frontend.mean/std from what the model will actually see (words over backgrounds), after
    the causal normalisation, which runs before it (each sequence from a fresh state)."""
    sample = torch.cat([model.causal_features(builder.batch(8)[0])[0].reshape(-1, n_mels) for _ in range(8)])
    model.frontend.mean.copy_(sample.mean(0))
    model.frontend.std.copy_(sample.std(0).clamp_min(1e-3))


@torch.no_grad()
def clip_accuracy(model, cache, labels, window, threshold, device, batch=256):
    """Each clip from a zero state, decided by the element's end-of-stream summary rule."""
    model.eval()
    correct = 0
    n = len(cache["feats"])
    for i in range(0, n, batch):
        feats = torch.stack([f.float() for f in cache["feats"][i:i + batch]]).to(device)
        post = torch.softmax(model(feats), dim=-1).cpu().numpy()
        for j, p in enumerate(post):
            pred, _ = clip_decision(p, labels, window, threshold)
            correct += int(pred == int(cache["labels"][i + j]))
    model.train()
    return correct / max(1, n)


@torch.no_grad()
def frame_accuracy(model, batches, device):
    model.eval()
    good = total = 0
    for x, y in batches:
        pred = model(x.to(device)).argmax(-1).cpu()
        mask = y != IGNORE
        good += int((pred[mask] == y[mask]).sum())
        total += int(mask.sum())
    model.train()
    return good / max(1, total)


class SequenceStream(torch.utils.data.IterableDataset):
    """Endless training batches; each loader process draws from its own seeded generator."""

    def __init__(self, make_builder, batch, seed):
        self.make_builder, self.batch, self.seed = make_builder, batch, seed

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        torch.set_num_threads(1)
        builder = self.make_builder(np.random.default_rng([self.seed, info.id if info else 0]))
        while True:
            yield builder.batch(self.batch)


def training_batches(make_builder, args):
    if args.loader_workers <= 0:
        builder = make_builder(np.random.default_rng(args.seed))
        while True:
            yield builder.batch(args.batch)
    loader = torch.utils.data.DataLoader(SequenceStream(make_builder, args.batch, args.seed), batch_size=None,
                                         num_workers=args.loader_workers, prefetch_factor=4,
                                         pin_memory=args.device.startswith("cuda"))
    yield from loader


def main(argv=None):
    args = parse_args(argv)
    if args.loader_workers is None:
        args.loader_workers = 0 if args.device == "cpu" else max(1, min(8, (os.cpu_count() or 2) - 1))
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    labels = args.labels.split(",")
    config = make_config(args, labels)
    defaults = element_defaults()
    if args.smoothing_frames is None:
        args.smoothing_frames = max(1, round(defaults["smoothing_ms"] / config.frontend.frame_shift_ms))
    if args.clip_threshold is None:
        args.clip_threshold = defaults["threshold"]
    os.makedirs(args.cache, exist_ok=True)
    index = CorpusIndex(args.corpus, labels)
    print(json.dumps(index.summary()), flush=True)
    fe = config.frontend

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
    def other_set_cache(root, prefix):
        """The training split of another set in the corpus layout, rendered like the corpus."""
        other = CorpusIndex(root, labels)
        return load_or_build(os.path.join(args.cache, prefix + clip_cache_key(
            other, "train", fe, args.versions, args.seed, args.augment) + ".pt"),
            lambda: build_clip_cache(other, "train", fe, args.versions, args.seed, args.jobs,
                                     recipe=args.augment))

    if args.extra_corpus:
        # Its klettres recordings are the main corpus's own: not counted twice.
        extra = drop_clips(other_set_cache(args.extra_corpus, "extra-"), lambda rel: rel.startswith("klettres/"))
        print(f"extra corpus: {len(extra['feats'])} renderings of {len(extra['rels'])} clips", flush=True)
        train = merge_caches([train, extra])
    real = None
    if args.real:
        real = other_set_cache(args.real, "real-")
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

    def make_builder(rng):
        return SequenceBuilder(train, noise, labels, args.seq_frames, rng, p_keyword=args.p_keyword,
                               max_gap=args.max_gap, label_from=args.label_from,
                               snr_db=tuple(float(v) for v in args.snr_db.split(",")),
                               freq_masks=args.freq_masks, freq_mask_width=args.freq_mask_width,
                               mel_warp=args.mel_warp, p_unknown=args.p_unknown,
                               unknown_from=args.unknown_from, real=real, p_real=args.p_real,
                               layout=args.layout)

    builder = make_builder(np.random.default_rng(args.seed + 1000))
    val_builder = SequenceBuilder(cache_for("validation", 1), noise, labels,
                                  args.seq_frames, np.random.default_rng(1234), specaugment=False,
                                  label_from=args.label_from, unknown_from=args.unknown_from)
    val_batches = [val_builder.batch(args.batch) for _ in range(4)]

    model = MegaClassifier(config)
    if args.init:
        init = load_model(args.init)
        old, new = fbank_params(init.config.frontend), fbank_params(config.frontend)
        if old != new:  # another filter bank: the network would read different features
            raise SystemExit(f"--init {args.init}: front end {old} differs from {new}")
        model.load_state_dict(init.state_dict())
        if frontend_dict(init.config.frontend) != frontend_dict(config.frontend):
            # Only the causal normalisation changes: the network is kept, and the per-bin
            # statistics are those of the newly normalised features, so its input stays standardised.
            set_per_bin_statistics(model, builder, fe.n_mels)
    else:
        set_per_bin_statistics(model, builder, fe.n_mels)
    model.set_dropout(args.dropout)
    model.to(args.device).train()
    params = count_params(model)
    macs = macs_per_frame(config)
    print(f"model: {params} parameters, {macs * 100 / 1e6:.1f} M MAC per second of audio", flush=True)

    adversary = Adversary(model).to(args.device) if args.adv_weight > 0 else None
    is_keyword = torch.tensor([not l.startswith("_") for l in labels], device=args.device)
    class_weight = torch.ones(len(labels), device=args.device)
    class_weight[labels.index("_unknown_")] = args.unknown_weight
    trained = list(model.parameters()) + (list(adversary.parameters()) if adversary is not None else [])
    opt = torch.optim.AdamW(trained, lr=args.lr, weight_decay=args.weight_decay)
    warmup = args.warmup if args.warmup is not None else max(1, min(200, args.steps // 10))

    def lr_at(step):
        """Linear warm-up, then cosine decay over the run, whether steps or minutes end it."""
        if step < warmup:
            return args.lr * (step + 1) / warmup
        done = (step - warmup) / max(1, args.steps - warmup)
        if args.minutes:
            done = max(done, (time.time() - t0) / (args.minutes * 60))
        return args.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, done)))

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)

    def save_best(weights, accuracy):
        """The best checkpoint so far is always on disk, as a model file the element can load."""
        snapshot = MegaClassifier(config)
        snapshot.load_state_dict(weights)
        description = (f"gst-mega keyword model trained on {os.path.basename(os.path.abspath(args.corpus))}; "
                       f"{params} parameters; validation clip accuracy {accuracy:.4f}")
        save_model(snapshot.eval(), args.out, description)

    log = {"config": config.to_dict(), "args": vars(args), "params": params, "macs_per_frame": macs,
           "curve": []}
    best, best_state = -1.0, None
    state = None
    t0 = time.time()
    losses, adv_losses = [], []
    batches = training_batches(make_builder, args)
    for step in range(args.steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        x, y, *dom = (t.to(args.device, non_blocking=True) for t in next(batches))
        if step % args.carry_steps == 0 or args.layout == "clip":
            state = None
        logits, state = model(x, state, return_state=True)
        state = state.detach()
        loss = objectives.loss(logits, y, args.objective, is_keyword, weight=class_weight,
                               label_smoothing=args.label_smoothing)
        if adversary is not None:
            progress = max(step / args.steps, (time.time() - t0) / (args.minutes * 60) if args.minutes else 0.0)
            adv_loss = adversary.loss(dom[0], schedule(progress, args.adv_weight), IGNORE)
            adv_losses.append(float(adv_loss))
        losses.append(float(loss))
        opt.zero_grad()
        (loss + adv_loss if adversary is not None else loss).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        last = step == args.steps - 1 or (args.minutes and time.time() - t0 > args.minutes * 60)
        if (step + 1) % args.eval_every == 0 or last:
            acc = clip_accuracy(model, val_clips, labels, args.smoothing_frames, args.clip_threshold, args.device)
            facc = frame_accuracy(model, val_batches, args.device)
            entry = {"step": step + 1, "minutes": (time.time() - t0) / 60, "loss": float(np.mean(losses)),
                     "val_clip_accuracy": acc, "val_frame_accuracy": facc, "lr": lr_at(step)}
            if adv_losses:
                entry["domain_loss"] = float(np.mean(adv_losses))
                adv_losses = []
            log["curve"].append(entry)
            print(json.dumps(entry), flush=True)
            losses = []
            if acc > best:
                best = acc
                best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
                save_best(best_state, best)
        if last:
            break

    save_best(best_state, best)
    log["best_val_clip_accuracy"] = best
    log["train_minutes"] = (time.time() - t0) / 60
    with open(args.log or os.path.splitext(args.out)[0] + ".train.json", "w") as f:
        json.dump(log, f, indent=1)
    print(f"wrote {args.out} (best validation clip accuracy {best:.4f})", flush=True)


if __name__ == "__main__":
    main()
