"""Long background noises (GSC _background_noise_ style)."""
import numpy as np
from scipy.signal import lfilter

from . import audio


def _level(x, rms=0.15):
    x = x - np.mean(x)
    return np.clip(x * (rms / (np.sqrt(np.mean(x ** 2)) + 1e-12)), -1, 1).astype(np.float32)


def white(n, rng):
    return _level(rng.standard_normal(n))


def pink(n, rng):
    """1/f noise via Kellet-style IIR approximation of a -3 dB/octave slope."""
    b = [0.049922035, -0.095993537, 0.050612699, -0.004408786]
    a = [1, -2.494956002, 2.017265875, -0.522189400]
    return _level(lfilter(b, a, rng.standard_normal(n)))


def brown(n, rng):
    """Leaky integrated white noise (-6 dB/octave); the leak keeps it bounded."""
    return _level(lfilter([1.0], [1.0, -0.995], rng.standard_normal(n)))


def hum(n, rng, mains):
    t = np.arange(n) / audio.SR
    x = np.zeros(n)
    for k in range(1, 9):
        x += rng.uniform(0.1, 1.0) / k * np.sin(2 * np.pi * mains * k * t + rng.uniform(0, 2 * np.pi))
    return _level(x + 0.02 * rng.standard_normal(n), 0.1)


def babble(clips, n, rng, talkers=6):
    """Several talkers, each a stream of words with short pauses, summed."""
    x = np.zeros(n)
    for _ in range(talkers):
        pos = int(rng.integers(0, audio.SR // 2))
        while pos < n:
            w = audio.trim(clips[int(rng.integers(0, len(clips)))])
            seg = w[:n - pos] * rng.uniform(0.3, 1.0)
            x[pos:pos + len(seg)] += seg
            pos += len(w) + int(rng.uniform(0.05, 0.4) * audio.SR)
    return _level(x)
