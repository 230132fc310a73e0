"""ktx (the KTX QuakeWorld server mod): /usr/share/games/quake/ktx/sound/ra/, the
Rocket Arena announcer (one deep male voice, 8-bit 11025 Hz): 1.wav, 2.wav and
3.wav count one, two, three (file name = text; the keyword check hears two and
three); fight.wav, excelent.wav ("excellent") and flawless.wav ("flawless
victory") are non-keywords. The mod's other sounds are effects."""
import os

from .common import Dropped, files_clip, label_for_text

PKG = "ktx"
ROOT = "/usr/share/games/quake/ktx/sound/ra"
SPEAKER = "ktx-announcer"
TEXT = {"1": "one", "2": "two", "3": "three", "fight": "fight", "excelent": "excellent",
        "flawless": "flawless victory"}


def collect(ctx):
    pkg = ctx.package(PKG)
    clips, drops = [], []
    for stem, text in sorted(TEXT.items()):
        rel = f"{ROOT}/{stem}.wav"
        if not os.path.exists(pkg.path(rel)):
            drops.append(Dropped(PKG, rel, "file missing in this version of the package"))
            continue
        label, _ = label_for_text(text)
        clips.append(files_clip(PKG, pkg, pkg.path(rel), text, label, SPEAKER, "filename"))
    return clips, drops
