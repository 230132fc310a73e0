"""Waveform augmentations applied to word clips before features are cached.

Each function takes a float32 numpy waveform at 16 kHz and a numpy Generator. The chain in
`augment_clip` draws which ones apply; version 0 of every clip stays close to clean so the
model also sees unaltered synthesizer output. Background noise is not added here: the
sequence builder mixes one continuous background per training sequence in the mel-power
domain (see sequences.py), which is cheaper and keeps the noise continuous across words.
"""
import numpy as np
import torch
import torchaudio.functional as AF

RATE = 16000


def speed(x, factor):
    """Resampling speed change: tempo, pitch and formants move together (a vocal tract
    length perturbation when the factor is near 1)."""
    new = int(round(100 / factor))
    y = AF.resample(torch.from_numpy(x)[None], 100, new)[0].numpy()
    return y.astype(np.float32)


def reverb(x, rng):
    rt60 = rng.uniform(0.15, 0.8)
    n = int(rt60 * RATE)
    t = np.arange(n) / RATE
    room = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
    room[: int(0.002 * RATE)] = 0.0
    rir = np.zeros(n, dtype=np.float64)
    rir[0] = 1.0
    rir += room * rng.uniform(0.05, 0.4) / np.sqrt(np.sum(room ** 2) + 1e-9)
    n_fft = 1 << int(np.ceil(np.log2(len(x) + n)))
    y = np.fft.irfft(np.fft.rfft(x, n_fft) * np.fft.rfft(rir, n_fft), n_fft)[: len(x)]
    return (y * np.sqrt(np.sum(x ** 2) / (np.sum(y ** 2) + 1e-12))).astype(np.float32)


def equalise(x, rng):
    """Random microphone/channel colouring: one to three peaking filters."""
    y = torch.from_numpy(x)
    for _ in range(rng.integers(1, 4)):
        centre = float(np.exp(rng.uniform(np.log(150), np.log(6000))))
        y = AF.equalizer_biquad(y, RATE, centre, float(rng.uniform(-10, 10)), float(rng.uniform(0.5, 3)))
    return y.numpy().astype(np.float32)


def telephone(x, rng):
    """8 kHz telephone channel: 300-3400 Hz band, via an 8 kHz round trip."""
    y = AF.resample(torch.from_numpy(x)[None], RATE, 8000)
    y = AF.highpass_biquad(y, 8000, 300.0)
    y = AF.lowpass_biquad(y, 8000, 3400.0)
    return AF.resample(y, 8000, RATE)[0].numpy().astype(np.float32)


def mu_law(x):
    """G.711 mu-law quantisation."""
    y = torch.from_numpy(np.clip(x, -1, 1))
    return AF.mu_law_decoding(AF.mu_law_encoding(y, 256), 256).numpy().astype(np.float32)


def clip_and_dc(x, rng):
    peak = np.max(np.abs(x)) + 1e-9
    y = x * (rng.uniform(1.2, 3.0) / peak)
    limit = rng.uniform(0.5, 1.0)
    return (np.clip(y, -limit, limit) + rng.uniform(-0.05, 0.05)).astype(np.float32)


def augment_clip(x, rng, version):
    if version == 0:
        y = speed(x, rng.uniform(0.95, 1.05))
    else:
        y = speed(x, rng.uniform(0.85, 1.15))
        if rng.random() < 0.5:
            y = equalise(y, rng)
        if rng.random() < 0.4:
            y = reverb(y, rng)
        r = rng.random()
        if r < 0.15:
            y = telephone(y, rng)
        elif r < 0.25:
            y = mu_law(y)
        if rng.random() < 0.08:
            y = clip_and_dc(y, rng)
    peak = np.max(np.abs(y)) + 1e-9
    gain_db = rng.uniform(-30, -1)
    return (y * (10 ** (gain_db / 20) / peak)).astype(np.float32)


def speech_span(x, frame=400, hop=160, floor_db=-35.0):
    """(first, last+1) frame index of speech by energy, relative to the loudest frame."""
    n = 1 + max(0, len(x) - frame) // hop
    energy = np.array([np.mean(x[i * hop: i * hop + frame] ** 2) for i in range(n)]) + 1e-12
    db = 10 * np.log10(energy)
    active = np.nonzero(db > db.max() + floor_db)[0]
    if len(active) == 0:
        return 0, n
    return int(active[0]), int(active[-1]) + 1
