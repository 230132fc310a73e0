#!/usr/bin/python3
"""Trains the streaming Mega keyword classifier on a Speech Commands v2 style folder.

    /usr/bin/python3 -m train.train --corpus data/corpus --out models/default.safetensors

Works unchanged on the real Google Speech Commands v2 folder (--corpus path/to/speech_commands_v0.02).
Features are cached per split under --cache (several augmented renderings per training clip),
training examples are multi-second streams with per-frame targets (sequences.py), and the EMA
and attention state is carried from one batch to the next (truncated back-propagation through
time), so the model learns to be right in the middle of an endless stream, not only from a
zero state. The best checkpoint by validation clip accuracy is written as a model file (with
--layout clip, the last one: --select).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

from . import objectives, resume
from .adversary import Adversary, schedule
from .augment import RECIPES
from .corpus_index import DEFAULT_LABELS
from .decision import clip_decision
from .element_cli import element_defaults
from .mega_config import (NORMALIZATION_KEYS, PCEN_KEYS, FrontendConfig, MegaConfig, NetworkConfig, fbank_params, frontend_dict,
                          macs_per_frame)
from .mega_ref import MegaClassifier, count_params
from .model_io import load_model, save_model
from .sequences import IGNORE, LAYOUTS
from .train_data import TrainingBatches, builder_factory, load_data, validation_batches


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
    p.add_argument("--real-versions", type=int, default=0, help="augmented renderings per --real clip "
                   "(default: --versions); a high --p-real draws the few real clips often")
    p.add_argument("--p-overlay", type=float, default=0.0, help="share of words that get another "
                   "utterance mixed under them, keeping their label (sequences.py: a real non-keyword "
                   "with --real, else a synthetic one)")
    p.add_argument("--overlay-snr-db", default="5,20", help="range of how far below the word the "
                   "overlaid utterance is (dB)")
    p.add_argument("--p-floor", type=float, default=0.0, help="share of sequences whose background "
                   "gets a white-noise floor like a microphone's (sequences.py; 0: clean means digital silence)")
    p.add_argument("--floor-db", default="-90,-50", help="range of the noise floor's level (dB re unit RMS)")
    p.add_argument("--floor-tilt-db", type=float, default=10.0, help="largest spectral tilt of the noise "
                   "floor across the mel axis (dB, either sign)")
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
    p.add_argument("--session-minutes", type=float, default=0, help="stop this invocation after this "
                   "much training time, the run unfinished (--steps and --minutes still set its schedule): "
                   "its state is written to OUT.resume.pt and the exit status is 75; --resume goes on")
    p.add_argument("--session-steps", type=int, default=0, help="the same, after this many steps")
    p.add_argument("--resume", action="store_true", help="go on with the run stopped at OUT.resume.pt "
                   "(written at every validation point and at a session's end), if there is one; the "
                   "options must be the stopped run's (train/resume.py)")
    p.add_argument("--batch", type=int, default=24)
    p.add_argument("--seq-frames", type=int, default=600)
    p.add_argument("--carry-steps", type=int, default=4, help="batches a stream's state is carried over")
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--warmup", type=int, help="warm-up steps (default: a tenth of --steps, at most 200)")
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--label-smoothing", type=float, default=0.05)
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument("--select", choices=("val", "last"), help="the weights written: the best validation "
                   "clip accuracy (val, the default for --layout stream) or the last step's (last, the "
                   "default for --layout clip: streamed validation clips do not measure a model that "
                   "has only been scored at the end of zero-state clips)")
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
    p.add_argument("--normalization", choices=("global", "pcen", "running"),
                   help="causal per-stream feature normalisation before the per-bin standardisation "
                   "(model/FORMAT.md): pcen on the mel energies, or running mean/variance of the log-mel "
                   f"(default: --init's, else {fe.normalization})")
    for name in PCEN_KEYS:
        p.add_argument("--" + name.replace("_", "-"), type=float,
                       help=f"PCEN parameter (with --normalization pcen; default: --init's, else {getattr(fe, name)})")
    p.add_argument("--running-frames", type=int,
                   help=f"time constant of --normalization running, in frames (default: --init's, else {fe.running_frames})")
    p.add_argument("--smoothing-frames", type=int, help="clip rule window in frames for model "
                   "selection (default: the element's default smoothing)")
    p.add_argument("--clip-threshold", type=float, help="clip rule threshold for model selection "
                   "(default: the element's default threshold)")
    return p.parse_args(argv)


def normalization_defaults(args):
    """The causal normalisation options not given come from --init's model, so continuing a PCEN
    model keeps PCEN; without --init, from FrontendConfig."""
    given = load_model(args.init).config.frontend if args.init else FrontendConfig()
    for name in NORMALIZATION_KEYS:
        if getattr(args, name) is None:
            setattr(args, name, getattr(given, name))


def make_config(args, labels):
    net = NetworkConfig(d_model=args.d_model, z_dim=args.z_dim, h_dim=args.h_dim, ffn_dim=args.ffn_dim,
                        n_dim=args.n_dim, n_layers=args.n_layers, window=args.window,
                        attention=args.attention, rel_pos_bias=args.rel_pos_bias, norm=args.norm,
                        window_mode=args.window_mode, activation=args.activation)
    fe = FrontendConfig(n_mels=args.n_mels, normalization=args.normalization,
                        running_frames=args.running_frames, **{k: getattr(args, k) for k in PCEN_KEYS})
    return MegaConfig(labels=labels, frontend=fe, network=net)


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


def setup(args):
    """Seeds, threads and the defaults that follow the device and the element -> the model
    configuration."""
    if args.loader_workers is None:
        args.loader_workers = 0 if args.device == "cpu" else max(1, min(8, (os.cpu_count() or 2) - 1))
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    normalization_defaults(args)
    config = make_config(args, args.labels.split(","))
    defaults = element_defaults()
    if args.smoothing_frames is None:
        args.smoothing_frames = max(1, round(defaults["smoothing_ms"] / config.frontend.frame_shift_ms))
    if args.clip_threshold is None:
        args.clip_threshold = defaults["threshold"]
    if args.select is None:
        args.select = "last" if args.layout == "clip" else "val"
    return config


def build_model(args, config, builder):
    """A fresh model or --init's weights, its per-bin statistics measured where they are not
    valid for this configuration, on the training device."""
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
            set_per_bin_statistics(model, builder, config.frontend.n_mels)
    else:
        set_per_bin_statistics(model, builder, config.frontend.n_mels)
    model.set_dropout(args.dropout)
    model.to(args.device).train()
    return model


class Schedule:
    """Linear warm-up, then cosine decay over the run, whether steps or minutes end it; the
    run's clock."""

    def __init__(self, args):
        self.args = args
        self.warmup = args.warmup if args.warmup is not None else max(1, min(200, args.steps // 10))
        self.t0 = time.time()
        self.before = 0.0   # seconds trained in earlier sessions of the run

    def start(self, before=0.0):
        self.t0, self.before = time.time(), before

    def seconds(self):
        return self.before + self.session_seconds()

    def session_seconds(self):
        return time.time() - self.t0

    def lr(self, step):
        a = self.args
        if step < self.warmup:
            return a.lr * (step + 1) / self.warmup
        done = (step - self.warmup) / max(1, a.steps - self.warmup)
        if a.minutes:
            done = max(done, self.seconds() / (a.minutes * 60))
        return a.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, done)))

    def progress(self, step):
        """The share of the run done, for the adversary's ramp."""
        a = self.args
        return max(step / a.steps, self.seconds() / (a.minutes * 60) if a.minutes else 0.0)

    def last(self, step):
        return step == self.args.steps - 1 or (self.args.minutes and self.seconds() > self.args.minutes * 60)

    def session_over(self, steps_this_session):
        a = self.args
        return bool((a.session_steps and steps_this_session >= a.session_steps) or
                    (a.session_minutes and self.session_seconds() > a.session_minutes * 60))


