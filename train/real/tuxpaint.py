"""tuxpaint-stamps-default: spoken stamp names.

* symbols/math/<d>_en_GB.ogg: a British English voice saying zero..nine
  (file name = digit; keyword clips);
* symbols/alphabets/english/**/<x>_*_en_GB.ogg: the same voice saying letter
  names (non-keywords; the filled/outlined/upper/lower copies are identical
  files, so each recording is used once);
* <stamp>_desc.ogg: the default (English) spoken description, whose text is the
  first line of <stamp>.txt ("A crow."); descriptions in other languages
  (_desc_fr.ogg, ...) are not used. A description with a keyword-like word
  ("Two wild boars.") is dropped.
* symbols/math/<d>.ogg (no language tag = the default English): another voice
  saying zero..nine (keyword clips)."""
import glob
import hashlib
import os

from .common import Clip, Dropped, decode, label_for_text

PKG = "tuxpaint-stamps-default"
ROOT = "/usr/share/tuxpaint/stamps"
DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def collect(ctx):
    pkg = ctx.package(PKG)
    clips, drops = [], []
    for d in range(10):
        rel = f"{ROOT}/symbols/math/{d}_en_GB.ogg"
        clips.append(Clip(decode(pkg.path(rel)), DIGITS[d], DIGITS[d], "tuxpaint-engb", PKG, rel, "filename"))
        rel = f"{ROOT}/symbols/math/{d}.ogg"
        clips.append(Clip(decode(pkg.path(rel)), DIGITS[d], DIGITS[d], "tuxpaint-en", PKG, rel, "filename"))
    seen = {}
    for f in sorted(glob.glob(pkg.path(ROOT + "/symbols/alphabets/english") + "/**/*_en_GB.ogg", recursive=True)):
        h = hashlib.sha1(open(f, "rb").read()).hexdigest()
        rel = pkg.rel(f)
        if h in seen:
            continue
        seen[h] = rel
        letter = os.path.basename(f).split("_")[0].lower()
        clips.append(Clip(decode(f), letter, "_unknown_", "tuxpaint-engb", PKG, rel, "filename",
                          note="letter name"))
    other = glob.glob(pkg.path(ROOT) + "/**/*_desc_*.ogg", recursive=True)
    drops.append(Dropped(PKG, ROOT + "/**/*_desc_<lang>.ogg", f"descriptions in other languages: {len(other)} files"))
    for f in sorted(glob.glob(pkg.path(ROOT) + "/**/*_desc.ogg", recursive=True)):
        rel = pkg.rel(f)
        txt = f[:-len("_desc.ogg")] + ".txt"
        text = ""
        if os.path.exists(txt):
            with open(txt, encoding="utf-8", errors="replace") as t:
                text = t.readline().strip()
        if not text:
            drops.append(Dropped(PKG, rel, "no English text in the stamp's .txt"))
            continue
        label, why = label_for_text(text)
        if label is None:
            drops.append(Dropped(PKG, rel, why))
            continue
        clips.append(Clip(decode(f), text, label, "tuxpaint-desc", PKG, rel, "label-file"))
    return clips, drops
