"""ktuberling-data: the English sound theme (sounds/en.soundtheme lists the
sound name of each file: "ball", "egypt_palmtree", ...). The name (without the
playground prefix) is the word said. None is a keyword; the text check still
runs so a new keyword-like word would be dropped."""
import re

from .common import Clip, Dropped, decode, label_for_text

PKG = "ktuberling-data"
THEME = "/usr/share/ktuberling/sounds/en.soundtheme"
SPEAKER = "ktuberling-en"
FIX = {"palmtree": "palm tree", "fallingstar": "falling star", "moonwalker": "moon walker", "ufo": "u f o",
       "sphynx": "sphinx", "brocolli": "broccoli"}


def collect(ctx):
    pkg = ctx.package(PKG)
    clips, drops, seen = [], [], set()
    with open(pkg.path(THEME), encoding="utf-8") as f:
        pairs = re.findall(r'<sound name="([^"]+)" file="([^"]+)"', f.read())
    for name, file in pairs:
        if file in seen:
            continue
        seen.add(file)
        rel = "/usr/share/ktuberling/sounds/" + file
        word = name.split("_", 1)[-1]
        text = FIX.get(word, word)
        label, why = label_for_text(text)
        if label is None:
            drops.append(Dropped(PKG, rel, why))
            continue
        clips.append(Clip(decode(pkg.path(rel)), text, label, SPEAKER, PKG, rel, "label-file"))
    import glob
    other = [f for f in glob.glob(pkg.path("/usr/share/ktuberling/sounds") + "/*/*.ogg") if "/sounds/en/" not in f]
    drops.append(Dropped(PKG, "/usr/share/ktuberling/sounds/<lang>/*.ogg",
                         f"other languages: {len(other)} files"))
    return clips, drops