def save_checkpoint(args, config, params, weights, accuracy):
    """The best checkpoint so far is always on disk, as a model file the element can load."""
    snapshot = MegaClassifier(config)
    snapshot.load_state_dict(weights)
    description = (f"gst-mega keyword model trained on {os.path.basename(os.path.abspath(args.corpus))}; "
                   f"{params} parameters; validation clip accuracy {accuracy:.4f}")
    save_model(snapshot.eval(), args.out, description)


def optimiser(args, model, labels):
    """The domain adversary (with --adv-weight), the loss's keyword mask and class weights, and
    AdamW over the model and the adversary."""
    adversary = Adversary(model).to(args.device) if args.adv_weight > 0 else None
    is_keyword = torch.tensor([not l.startswith("_") for l in labels], device=args.device)
    class_weight = torch.ones(len(labels), device=args.device)
    class_weight[labels.index("_unknown_")] = args.unknown_weight
    trained = list(model.parameters()) + (list(adversary.parameters()) if adversary is not None else [])
    opt = torch.optim.AdamW(trained, lr=args.lr, weight_decay=args.weight_decay)
    return adversary, is_keyword, class_weight, opt


def validation_entry(args, model, data, val_batches, step, sched, losses, adv_losses):
    """One point of the training curve: the mean losses since the last one, the validation
    clips decided by the element's summary rule, the validation streams' frame accuracy."""
    acc = clip_accuracy(model, data["val_clips"], model.config.labels, args.smoothing_frames,
                        args.clip_threshold, args.device)
    facc = frame_accuracy(model, val_batches, args.device)
    entry = {"step": step + 1, "minutes": sched.seconds() / 60, "loss": float(np.mean(losses)),
             "val_clip_accuracy": acc, "val_frame_accuracy": facc, "lr": sched.lr(step)}
    if adv_losses:
        entry["domain_loss"] = float(np.mean(adv_losses))
    return entry


