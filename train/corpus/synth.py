"""Text-to-speech back ends. Every function returns (float32 audio, sample rate).

Per-clip prosody is drawn by draw_params(); `alpha` is the vocal-tract warp
factor applied after synthesis (audio.warp), so the engine is asked to speak
alpha times slower to keep the final duration plausible."""
import os
import subprocess
import tempfile

import numpy as np

from . import audio
from .speakers import BASE_F0


def draw_params(rng, engine, voice):
    p = dict(alpha=float(rng.uniform(0.88, 1.12)), stretch=float(rng.uniform(0.8, 1.3)))
    if engine == "espeak":
        p["pitch"] = int(rng.integers(15, 85))
        p["amp"] = int(rng.integers(80, 160))
    else:
        base = BASE_F0.get(voice, 105)
        p["f0"] = round(float(base * rng.uniform(0.8, 1.25)), 1)
        p["f0_std"] = round(float(rng.uniform(4, 30)), 1)
        p["halftones"] = round(float(rng.uniform(-3, 3)), 2)
    p["eq_seed"] = int(rng.integers(0, 2 ** 31))
    p["peak_db"] = float(rng.uniform(-20, -1))
    return p


def espeak(word, voice, variant, p, speed=1.0):
    v = voice if variant == "none" else f"{voice}+{variant}"
    wpm = int(round(165 / (p["stretch"] * p["alpha"]) * speed))
    out = subprocess.run(["espeak-ng", "-v", v, "-s", str(max(80, min(450, wpm))), "-p", str(p["pitch"]),
                          "-a", str(p["amp"]), "-z", "--stdout", word], capture_output=True, check=True).stdout
    return audio.read_wav_bytes_lenient(out)


def flite(word, voice, p, speed=1.0, tmpdir=None):
    fd, path = tempfile.mkstemp(suffix=".wav", dir=tmpdir)
    os.close(fd)
    try:
        subprocess.run(["flite", "-voice", voice, "-t", word, "-o", path,
                        "--setf", f"duration_stretch={p['stretch'] * p['alpha'] / speed:.3f}",
                        "--setf", f"int_f0_target_mean={p['f0'] / p['alpha']:.1f}",
                        "--setf", f"int_f0_target_stddev={p['f0_std']:.1f}"],
                       capture_output=True, check=True)
        return audio.read_wav(path)
    finally:
        os.unlink(path)


def festival_script(items, voice):
    """Scheme program that synthesises many (word, params, path) items in one
    festival process, saving each utterance with utt.save.wave."""
    lines = [f"(voice_{voice})"]
    hts = voice.endswith("_hts")
    if hts:
        lines.append(f"(set! base_hts_params cmu_us_slt_arctic_hts::hts_engine_params)")
    for word, p, path in items:
        stretch = p["stretch"] * p["alpha"]
        if hts:
            lines.append(f"(set! hts_engine_params (append base_hts_params "
                         f"'((\"-r\" {1.0 / stretch:.3f}) (\"-fm\" {p['halftones']:.2f}))))")
        else:
            lines.append(f"(Parameter.set 'Duration_Stretch {stretch:.3f})")
            lines.append(f"(set! int_lr_params '((target_f0_mean {p['f0'] / p['alpha']:.1f}) "
                         f"(target_f0_std {p['f0_std']:.1f}) (model_f0_mean 170) (model_f0_std 34)))")
        lines.append(f"(set! utt (utt.synth (Utterance Text \"{word}\")))")
        lines.append(f"(utt.save.wave utt \"{path}\" 'riff)")
    return "\n".join(lines) + "\n"


def festival_batch(items, voice, tmpdir):
    """items: [(word, params, out_path)]; one festival process for all."""
    fd, script = tempfile.mkstemp(suffix=".scm", dir=tmpdir)
    with os.fdopen(fd, "w") as f:
        f.write(festival_script(items, voice))
    try:
        subprocess.run(["festival", "-b", script], capture_output=True, check=True)
    finally:
        os.unlink(script)
    missing = [path for _, _, path in items if not os.path.exists(path)]
    if missing:
        raise RuntimeError(f"festival {voice} did not write {missing[:3]}")


def finish(x, rate, p):
    """Resample to 16 kHz, warp, colour, trim and level one synthesized word;
    returns the trimmed word (not yet placed in its 1 s clip)."""
    x = audio.resample(x, rate, audio.SR)
    x = audio.warp(x, p["alpha"])
    x = audio.trim(x)
    rng = np.random.default_rng(p["eq_seed"])
    x = audio.random_eq(x, rng)
    return audio.normalise_peak(x, 10 ** (p["peak_db"] / 20))
