#!/usr/bin/python3
"""Makes the bundled example recording examples/data/commands.wav and its answer key
examples/data/commands.expected (one label per line).

A few speech commands, ~1.2 s apart, said by a speech synthesizer voice that belongs to
the corpus's held-out TEST speakers (train/corpus/speakers.py: flite kal/kal16 and
festival kal_diphone are test-only voices), over quiet noise, 16 kHz mono 16-bit.

  /usr/bin/python3 examples/make_example_recording.py [--voice flite:kal16]
      [--words yes,stop,go,left,seven,off] [--out examples/data/commands.wav]

--voice ENGINE:VOICE with ENGINE one of flite (flite -voice VOICE), espeak
(espeak-ng -v VOICE, e.g. en-us+m3) or festival (VOICE e.g. kal_diphone).
Deterministic: the same arguments give the same file.
"""
import argparse
import os
import pathlib
import subprocess
import tempfile
import wave

import numpy as np

RATE = 16000
LEAD_S = 0.8          # silence before the first word
GAP_S = 1.2           # silence between words: longer than the element's suppression
TAIL_S = 1.0
NOISE_DBFS = -50.0    # white noise RMS
PEAK_DBFS = -4.0      # each word's peak


def synthesize(engine, voice, word, path):
    if engine == "flite":
        cmd = ["flite", "-voice", voice, "-t", word, "-o", path]
        subprocess.run(cmd, check=True, capture_output=True)
    elif engine == "espeak":
        cmd = ["espeak-ng", "-v", voice, "-w", path, word]
        subprocess.run(cmd, check=True, capture_output=True)
    elif engine == "festival":
        scheme = f'(voice_{voice}) (utt.save.wave (SayText "{word}") "{path}" \'riff)'
        subprocess.run(["festival", "--batch", scheme], check=True, capture_output=True)
    else:
        raise SystemExit(f"unknown engine {engine!r} (flite, espeak or festival)")


def read_mono_16k(path):
    """Any WAV the synthesizers write -> float64 mono at RATE, via sox's resampler."""
    fd, tmp = tempfile.mkstemp(suffix=".wav")
    os.close(fd)
    try:
        subprocess.run(["sox", path, "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer", tmp],
                       check=True, capture_output=True)
        with wave.open(tmp, "rb") as w:
            x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768.0
    finally:
        os.unlink(tmp)
    return x


def trim_silence(x, floor=0.01):
    loud = np.nonzero(np.abs(x) > floor * np.max(np.abs(x)))[0]
    return x[loud[0]:loud[-1] + 1] if len(loud) else x


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--voice", default="flite:kal16")
    ap.add_argument("--words", default="yes,stop,go,left,seven,off")
    ap.add_argument("--out", default=str(pathlib.Path(__file__).parent / "data" / "commands.wav"))
    ap.add_argument("--seed", type=int, default=5)
    a = ap.parse_args()
    engine, _, voice = a.voice.partition(":")
    words = [w for w in a.words.split(",") if w]

    parts = [np.zeros(int(LEAD_S * RATE))]
    with tempfile.TemporaryDirectory() as tmp:
        for i, word in enumerate(words):
            raw = os.path.join(tmp, f"{i}.wav")
            synthesize(engine, voice, word, raw)
            x = trim_silence(read_mono_16k(raw))
            parts.append(x * (10 ** (PEAK_DBFS / 20) / np.max(np.abs(x))))
            parts.append(np.zeros(int((GAP_S if i + 1 < len(words) else TAIL_S) * RATE)))
    speech = np.concatenate(parts)
    rng = np.random.default_rng(a.seed)
    noisy = speech + rng.standard_normal(len(speech)) * 10 ** (NOISE_DBFS / 20)
    pcm = np.round(np.clip(noisy, -1.0, 32767 / 32768) * 32768).astype("<i2")

    out = pathlib.Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())
    out.with_suffix(".expected").write_text("".join(w + "\n" for w in words))
    print(f"{out}: {len(pcm) / RATE:.2f} s, voice {a.voice}, words {' '.join(words)}")


if __name__ == "__main__":
    main()
