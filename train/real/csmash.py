"""csmash-data: /usr/share/games/csmash/wav/, the umpire of Cannon Smash (one male
voice, 16 kHz): zero.wav..nine.wav are the keyword digits (file name = text); ten..
thirty, all.wav ("all") and loveall.wav ("love all") are score calls without a
keyword; fourteen, sixteen.. nineteen hold a keyword's sound and are dropped by the
text rules; click, racket and table are sound effects. Pocketsphinx's keyword check
hears eight of the ten digits; it hears "one" as "on" and "eight" as "a" (an accent
the en-us model does not expect), and the file names are kept as the labels."""
import glob
import os

from .common import Dropped, files_clip, label_for_text

PKG = "csmash-data"
ROOT = "/usr/share/games/csmash/wav"
SPEAKER = "csmash-umpire"
NOT_SPEECH = {"click", "racket", "table"}
TEXT = {"loveall": "love all"}


def collect(ctx):
    pkg = ctx.package(PKG)
    clips, drops = [], []
    for f in sorted(glob.glob(pkg.path(ROOT) + "/*.wav")):
        stem, rel = os.path.basename(f)[:-4], pkg.rel(f)
        if stem in NOT_SPEECH:
            drops.append(Dropped(PKG, rel, "not speech (sound effect)"))
            continue
        text = TEXT.get(stem, stem)
        label, why = label_for_text(text)
        if label is None:
            drops.append(Dropped(PKG, rel, why))
            continue
        clips.append(files_clip(PKG, pkg, f, text, label, SPEAKER, "filename"))
    return clips, drops