class Run:
    """What a training run carries from step to step, and so what a resumed run restores."""

    def __init__(self):
        self.step = 0                     # the next step
        self.best, self.best_state = -1.0, None
        self.state = None                 # the stream state carried over --carry-steps batches
        self.losses, self.adv_losses = [], []

    def save(self, path, args, model, adversary, opt, sched, batches, log):
        resume.save(path, args=vars(args), step=self.step, seconds=sched.seconds(), best=self.best,
                    best_state=self.best_state, losses=self.losses,
                    stream_state=None if self.state is None else self.state.clone(),
                    adv_losses=self.adv_losses, model=model.state_dict(), opt=opt.state_dict(),
                    adversary=adversary.state_dict() if adversary is not None else None,
                    batches_rng=batches.rng_state(), torch_rng=torch.get_rng_state(), log=log)

    def restore(self, saved, model, adversary, opt, log):
        self.step, self.best, self.best_state = saved["step"], saved["best"], saved["best_state"]
        self.state, self.losses, self.adv_losses = saved["stream_state"], saved["losses"], saved["adv_losses"]
        model.load_state_dict(saved["model"])
        if adversary is not None:
            adversary.load_state_dict(saved["adversary"])
        opt.load_state_dict(saved["opt"])
        torch.set_rng_state(saved["torch_rng"])
        for key in ("curve", "selected_step", "resumed_at"):
            if key in saved["log"]:
                log[key] = saved["log"][key]
        log.setdefault("resumed_at", []).append(self.step)


