"""Waveform augmentations applied to word clips before features are cached.

Each function takes a float32 numpy waveform at 16 kHz and a numpy Generator. The chain in
`augment_clip` draws which ones apply; version 0 of every clip stays close to clean so the
model also sees unaltered synthesizer output. Background noise is not added here: the
sequence builder mixes one continuous background per training sequence in the mel-power
domain (see sequences.py), which is cheaper and keeps the noise continuous across words.
"""
import numpy as np
import torch
import torchaudio
import torchaudio.functional as AF

from .codec import random_round_trip

RATE = 16000
RECIPES = ("base", "voices")


def speed(x, factor):
    """Resampling speed change: tempo, pitch and formants move together (a vocal tract
    length perturbation when the factor is near 1)."""
    new = int(round(100 / factor))
    y = AF.resample(torch.from_numpy(x)[None], 100, new)[0].numpy()
    return y.astype(np.float32)


def warp_envelope(x, factor, lifter=30, n_fft=512, hop=128, max_gain_db=30.0):
    """Spectral envelope (cepstrally smoothed log magnitude) stretched along frequency by
    `factor`, fine structure (harmonics, hence pitch) and phase kept: a formant shift."""
    y = torch.from_numpy(x)
    window = torch.hann_window(n_fft)
    spec = torch.stft(y, n_fft, hop, window=window, return_complex=True)  # (bins, frames)
    log_mag = torch.log(spec.abs() + 1e-7)
    cep = torch.fft.irfft(log_mag, n=n_fft, dim=0)
    cep[lifter: n_fft - lifter + 1] = 0
    env = torch.fft.rfft(cep, dim=0).real
    bins = env.shape[0]
    src = torch.arange(bins, dtype=torch.float32) / factor  # target bin f reads envelope at f/factor
    lo = src.floor().clamp(0, bins - 1).long()
    hi = (lo + 1).clamp(max=bins - 1)
    frac = (src - lo.float()).clamp(0, 1)[:, None]
    warped = env[lo] * (1 - frac) + env[hi] * frac
    gain = torch.exp((warped - env).clamp(-max_gain_db / 8.686, max_gain_db / 8.686))
    out = torch.istft(spec * gain, n_fft, hop, window=window, length=len(x))
    return out.numpy().astype(np.float32)


def voice_convert(x, formant, semitones, tempo):
    """A new speaker from an old one: formants (vocal tract length) scaled by `formant`, pitch
    moved by `semitones`, duration divided by `tempo`, each independently. sox's pitch and
    tempo effects (WSOLA + resampling) move pitch and duration; resampling moves the formants
    with the pitch, so the envelope is then warped to where it was asked to be."""
    effects = [["pitch", f"{100 * semitones:.2f}"], ["rate", str(RATE)], ["tempo", "-s", f"{tempo:.5f}"]]
    y, _ = torchaudio.sox_effects.apply_effects_tensor(torch.from_numpy(x)[None], RATE, effects)
    return warp_envelope(y[0].numpy().astype(np.float32), formant / 2 ** (semitones / 12))


def random_voice(x, rng):
    """Formants x0.8-1.25, pitch +-6 semitones, tempo x0.8-1.25: wider than the +-15 % speed
    change, and pitch no longer tied to vocal tract length."""
    return voice_convert(x, float(np.exp(rng.uniform(np.log(0.8), np.log(1.25)))),
                         float(rng.uniform(-6, 6)), float(rng.uniform(0.8, 1.25)))


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


def augment_clip(x, rng, version, recipe="base"):
    """recipe "base": speed, EQ, reverb, telephone/mu-law, clipping (the session-1 chain);
    "voices" adds independent formant/pitch/tempo voice conversion and GStreamer codecs."""
    if recipe not in RECIPES:
        raise ValueError(f"unknown augmentation recipe '{recipe}' (known: {', '.join(RECIPES)})")
    voices = recipe == "voices"
    if version == 0:
        y = speed(x, rng.uniform(0.95, 1.05))
    else:
        if voices and rng.random() < 0.85:
            y = random_voice(x, rng)
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
        elif voices and r < 0.45:
            y = random_round_trip(y, rng)
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
