#!/usr/bin/python3
"""Writes the front-end test fixtures: input signals, configs and torchaudio's features.

Usage: make_fixtures.py OUTDIR

OUTDIR gets cases.ini (a GKeyFile, one group per case) and raw little-endian float32 files:
<signal>-<rate>.f32 (samples in [-1, 1]) and <case>.f32 (n_frames x n_mels log-mel features
computed by torchaudio.compliance.kaldi.fbank on the signal times input_scale) and
<case>-f64.f32 (the same computed by torchaudio in double precision, stored as float32: the
reference for telling float32 rounding noise from real differences).
Run with Debian's /usr/bin/python3, which has torch and torchaudio; speech comes from
espeak-ng and sox.
"""
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torchaudio.compliance.kaldi as kaldi

# Configs chosen to cover every window, both DC settings, with and without pre-emphasis,
# Kaldi's 16-bit input scale and unit scale, non-default bands, and frame lengths that are
# and are not powers of two.
CONFIGS = {
    "povey16k": dict(sample_rate=16000, frame_length_ms=25.0, frame_shift_ms=10.0, n_mels=40,
                     low_freq=20.0, high_freq=0.0, window="povey", preemphasis=0.97,
                     remove_dc_offset=True, input_scale=32768.0),
    "hanning80": dict(sample_rate=16000, frame_length_ms=30.0, frame_shift_ms=10.0, n_mels=80,
                      low_freq=20.0, high_freq=7600.0, window="hanning", preemphasis=0.0,
                      remove_dc_offset=True, input_scale=1.0),
    "hamming8k": dict(sample_rate=8000, frame_length_ms=25.0, frame_shift_ms=10.0, n_mels=23,
                      low_freq=20.0, high_freq=0.0, window="hamming", preemphasis=0.0,
                      remove_dc_offset=False, input_scale=32768.0),
    "rect16k": dict(sample_rate=16000, frame_length_ms=25.0, frame_shift_ms=10.0, n_mels=40,
                    low_freq=0.0, high_freq=-400.0, window="rectangular", preemphasis=0.97,
                    remove_dc_offset=True, input_scale=1.0),
    "povey32ms": dict(sample_rate=16000, frame_length_ms=32.0, frame_shift_ms=12.5, n_mels=64,
                      low_freq=60.0, high_freq=8000.0, window="povey", preemphasis=0.5,
                      remove_dc_offset=False, input_scale=1.0),
}

SIGNALS = ["noise", "sweep", "silence", "square", "speech"]


def make_signal(name, rate):
    rng = np.random.default_rng(1234 + rate)
    if name == "noise":
        return rng.uniform(-0.5, 0.5, int(0.2 * rate))
    if name == "sweep":
        # Exponential sine sweep 50 Hz -> 95 % of Nyquist.
        n = int(0.3 * rate)
        t = np.arange(n) / rate
        f0, f1, dur = 50.0, 0.95 * rate / 2, n / rate
        k = math.log(f1 / f0)
        phase = 2 * math.pi * f0 * dur / k * (np.exp(t / dur * k) - 1)
        return 0.8 * np.sin(phase)
    if name == "silence":
        return np.zeros(int(0.1 * rate))
    if name == "square":
        # Full scale, with a period that is not a whole number of samples.
        n = int(0.15 * rate)
        t = np.arange(n) / rate
        return np.where(np.sin(2 * math.pi * 441.0 * t) >= 0, 1.0, -1.0)
    if name == "speech":
        with tempfile.TemporaryDirectory() as tmp:
            wav = os.path.join(tmp, "speech.wav")
            raw = os.path.join(tmp, "speech.raw")
            subprocess.run(["espeak-ng", "-w", wav, "yes"], check=True)
            subprocess.run(["sox", wav, "-r", str(rate), "-c", "1", "-b", "32",
                            "-e", "floating-point", "-t", "raw", raw], check=True)
            x = np.fromfile(raw, dtype="<f4").astype(np.float64)
        return x[: int(0.6 * rate)]
    raise ValueError(name)


def features(x, cfg, dtype=torch.float32):
    wave = torch.from_numpy(x.astype(np.float32)).to(dtype).unsqueeze(0) * cfg["input_scale"]
    f = kaldi.fbank(wave, dither=0.0, snip_edges=True, round_to_power_of_two=True,
                    use_power=True, use_log_fbank=True, use_energy=False,
                    remove_dc_offset=cfg["remove_dc_offset"],
                    preemphasis_coefficient=cfg["preemphasis"], window_type=cfg["window"],
                    num_mel_bins=cfg["n_mels"], low_freq=cfg["low_freq"],
                    high_freq=cfg["high_freq"], frame_length=cfg["frame_length_ms"],
                    frame_shift=cfg["frame_shift_ms"], sample_frequency=cfg["sample_rate"])
    return f.numpy().astype("<f4")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    ini = []
    written = set()
    for cname, cfg in CONFIGS.items():
        rate = cfg["sample_rate"]
        for sname in SIGNALS:
            sfile = "%s-%d.f32" % (sname, rate)
            x = make_signal(sname, rate).astype("<f4")
            if sfile not in written:
                x.tofile(os.path.join(out, sfile))
                written.add(sfile)
            case = "%s-%s" % (sname, cname)
            f = features(x, cfg)
            f.tofile(os.path.join(out, case + ".f32"))
            features(x, cfg, torch.float64).tofile(os.path.join(out, case + "-f64.f32"))
            ini.append("[%s]" % case)
            ini.append("signal=%s" % sfile)
            ini.append("features=%s.f32" % case)
            ini.append("features_f64=%s-f64.f32" % case)
            ini.append("n_frames=%d" % f.shape[0])
            for key, value in cfg.items():
                if isinstance(value, bool):
                    value = "true" if value else "false"
                ini.append("%s=%s" % (key, repr(value) if isinstance(value, float) else value))
            ini.append("")
    with open(os.path.join(out, "cases.ini"), "w") as fh:
        fh.write("# Generated by make_fixtures.py; features from torchaudio %s.\n"
                 % __import__("torchaudio").__version__)
        fh.write("\n".join(ini))


if __name__ == "__main__":
    main()
