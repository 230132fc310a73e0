"""alsa-utils: /usr/share/sounds/alsa/<Position>_<Side>.wav, one speaker saying
"Front Left", "Rear Center", ... The file name is the text. "left"/"right" are
cut out by forced alignment; the other words ("front", "rear", "side", and the
whole "... center" phrases) are non-keyword clips. Noise.wav is pink noise."""
import glob
import os

from .common import UNKNOWN, Dropped, files_clip, decode, label_for_text
from .cut import cut_clips

PKG = "alsa-utils"
SPEAKER = "alsa-voice"


def collect(ctx):
    pkg = ctx.package(PKG)
    clips, drops, jobs = [], [], []
    for f in sorted(glob.glob(pkg.path("/usr/share/sounds/alsa/*.wav"))):
        text = os.path.basename(f)[:-4].replace("_", " ").lower()
        if text == "noise":
            drops.append(Dropped(PKG, pkg.rel(f), "not speech (noise test signal)"))
            continue
        label, _ = label_for_text(text)
        if label == UNKNOWN:
            clips.append(files_clip(PKG, pkg, f, text, UNKNOWN, SPEAKER, "filename"))
        else:
            jobs.append((pkg.rel(f), decode(f), text))
    c, d = cut_clips(ctx, PKG, jobs, SPEAKER, keep_rest=True)
    return clips + c, drops + d
