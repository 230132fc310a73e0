"""Signal helpers shared by the corpus and stream builders (16 kHz mono float32); WAV files
are read and written by train/wav.py."""
from fractions import Fraction

import numpy as np
from scipy.signal import lfilter, resample_poly

SR = 16000


def resample(x, rate_in, rate_out):
    if rate_in == rate_out:
        return x.astype(np.float32)
    f = Fraction(rate_out, rate_in).limit_denominator(1000)
    return resample_poly(x, f.numerator, f.denominator).astype(np.float32)


def warp(x, alpha):
    """Vocal-tract-length style warp: play `alpha` times faster, which scales
    pitch and formants by alpha and duration by 1/alpha."""
    f = Fraction(alpha).limit_denominator(100)
    return resample_poly(x, f.denominator, f.numerator).astype(np.float32)


def frame_db(x, frame=320, hop=160):
    n = max(1, 1 + (len(x) - frame) // hop) if len(x) >= frame else 1
    idx = np.arange(frame)[None, :] + hop * np.arange(n)[:, None]
    xp = np.pad(x, (0, max(0, idx.max() + 1 - len(x))))
    e = np.mean(xp[idx].astype(np.float64) ** 2, axis=1)
    return 10.0 * np.log10(e + 1e-12)


def speech_bounds(x, rel_db=35.0, floor_db=-60.0, hop=160, frame=320):
    """Energy detector: (start, end) sample span of the active frames, or None.
    The threshold sits rel_db under the loudest frame but above the noise floor
    estimate (10th percentile + 12 dB) so recorded room noise is not speech."""
    if len(x) == 0:
        return None
    db = frame_db(x, frame, hop)
    thr = max(db.max() - rel_db, floor_db, np.percentile(db, 10) + 12.0)
    thr = min(thr, db.max() - 3.0)
    act = np.nonzero(db >= thr)[0]
    if len(act) == 0:
        return None
    start = act[0] * hop
    end = min(len(x), act[-1] * hop + frame)
    return int(start), int(end)


def trim(x, margin=0.04):
    b = speech_bounds(x)
    if b is None:
        return x[:0]
    m = int(margin * SR)
    return x[max(0, b[0] - m):min(len(x), b[1] + m)]


def peaking(f0, gain_db, q, rate=SR):
    """RBJ-cookbook peaking biquad coefficients."""
    a = 10 ** (gain_db / 40.0)
    w = 2 * np.pi * f0 / rate
    alpha = np.sin(w) / (2 * q)
    b = np.array([1 + alpha * a, -2 * np.cos(w), 1 - alpha * a])
    den = np.array([1 + alpha / a, -2 * np.cos(w), 1 - alpha / a])
    return b / den[0], den / den[0]


def random_eq(x, rng):
    """1-3 random peaking filters: mimics microphone / room colouring."""
    for _ in range(int(rng.integers(1, 4))):
        f0 = float(np.exp(rng.uniform(np.log(150.0), np.log(5500.0))))
        b, a = peaking(f0, float(rng.uniform(-8, 8)), float(rng.uniform(0.5, 2.5)))
        x = lfilter(b, a, x)
    return x.astype(np.float32)


def place_in_second(x, rng, length=SR):
    """Put the word at a random offset inside a GSC-style 1 s clip."""
    out = np.zeros(length, dtype=np.float32)
    if len(x) >= length:
        out[:] = x[:length]
        return out
    off = int(rng.integers(0, length - len(x) + 1))
    out[off:off + len(x)] = x
    return out


def normalise_peak(x, peak):
    m = float(np.max(np.abs(x))) if len(x) else 0.0
    return x if m == 0 else (x * (peak / m)).astype(np.float32)
