"""asterisk-core-sounds-en-wav: the telephone prompts of the Asterisk PBX, one
professional US voice (Allison Smith), 8 kHz. asterisk-core-sounds-en ships
their transcripts (core-sounds-en.txt: "name: text").

* a prompt whose text is exactly one keyword (digits/0..9, vm-no) is a whole-file
  keyword clip;
* a prompt with keywords or homophones in it ("press one", "agent logged off",
  "call-forward on busy", "enter your number followed by pound") has its keywords
  cut out by forced alignment and its stretches free of both kept as non-keywords;
* a prompt free of keywords and homophones is a non-keyword (the writer splits
  long ones at pauses);
* tones, beeps and silences are dropped.

Its keywords come at telephone bandwidth (nothing above 4 kHz). The voice adds a
speaker to real-train for the digits, "no", "left", "right" and "on" (87 keyword clips
and 675 non-keywords in the first build).
The g722 package has the same prompts at 16 kHz, but GStreamer's avdec_g722 does not
negotiate with raw G.722 files, and sox cannot read them."""
import gzip
import os
import re

from .common import Dropped, decode, files_clip, label_for_text
from .cut import cut_clips

PKG = "asterisk-core-sounds-en-wav"
TEXTS = "asterisk-core-sounds-en"
SPEAKER = "ast-allison"
ROOT = "/usr/share/asterisk/sounds/en_US_f_Allison"
TRANSCRIPTS = "/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz"
# words that need a written form pocketsphinx's dictionary knows
REWRITE = {"*": " star ", "#": " pound "}


def transcripts(path):
    """{prompt name: text} from core-sounds-en.txt (';' starts a comment)."""
    out = {}
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"([A-Za-z0-9_/+-]+):\s*(.*\S)\s*$", line)
            if m and not line.startswith(";"):
                out[m.group(1)] = m.group(2)
    return out


def spoken(text):
    """The transcript as words to align: symbols spelt out, no bracketed notes."""
    for k, v in REWRITE.items():
        text = text.replace(k, v)
    return re.sub(r"\s+", " ", text).strip()


def collect(ctx):
    pkg, texts = ctx.package(PKG), ctx.package(TEXTS)
    clips, drops, phrases = [], [], []
    for name, text in sorted(transcripts(texts.path(TRANSCRIPTS)).items()):
        rel = f"{ROOT}/{name}.wav"
        if text.startswith("["):
            drops.append(Dropped(PKG, rel, f"not speech ({text})"))
            continue
        if not os.path.exists(pkg.path(rel)):
            drops.append(Dropped(PKG, rel, "no audio file for the transcript line"))
            continue
        x = decode(pkg.path(rel))
        text = spoken(text)
        label, _why = label_for_text(text)
        if label is not None:
            clips.append(files_clip(PKG, pkg, pkg.path(rel), text, label, SPEAKER, "label-file", x=x))
        else:   # keywords or homophones inside: cut out the keywords and the clean stretches
            phrases.append((rel, x, text))
    c, d = cut_clips(ctx, PKG, phrases, SPEAKER, keep_rest=True)
    return clips + c, drops + d
