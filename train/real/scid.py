"""scid-data: /usr/share/scid/sounds/, the chess move announcer (one voice):
1.wav..8.wav are the rank numbers one..eight; a..h the file letters; King,
Queen, Rook, Bishop, Knight, Check, Mate, ... words. File name = text."""
import glob
import os

from .common import UNKNOWN, Dropped, files_clip, label_for_text

PKG = "scid-data"
SPEAKER = "scid-voice"
NUMBERS = {str(i): w for i, w in enumerate(["zero", "one", "two", "three", "four", "five", "six", "seven",
                                             "eight", "nine"])}
TEXT = {"CastleK": "castles king side", "CastleQ": "castles queen side", "x": "takes",
        "Promote": "promotes to", "Mate": "checkmate", "Back": "back"}
NOT_SPEECH = {"alert", "move"}   # short beeps / click sounds


def collect(ctx):
    pkg = ctx.package(PKG)
    clips, drops = [], []
    for f in sorted(glob.glob(pkg.path("/usr/share/scid/sounds/*.wav"))):
        stem = os.path.basename(f)[:-4]
        if stem in NOT_SPEECH:
            drops.append(Dropped(PKG, pkg.rel(f), "not speech (sound effect)"))
            continue
        text = NUMBERS.get(stem) or TEXT.get(stem) or stem.lower()
        label, why = label_for_text(text)
        if label is None:
            drops.append(Dropped(PKG, pkg.rel(f), why))
            continue
        clips.append(files_clip(PKG, pkg, f, text, label, SPEAKER, "filename",
                                note="" if label != UNKNOWN else "text from file name"))
    return clips, drops
