"""Test recordings shipped with speech packages.

pocketsphinx-testdata (/usr/share/pocketsphinx/test/data):
  * cards/00N.wav with cards.transcription ("four queen of clubs", ...): the
    digits are cut out by forced alignment; "ten of clubs" is a non-keyword;
  * goforward.raw ("go forward ten meters", its goforward.gram),
    tidigits/dhd.2934z.raw ("two nine three four zero", tidigits naming):
    digits/"go" cut out. "dhd" is the recogniser's author; goforward.raw is
    very likely the same voice, so both are speaker ps-dhd;
  * librivox/*.wav with their transcription: one reader, sentences; those
    without keyword-like words are non-keywords (split at pauses to <= 4 s).
  numbers.raw and something.raw have no transcript: unused.
codec2-examples (/usr/share/codec2/wav, 8 kHz): the classic codec test
  sentences; no transcripts, so each (split at pauses) is transcribed and kept
  only when pocketsphinx hears no keyword-like word. m2400/f2400 are codec
  outputs of morig/forig and all.wav is a concatenation: unused.
"""
import os
import re

from .common import UNKNOWN, Clip, Dropped, decode, keyword_hits, label_for_text, split_at_pauses
from .cut import cut_clips

PS = "pocketsphinx-testdata"
C2 = "codec2-examples"
PSD = "/usr/share/pocketsphinx/test/data"
C2D = "/usr/share/codec2/wav"
C2_FILES = {"hts1a": "c2-hts", "hts2a": "c2-hts", "morig": "c2-morig", "forig": "c2-forig",
            "big_dog": "c2-bigdog", "cross": "c2-cross", "mmt1": "c2-mmt1", "wia_16kHz": "c2-wia",
            "vk5qi": "c2-vk5qi", "david4": "c2-david"}
C2_UNUSED = {"m2400": "codec output of morig.wav", "f2400": "codec output of forig.wav",
             "all": "concatenation of the other files", "ve9qrp": "long HF radio recording (not used)",
             "vk2tpm_004": "long HF radio recording (not used)"}


def _transcripts(path):
    out = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"\s*<s>(.*)</s>\s*\((\S+)\)", line)
            if m:
                out[m.group(2)] = m.group(1).strip()
    return out


def _sentences(ctx, package, items, clips, drops, how):
    """items: [(original, x, text or None, speaker)]: non-keyword sentences, split
    at pauses when over 4 s; unknown text -> transcribed per piece."""
    pieces = []
    for orig, x, text, spk in items:
        parts = [x] if len(x) <= 4 * 16000 else split_at_pauses(x)
        if not parts:
            drops.append(Dropped(package, orig, "longer than 4 s and no pauses to split at"))
            continue
        for k, p in enumerate(parts):
            o = orig if len(parts) == 1 else f"{orig}#part{k + 1}of{len(parts)}"
            pieces.append((o, p, text, spk))
    unk = [(o, p) for o, p, t, _ in pieces if t is None]
    hyp = ctx.sphinx.transcribe(unk) if unk else {}
    for o, p, text, spk in pieces:
        if text is None:
            h = hyp[o]
            hits = keyword_hits(h)
            if not h:
                drops.append(Dropped(package, o, "no words recognised"))
            elif hits:
                drops.append(Dropped(package, o, f"pocketsphinx heard '{h}' (keyword-like: "
                                                 + ", ".join(w for w, _ in hits) + ")"))
            else:
                clips.append(Clip(p, f"[asr] {h}", UNKNOWN, spk, package, o, "checked"))
        else:
            note = "part of the transcribed sentence" if "#part" in o else ""
            clips.append(Clip(p, text, UNKNOWN, spk, package, o, how, note=note))


def collect(ctx):
    clips, drops = [], []
    pkg = ctx.package(PS)
    jobs, sentences = [], []
    tr = _transcripts(pkg.path(PSD + "/cards/cards.transcription"))
    for uid, text in sorted(tr.items()):
        rel = f"{PSD}/cards/{uid}.wav"
        jobs.append((rel, decode(pkg.path(rel)), text, "ps-cards"))
    for rel, text, rate in ((f"{PSD}/goforward.raw", "go forward ten meters", 16000),
                            (f"{PSD}/tidigits/dhd.2934z.raw", "two nine three four zero", 16000)):
        jobs.append((rel, decode(pkg.path(rel), raw_rate=rate), text, "ps-dhd"))
    for rel in (f"{PSD}/numbers.raw", f"{PSD}/something.raw"):
        drops.append(Dropped(PS, rel, "no transcript"))
    tr = _transcripts(pkg.path(PSD + "/librivox/transcription"))
    for uid, text in sorted(tr.items()):
        rel = f"{PSD}/librivox/{uid}.wav"
        label, why = label_for_text(text)
        if label != UNKNOWN:
            drops.append(Dropped(PS, rel, why))
            continue
        sentences.append((rel, decode(pkg.path(rel)), text, "ps-librivox"))
    spk = {o: s for o, _, _, s in jobs}
    c, d = cut_clips(ctx, PS, [(o, x, t) for o, x, t, _ in jobs], lambda o: spk[o], keep_rest=True)
    clips += c
    drops += d
    _sentences(ctx, PS, sentences, clips, drops, "label-file")

    pkg = ctx.package(C2)
    items = []
    for name in sorted(os.listdir(pkg.path(C2D))):
        stem, rel = name[:-4], f"{C2D}/{name}"
        if stem in C2_FILES:
            items.append((rel, decode(pkg.path(rel)), None, C2_FILES[stem]))
        else:
            drops.append(Dropped(C2, rel, C2_UNUSED.get(stem, "not used")))
    _sentences(ctx, C2, items, clips, drops, "checked")
    return clips, drops
