#!/usr/bin/python3
"""Golden vectors for the C engine, computed by the PyTorch reference in float64.

For every case writes, into tests/golden/ (or --out):
  <case>.safetensors     the model file (model/FORMAT.md), random weights
  <case>.io.safetensors  features [T, M] (raw log-mel), logits [T, K] (expected),
                         audio [S] (waveform in [-1, 1]), audio_features [T2, M] (expected
                         torchaudio Kaldi fbank), audio_logits [T2, K] (expected); with a
                         causal normalisation also normalized_features [T, M] and
                         audio_normalized [T2, M] (its output, before frontend.mean/std)
Cases: every attention x bias x norm x pre/post-norm x chunk/sliding combination on tiny odd
sizes, two real-size models, and the causal normalisations (pcen, running) in both window
modes. Everything is deterministic from the case index.
`--check` regenerates into a temporary directory and compares with the committed files.
"""
import argparse
import copy
import fnmatch
import itertools
import math
import os
import random
import sys
import tempfile

import numpy as np
import torch

from . import mega_config as mc
from . import mega_ref as mr
from . import model_io, safetensors_io

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN_DIR = os.path.join(ROOT, "tests", "golden")

ATTENTIONS = ("softmax", "laplace", "relu2")
BIASES = ("simple", "rotary")
NORMS = ("layernorm", "scalenorm", "rmsnorm", "batchnorm")
WINDOWS = ("hamming", "hanning", "povey", "rectangular")


def case_name(att, bias, norm, prenorm, mode):
    return f"{att}_{bias}_{norm}_{'pre' if prenorm else 'post'}_{mode}"


def tiny_cases():
    """(name, index, MegaConfig, T, audio seconds) for the 96-case matrix."""
    out = []
    combos = itertools.product(ATTENTIONS, BIASES, NORMS, (True, False), ("chunk", "sliding"))
    for idx, (att, bias, norm, prenorm, mode) in enumerate(combos):
        rnd = random.Random(1000 + idx)
        C = rnd.choice((3, 4, 5))
        # lengths that are and are not multiples of C, alternating
        T = rnd.choice([t for t in range(11, 18) if (t % C == 0) == (idx % 2 == 0)])
        net = mc.NetworkConfig(
            d_model=rnd.choice((5, 7, 9)),
            z_dim=rnd.choice((4, 6)) if bias == "rotary" else rnd.choice((3, 5, 7)),
            h_dim=rnd.choice((5, 7, 9)),
            ffn_dim=0 if idx % 8 == 3 else rnd.choice((3, 5, 7)),
            n_dim=rnd.choice((1, 3, 5)),
            n_layers=2, attention=att, rel_pos_bias=bias, norm=norm, prenorm=prenorm,
            window_mode=mode, window=C, activation=("silu", "gelu")[idx % 2],
            norm_eps=rnd.choice((1e-5, 1e-3)))
        rate = rnd.choice((8000, 11025, 16000))
        length_ms, shift_ms = rnd.choice(((25.0, 10.0), (20.0, 10.0), (32.0, 12.5), (15.0, 15.0)))
        high = rnd.choice((0.0, -200.0, rate / 2 - 500.0))
        fe = mc.FrontendConfig(
            sample_rate=rate, frame_length_ms=length_ms, frame_shift_ms=shift_ms,
            n_mels=rnd.choice((5, 6, 7, 8)), low_freq=rnd.choice((0.0, 20.0, 64.0)),
            high_freq=high, window=WINDOWS[idx % 4], preemphasis=rnd.choice((0.0, 0.5, 0.97)),
            remove_dc_offset=bool(idx % 3), input_scale=rnd.choice((32768.0, 1000.0, 1.0)))
        labels = [f"c{k}" for k in range(rnd.choice((2, 3, 4)))]
        labels[0] = "_silence_"
        seconds = 0.2 if rate < 16000 else 0.12
        out.append((case_name(att, bias, norm, prenorm, mode), idx,
                    mc.MegaConfig(labels=labels, frontend=fe, network=net), T, seconds))
    return out


