"""Text-to-speech back ends. Every function returns (float32 audio, sample rate).

Per-clip prosody is drawn by draw_params(); `alpha` is the vocal-tract warp
factor applied after synthesis (audio.warp), so the engine is asked to speak
alpha times slower to keep the final duration plausible."""
import json
import math
import os
import pathlib
import shutil
import subprocess
import tempfile

import numpy as np

from .. import wav
from . import audio
from .speakers import BASE_F0


GNUSPEECH_DIR = pathlib.Path(__file__).resolve().parent / "gnuspeech"


def draw_params(rng, engine, voice, speaker=None):
    p = dict(alpha=float(rng.uniform(0.88, 1.12)), stretch=float(rng.uniform(0.8, 1.3)))
    if engine == "gnuspeech":
        p.update(gnuspeech_params(rng, speaker, p["alpha"], p["stretch"]))
    elif engine == "espeak":
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
    return wav.read_wav_bytes_lenient(out)


def flite(word, voice, p, speed=1.0, tmpdir=None):
    fd, path = tempfile.mkstemp(suffix=".wav", dir=tmpdir)
    os.close(fd)
    try:
        subprocess.run(["flite", "-voice", voice, "-t", word, "-o", path,
                        "--setf", f"duration_stretch={p['stretch'] * p['alpha'] / speed:.3f}",
                        "--setf", f"int_f0_target_mean={p['f0'] / p['alpha']:.1f}",
                        "--setf", f"int_f0_target_stddev={p['f0_std']:.1f}"],
                       capture_output=True, check=True)
        return wav.read_wav(path)
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


def gnuspeech_params(rng, speaker, alpha, stretch):
    """Per-clip prosody of a gnuspeech speaker (its tract is fixed, speakers.gnuspeech_tract):
    tempo, a pitch offset around the voice's own, pitch drift and the intonation contour. As for
    flite, the engine speaks alpha times slower and lower so the warp in finish() restores them."""
    u = lambda a, b: float(rng.uniform(a, b))  # noqa: E731
    # pitch_offset: the package's -4 semitones put its male voice near 80 Hz; centred 3 higher.
    control = dict(tempo=round(1.0 / (stretch * alpha), 3),
                   pitch_offset=round(u(-4, 2) - 12 * math.log2(alpha), 2),
                   drift_deviation=round(u(0.2, 1.2), 2))
    # notional pitch, pretonic range, tonic range (semitones): mostly falling, some rising.
    tone = [round(u(0, 4), 2), round(u(-3, 0), 2), round(u(-10, 2), 2)]
    return dict(tract=speaker["tract"], trm=speaker["trm"], control=control, tone=tone)


def ensure_gnuspeech():
    """Installs the pinned npm package (package-lock.json) on first use; needs node and npm."""
    for tool in ("node", "npm"):
        if not shutil.which(tool):
            raise RuntimeError(f"gnuspeech needs {tool} (tools/setup.sh installs nodejs and npm)")
    wasm = GNUSPEECH_DIR / "node_modules" / "@echogarden" / "gnuspeech-wasm" / "wasm" / "gnuspeech.wasm"
    if not wasm.is_file():
        r = subprocess.run(["npm", "ci", "--prefix", str(GNUSPEECH_DIR), "--no-audit", "--no-fund"],
                           capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError(f"npm ci in {GNUSPEECH_DIR} failed: {r.stderr[-800:]}")


def gnuspeech_batch(items, tmpdir):
    """items: [(word, voice, params, out_path)]; one node process for all (loading the
    WebAssembly module costs more than a word). Writes the engine's WAVs (22.05 or 44.1 kHz)."""
    jobs = [dict(text=word, voice=voice, out=path, tract=p["tract"], trm=p["trm"],
                 control=p["control"], tone=p["tone"]) for word, voice, p, path in items]
    fd, spec = tempfile.mkstemp(suffix=".json", dir=tmpdir)
    with os.fdopen(fd, "w") as f:
        json.dump(jobs, f)
    try:
        r = subprocess.run(["node", str(GNUSPEECH_DIR / "synth.mjs"), spec], capture_output=True, text=True)
    finally:
        os.unlink(spec)
    missing = [path for *_, path in items if not os.path.exists(path)]
    if r.returncode or missing:
        raise RuntimeError(f"gnuspeech did not write {missing[:3]}: {r.stderr[-500:]}")


def finish(x, rate, p):
    """Resample to 16 kHz, warp, colour, trim and level one synthesized word;
    returns the trimmed word (not yet placed in its 1 s clip)."""
    x = audio.resample(x, rate, audio.SR)
    x = audio.warp(x, p["alpha"])
    x = audio.trim(x)
    rng = np.random.default_rng(p["eq_seed"])
    x = audio.random_eq(x, rng)
    return audio.normalise_peak(x, 10 ** (p["peak_db"] / 20))