def train_loop(args, model, data, make_builder, val_batches, log):
    """Truncated back-propagation through time over endless training batches, the state carried
    for --carry-steps batches; every --eval-every steps the validation clips decide whether this
    is the best checkpoint, which is saved at once, and the run's state is saved for --resume.
    Returns (best accuracy, its weights, the run's clock), or None when the session's share ended
    first."""
    adversary, is_keyword, class_weight, opt = optimiser(args, model, model.config.labels)
    sched = Schedule(args)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    run, saved, path = Run(), None, resume.resume_path(args.out)
    if args.resume and os.path.exists(path):
        saved = resume.load(path, args)
        run.restore(saved, model, adversary, opt, log)
        print(f"resumed {path} at step {run.step} ({saved['seconds'] / 60:.1f} minutes trained)", flush=True)
    batches = TrainingBatches(make_builder, args, saved and saved["batches_rng"], run.step)
    sched.start(saved["seconds"] if saved else 0.0)
    first = run.step
    for step in range(first, args.steps):
        for g in opt.param_groups:
            g["lr"] = sched.lr(step)
        x, y, *dom = (t.to(args.device, non_blocking=True) for t in next(batches))
        if step % args.carry_steps == 0 or args.layout == "clip":
            run.state = None
        logits, state = model(x, run.state, return_state=True)
        run.state = state.detach()
        loss = objectives.loss(logits, y, args.objective, is_keyword, weight=class_weight,
                               label_smoothing=args.label_smoothing)
        if adversary is not None:
            adv_loss = adversary.loss(dom[0], schedule(sched.progress(step), args.adv_weight), IGNORE)
            run.adv_losses.append(float(adv_loss))
        run.losses.append(float(loss))
        opt.zero_grad()
        (loss + adv_loss if adversary is not None else loss).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        run.step = step + 1
        last = sched.last(step)
        evaluated = (step + 1) % args.eval_every == 0 or last
        if evaluated:
            entry = validation_entry(args, model, data, val_batches, step, sched, run.losses, run.adv_losses)
            run.losses, run.adv_losses = [], []
            log["curve"].append(entry)
            print(json.dumps(entry), flush=True)
            if entry["val_clip_accuracy"] > run.best or args.select == "last":
                run.best = entry["val_clip_accuracy"]
                run.best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
                log["selected_step"] = entry["step"]
                save_checkpoint(args, model.config, log["params"], run.best_state, run.best)
        if last:
            break
        over = sched.session_over(run.step - first)   # once: a clock read twice could disagree
        if evaluated or over:
            run.save(path, args, model, adversary, opt, sched, batches, log)
        if over:
            print(f"stopped for this session at step {run.step}: {path}; the same command with --resume "
                  "goes on", flush=True)
            return None
    resume.remove(path)
    return run.best, run.best_state, sched


def main(argv=None):
    args = parse_args(argv)
    config = setup(args)
    labels = config.labels
    data = load_data(args, labels, config.frontend)
    make_builder = builder_factory(args, data, labels)
    builder = make_builder(np.random.default_rng(args.seed + 1000))
    val_batches = validation_batches(args, data, labels)
    model = build_model(args, config, builder)
    params = count_params(model)
    macs = macs_per_frame(config)
    print(f"model: {params} parameters, {macs * 100 / 1e6:.1f} M MAC per second of audio", flush=True)

    log = {"config": config.to_dict(), "args": vars(args), "params": params, "macs_per_frame": macs,
           "curve": []}
    done = train_loop(args, model, data, make_builder, val_batches, log)
    if done is None:
        sys.exit(resume.STOPPED)
    best, best_state, clock = done
    save_checkpoint(args, config, params, best_state, best)
    log["best_val_clip_accuracy"] = best      # with --select last: the last step's
    log["selection"] = args.select
    log["train_minutes"] = clock.seconds() / 60
    with open(args.log or os.path.splitext(args.out)[0] + ".train.json", "w") as f:
        json.dump(log, f, indent=1)
    print(f"wrote {args.out} (step {log['selected_step']}, {args.select}; validation clip accuracy "
          f"{best:.4f})", flush=True)


if __name__ == "__main__":
    main()
