#!/usr/bin/python3
"""Waveform augmentations of the "voices" recipe (train/augment.py, train/codec.py).

  * voice conversion moves formants, pitch and duration independently, by the amounts asked:
    measured on a synthetic vowel (harmonics of f0 under one resonance);
  * every GStreamer codec round trip keeps the clip's length and timing (its delay removed),
    really passes through the codec (8 kHz codecs remove the band above 4 kHz; every output
    differs from its input) and keeps the 200-3000 Hz speech band within 6 dB;
  * augment_clip is deterministic in its generator and refuses an unknown recipe.
"""

import numpy as np

from train.augment import augment_clip, voice_convert
from train.codec import CODECS, round_trip

RATE = 16000


def vowel(f0=100.0, formant_hz=1000.0, seconds=1.0):
    """Harmonics of f0 weighted by a single resonance at formant_hz."""
    t = np.arange(int(seconds * RATE)) / RATE
    x = np.zeros_like(t)
    for k in range(1, int(7000 / f0)):
        f = k * f0
        x += np.exp(-0.5 * ((f - formant_hz) / 200.0) ** 2) * np.sin(2 * np.pi * f * t + k)
    return (0.3 * x / np.max(np.abs(x))).astype(np.float32)


def spectrum(x):
    seg = x[len(x) // 4: len(x) // 4 + 8192] * np.hanning(8192)
    return np.abs(np.fft.rfft(seg)), np.fft.rfftfreq(8192, 1 / RATE)


def pitch_and_formant(x):
    """f0 from the autocorrelation peak (60-400 Hz), formant from the strongest bin."""
    mag, freqs = spectrum(x)
    seg = x[len(x) // 4: len(x) // 4 + 4096].astype(np.float64)
    ac = np.correlate(seg, seg, "full")[len(seg) - 1:]
    lo, hi = RATE // 400, RATE // 60
    f0 = RATE / (lo + int(np.argmax(ac[lo:hi])))
    return f0, freqs[int(np.argmax(mag))]


def test_voice_conversion():
    x = vowel()
    f0, formant = pitch_and_formant(x)
    assert abs(f0 - 100) < 2 and abs(formant - 1000) < 60, (f0, formant)
    for formant_scale, semitones, tempo in [(1.2, 0.0, 1.0), (1.0, 5.0, 1.0), (0.85, -4.0, 0.8)]:
        y = voice_convert(x, formant_scale, semitones, tempo)
        want_len = len(x) / tempo
        assert abs(len(y) - want_len) < 0.02 * want_len, (formant_scale, semitones, tempo, len(y))
        g0, gf = pitch_and_formant(y)
        want_f0 = 100 * 2 ** (semitones / 12)
        assert abs(g0 - want_f0) < 0.04 * want_f0, (formant_scale, semitones, tempo, g0, want_f0)
        # The strongest harmonic is the one nearest the moved resonance: within half an f0.
        assert abs(gf - 1000 * formant_scale) < 0.5 * want_f0 + 60, (formant_scale, semitones, gf)
        assert np.all(np.isfinite(y))
    print("voice conversion: formant, pitch and tempo moved independently")


def band_energy(x, lo, hi):
    mag, freqs = spectrum(x)
    return float(np.sum(mag[(freqs >= lo) & (freqs < hi)] ** 2)) + 1e-12


def test_codecs():
    # Three syllables of a vowel with 10 ms ramps, a broadband noise floor under them so the
    # 4-8 kHz band is not empty.
    rng = np.random.default_rng(5)
    env = np.zeros(RATE)
    ramp = np.hanning(320)
    for a, b in [(0.3, 0.45), (0.53, 0.68), (0.76, 0.9)]:
        s, e = int(a * RATE), int(b * RATE)
        env[s:e] = 1
        env[s:s + 160], env[e - 160:e] = ramp[:160], ramp[160:]
    x = (vowel(f0=140, formant_hz=700) * env + 0.01 * rng.standard_normal(RATE) * (env > 0)).astype(np.float32)

    def onset(z):
        env = np.convolve(z ** 2, np.ones(160) / 160, "same")
        return int(np.argmax(env > 0.1 * env.max()))

    for name, (rate, _, bitrates) in CODECS.items():
        for bitrate in bitrates:
            y = round_trip(x, name, bitrate)
            where = f"{name} {bitrate}"
            assert y.dtype == np.float32 and len(y) == len(x), where
            assert np.all(np.isfinite(y)), where
            assert not np.allclose(x, y, atol=1e-4), where + ": output equals input"
            # Delay removed: the onset stays within 10 ms.
            assert abs(onset(y) - onset(x)) <= RATE // 100, (where, onset(x), onset(y))
            # Speech band kept: 200-3000 Hz energy within 6 dB.
            ratio = band_energy(y, 200, 3000) / band_energy(x, 200, 3000)
            assert 0.25 < ratio < 4, (where, ratio)
            if rate == 8000:
                cut = band_energy(y, 4500, 8000) / band_energy(x, 4500, 8000)
                assert cut < 0.01, (where, "energy above 4.5 kHz kept", cut)
    print(f"codecs: {sum(len(c[2]) for c in CODECS.values())} round trips keep length, timing and band")


def test_augment_clip():
    x = vowel(seconds=0.8)
    for version in (0, 1, 2):
        a = augment_clip(x, np.random.default_rng(11 + version), version, "voices")
        b = augment_clip(x, np.random.default_rng(11 + version), version, "voices")
        assert np.array_equal(a, b) and np.all(np.isfinite(a)), version
    try:
        augment_clip(x, np.random.default_rng(0), 1, "nonsense")
    except ValueError as e:
        assert "nonsense" in str(e)
    else:
        raise AssertionError("unknown recipe accepted")
    print("augment_clip: deterministic per generator; unknown recipe refused")


if __name__ == "__main__":
    test_voice_conversion()
    test_codecs()
    test_augment_clip()
