"""Real human negatives from Debian's klettres-data: letters and syllables
spoken by one native speaker per language folder. Language folder = speaker."""
import pathlib
import re
import subprocess

import numpy as np

from . import audio

ROOT = pathlib.Path("/usr/share/klettres")
# Held-out speakers (false-trigger evaluation). Both English folders go together
# because they may be the same person; the other three give ~380 test clips.
TEST_LANGS = ("en", "en_GB", "hu", "it", "ru")
# Recordings whose text sounds like a keyword ("no", "go", "to"/"tu" ~ "two",
# "fo" ~ "four"): they must not be labelled unknown.
KEYWORD_LIKE = {"no", "go", "to", "tu", "fo", "two", "won", "wan"}


def stem_text(path):
    s = path.stem.lower()
    return re.sub(r"^\d+-", "", s)


def files(limit_per_lang=None):
    """{lang: [(path, excluded_reason or None)]} sorted."""
    out = {}
    for d in sorted(p for p in ROOT.iterdir() if p.is_dir()):
        oggs = sorted(d.rglob("*.ogg"))
        if not oggs:
            continue
        if limit_per_lang:
            oggs = oggs[:limit_per_lang]
        out[d.name] = [(f, "sounds like a keyword" if stem_text(f) in KEYWORD_LIKE else None) for f in oggs]
    return out


def decode(path):
    """Decode with sox to 16 kHz mono float (no dither, so it is repeatable)."""
    raw = subprocess.run(["sox", "-R", "-V1", str(path), "-t", "raw", "-e", "floating-point", "-b", "32",
                          "-c", "1", "-r", str(audio.SR), "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype="<f4").astype(np.float32)


def clip(path, rng):
    """Trimmed recording as a 1 s GSC-style clip; longer ones keep the
    loudest second (klettres items are single letters/syllables)."""
    x = audio.trim(decode(path), margin=0.05)
    if len(x) > audio.SR:
        e = np.convolve(x.astype(np.float64) ** 2, np.ones(audio.SR), mode="valid")
        s = int(np.argmax(e))
        x = x[s:s + audio.SR]
    x = audio.normalise_peak(x, 10 ** (rng.uniform(-20, -1) / 20))
    return audio.place_in_second(x, rng)