def real_cases():
    fe = mc.FrontendConfig()  # 16 kHz, 40 mels, 25/10 ms, povey
    labels = ["_silence_", "_unknown_", "yes", "no", "up", "down", "left", "right", "on", "off",
              "stop", "go"]
    base = dict(d_model=64, z_dim=32, h_dim=128, ffn_dim=128, n_dim=16, n_layers=4, window=32)
    chunk = mc.NetworkConfig(**base, attention="softmax", rel_pos_bias="simple", norm="layernorm",
                             prenorm=True, window_mode="chunk", activation="silu")
    sliding = mc.NetworkConfig(**base, attention="laplace", rel_pos_bias="rotary", norm="batchnorm",
                               prenorm=True, window_mode="sliding", activation="gelu")
    return [("real_chunk", 500, mc.MegaConfig(labels, fe, chunk), 200, 0.5),
            ("real_sliding", 501, mc.MegaConfig(labels, copy.deepcopy(fe), sliding), 200, 0.5)]


def featnorm_cases():
    """pcen and running, chunk and sliding: small networks on the real front end, long enough
    that the PCEN smoother and the running statistics settle (running: past running_frames).
    One of each uses non-default parameters, one of each starts with digital silence."""
    out = []
    specs = (("pcen_chunk", "chunk", dict(normalization="pcen")),
             ("pcen_sliding", "sliding", dict(normalization="pcen", pcen_s=0.1, pcen_alpha=0.9,
                                                 pcen_delta=1.5, pcen_r=0.4, pcen_eps=1e-5)),
             ("running_chunk", "chunk", dict(normalization="running", running_frames=20)),
             ("running_sliding", "sliding", dict(normalization="running")))
    for k, (name, mode, norm) in enumerate(specs):
        idx = (602, 603, 604, 607)[k]  # 602 and 607 start with digital silence (idx % 5 == 2)
        fe = mc.FrontendConfig(**norm)
        net = mc.NetworkConfig(d_model=16, z_dim=8, h_dim=24, ffn_dim=16, n_dim=4, n_layers=2,
                               window=8, window_mode=mode, attention=("softmax", "laplace")[k % 2],
                               norm=("layernorm", "rmsnorm")[k // 2])
        labels = ["_silence_", "_unknown_", "a", "b"]
        out.append((name, idx, mc.MegaConfig(labels, fe, net), 130, 1.3))
    return out


def synth_audio(gen, rate, seconds, with_silence):
    """Sines + noise in [-1, 1]; optionally starting with digital silence (log floor path)."""
    n = int(rate * seconds)
    t = torch.arange(n, dtype=torch.float64) / rate
    x = torch.zeros(n, dtype=torch.float64)
    for _ in range(3):
        f = 100.0 + torch.rand(1, generator=gen, dtype=torch.float64).item() * (rate / 2 - 200.0)
        ph = torch.rand(1, generator=gen, dtype=torch.float64).item() * 2 * math.pi
        x += torch.rand(1, generator=gen, dtype=torch.float64).item() * torch.sin(2 * math.pi * f * t + ph)
    x += 0.2 * torch.randn(n, generator=gen, dtype=torch.float64)
    x *= 0.3 + 0.6 * torch.rand(n, generator=gen, dtype=torch.float64).cumsum(0) / n  # swell
    x = 0.9 * x / x.abs().max()
    if with_silence:
        x[: int(0.05 * rate)] = 0.0
    return x.to(torch.float32)


def randomise(model, gen):
    """Weights large enough that every path shapes the output, but nothing saturates."""
    def normal(t, mean, std):
        t.copy_(mean + std * torch.randn(t.shape, generator=gen))

    net = model.config.network
    with torch.no_grad():
        for name, p in model.named_parameters():
            leaf = name.rsplit(".", 1)[-1]
            if name.endswith(("ema.delta", "ema.alpha", "ema.gamma")):
                normal(p, 0.0, 1.0)
            elif name.endswith("ema.beta"):
                sign = torch.tensor([1.0 if n % 2 == 0 else -1.0 for n in range(p.shape[1])])
                p.copy_(sign + 0.3 * torch.randn(p.shape, generator=gen))
            elif name.endswith("ema.omega"):
                normal(p, 0.0, 0.5)
            elif name.endswith("h_proj.weight") and net.attention != "softmax" and net.window > 4:
                # element attention sums up to C unnormalised weights: keep h_proj's output O(1)
                normal(p, 0.0, p.shape[1] ** -0.5 * 4.0 / net.window)
            elif leaf == "weight" and p.dim() == 2:  # linear layers
                normal(p, 0.0, p.shape[1] ** -0.5)
            elif leaf in ("weight", "scalar"):  # norm gains
                normal(p, 1.0, 0.2)
            elif leaf == "bias":
                normal(p, 0.0, 0.2)
            elif name.endswith("qk_gamma"):
                normal(p, 0.0, 1.0)
            elif name.endswith("qk_beta"):
                normal(p, 0.0, 0.3)
            elif name.endswith(("rel_pos_bias", "rotary_alpha", "rotary_beta")):
                normal(p, 0.0, 0.5)
            else:
                raise AssertionError(f"no rule for {name}")
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                normal(b, 0.0, 0.5)
            elif name.endswith("running_var"):
                b.copy_(0.3 + 1.7 * torch.rand(b.shape, generator=gen))


def calibrate_batchnorm(model, features, gen):
    """Running statistics near the actual activation statistics, as after training; random ones
    make the pre-norm residual stream grow without bound (batchnorm is not scale-invariant)."""
    norms = [m for m in model.modules() if isinstance(m, mr.SeqNorm)]
    for m in norms:
        m.momentum = 1.0  # running stats := this batch's stats, layer after layer in one pass
    model.train()
    with torch.no_grad():
        model(features)
        for m in norms:
            m.momentum = 0.1
            std = m.running_var.sqrt()
            m.running_mean.add_(0.05 * std * torch.randn(m.dim, generator=gen))
            m.running_var.mul_(0.9 + 0.2 * torch.rand(m.dim, generator=gen))
    model.eval()


def build_case(name, idx, config, T, seconds):
    gen = torch.Generator().manual_seed(20240 + idx)
    torch.manual_seed(idx)  # module construction draws from the global generator
    model = mr.MegaClassifier(config).eval()
    randomise(model, gen)
    fe = config.frontend
    audio = synth_audio(gen, fe.sample_rate, seconds, with_silence=idx % 5 == 2)
    audio_features = mr.features_from_audio(audio.double(), fe)
    causal = fe.normalization != "global"
    # normalisation statistics near those of the audio after the causal normalisation (the
    # raw features when there is none), so both inputs come out O(1)
    with torch.no_grad():
        normed = model.causal_features(audio_features.unsqueeze(0))[0][0]
        mean = normed.mean(0) + 0.1 * torch.randn(fe.n_mels, generator=gen, dtype=torch.float64)
        spread = 0.8 + 0.4 * torch.rand(fe.n_mels, generator=gen, dtype=torch.float64)
        std = normed.std(0).clamp_min(0.05 if causal else 0.5) * spread
        model.frontend.mean.copy_(mean.float())
        model.frontend.std.copy_(std.float())
    noise = torch.randn(T, fe.n_mels, generator=gen)
    if causal:  # raw log-mel rows like the audio's
        features = (audio_features.mean(0) + audio_features.std(0).clamp_min(0.5) * noise).float()
    else:
        features = (model.frontend.mean + model.frontend.std * noise).float()
    if config.network.norm == "batchnorm":
        calibrate_batchnorm(model, torch.cat([features, audio_features.float()]), gen)
    ref = copy.deepcopy(model).double()
    with torch.no_grad():
        logits = ref(features.double())
        audio_logits = ref(audio_features)
    io = {"features": features, "logits": logits.float(), "audio": audio,
          "audio_features": audio_features.float(), "audio_logits": audio_logits.float()}
    if causal:  # the normalisation alone, for the engine's own featnorm check
        io["normalized_features"] = ref.causal_features(features.double().unsqueeze(0))[0][0].float()
        io["audio_normalized"] = ref.causal_features(audio_features.unsqueeze(0))[0][0].float()
    return model, io


def write_case(out_dir, name, idx, config, T, seconds):
    model, io = build_case(name, idx, config, T, seconds)
    model_io.save_model(model, os.path.join(out_dir, f"{name}.safetensors"),
                  description=f"gst-mega golden case {name} (random weights, train/make_golden.py)")
    safetensors_io.save(os.path.join(out_dir, f"{name}.io.safetensors"), io,
                        {"case": name, "dtype_of_reference": "float64"})
    return io


def all_cases():
    return tiny_cases() + real_cases() + featnorm_cases()


def compare_dirs(ref_dir, new_dir, names):
    """Returns a list of problems: golden files that the reference no longer reproduces."""
    problems = []
    expected = {f"{n}{s}" for n in names for s in (".safetensors", ".io.safetensors")}
    present = {f for f in os.listdir(ref_dir) if f.endswith(".safetensors")}
    for f in sorted(expected - present):
        problems.append(f"{f}: missing from {ref_dir}")
    for f in sorted(expected & present):
        a, ma = safetensors_io.load(os.path.join(ref_dir, f))
        b, mb = safetensors_io.load(os.path.join(new_dir, f))
        if ma != mb:
            problems.append(f"{f}: metadata differs")
        if set(a) != set(b):
            problems.append(f"{f}: tensor names differ")
            continue
        for k in sorted(a):
            if a[k].shape != b[k].shape:
                problems.append(f"{f}:{k}: shape {a[k].shape} != {b[k].shape}")
            elif k in ("logits", "audio_logits", "audio_features", "normalized_features",
                       "audio_normalized"):  # computed: allow last-bit noise
                if not np.allclose(a[k], b[k], rtol=1e-5, atol=1e-5):
                    problems.append(f"{f}:{k}: max diff {np.abs(a[k] - b[k]).max():.3g}")
            elif not np.array_equal(a[k], b[k]):
                problems.append(f"{f}:{k}: values differ")
    return problems


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=GOLDEN_DIR, help="output directory (default tests/golden)")
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temporary directory and compare with --out")
    ap.add_argument("--only", default="*", help="glob of case names")
    ap.add_argument("-v", "--verbose", action="store_true", help="print per-case output statistics")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    cases = [c for c in all_cases() if fnmatch.fnmatch(c[0], args.only)]
    if not cases:
        print("no case matches", args.only, file=sys.stderr)
        return 2
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            for c in cases:
                write_case(tmp, *c)
            problems = compare_dirs(args.out, tmp, [c[0] for c in cases])
        for p in problems:
            print(p, file=sys.stderr)
        print(f"checked {len(cases)} cases: {'OK' if not problems else f'{len(problems)} problems'}")
        return 1 if problems else 0
    os.makedirs(args.out, exist_ok=True)
    for c in cases:
        io = write_case(args.out, *c)
        if args.verbose:
            lg, al = io["logits"], io["audio_logits"]
            print(f"{c[0]:40s} T={lg.shape[0]:3d} T2={al.shape[0]:3d} logits std {lg.std():.3f} "
                  f"max {lg.abs().max():.3f}  audio_logits std {al.std():.3f}")
    print(f"wrote {2 * len(cases)} files to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
