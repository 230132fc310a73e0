"""wing-data: /usr/share/games/wing/sound/: one.wav, two.wav, three.wav and
go.wav are the start countdown (file name = keyword; a strongly processed
voice: pocketsphinx's language model does not recognise them, see the sanity
check in the report). gameover.wav says "game over"; the rest are effects."""
import glob
import os

from .common import UNKNOWN, Dropped, files_clip

PKG = "wing-data"
SPEAKER = "wing-voice"
KEYS = {"one": "one", "two": "two", "three": "three", "go": "go"}
WORDS = {"gameover": "game over"}


def collect(ctx):
    pkg = ctx.package(PKG)
    clips, drops = [], []
    for f in sorted(glob.glob(pkg.path("/usr/share/games/wing/sound/*.wav"))):
        stem = os.path.basename(f)[:-4]
        if stem in KEYS:
            clips.append(files_clip(PKG, pkg, f, KEYS[stem], KEYS[stem], SPEAKER, "filename"))
        elif stem in WORDS:
            clips.append(files_clip(PKG, pkg, f, WORDS[stem], UNKNOWN, SPEAKER, "filename"))
        else:
            drops.append(Dropped(PKG, pkg.rel(f), "not speech (sound effect)"))
    return clips, drops
