"""hedgewars-data: hedgehog voice packs, Data/Sounds/voices/<Voice>/<Line>.ogg.

The nine English packs are used (one speaker each); the others are in other
languages (Default_uk, _ru, _pl, _es, Russian, Russian_pl) and grunts
(Ow, Ooff, Jump, Firepunch, Laugh, Poison*) are not words.

The file name is the line ("Takecover" -> "take cover"), but each pack words its
lines its own way, so the name is only a guess of the text: every non-keyword
clip is also transcribed with pocketsphinx and dropped when the transcript has
a keyword or homophone. Lines that contain a keyword ("Yessir", "Enemydown",
"Thisoneismine", "Comeonthen") get the keyword cut out by forced alignment to
the line; the cut is kept only when the keyword check hears the keyword (a
pack that words the line differently mostly fails there and is dropped);
"Nooo" is a keyword "no" when the keyword check hears "no"."""
import glob
import os

from .common import UNKNOWN, Clip, Dropped, decode, has_keyword, keyword_hits, label_for_text, speaker_id
from .cut import cut_clips

PKG = "hedgewars-data"
ROOT = "/usr/share/games/hedgewars/Data/Sounds/voices"
ENGLISH = ["British", "Classic", "Default", "HillBilly", "Mobster", "Pirate", "Robot", "Singer", "Surfer"]
GRUNTS = ("Ow", "Ooff", "Jump", "Firepunch", "Laugh", "PoisonCough", "PoisonMoan")
TEXT = {
    "Byebye": "bye bye", "Comeonthen": "come on then", "Cutitout": "cut it out", "Enemydown": "enemy down",
    "Firstblood": "first blood", "Flyaway": "fly away", "Gonnagetyou": "gonna get you",
    "Illgetyou": "i'll get you", "Justyouwait": "just you wait", "Leavemealone": "leave me alone",
    "Nooo": "nooo", "Ohdear": "oh dear", "Runaway": "run away", "Sameteam": "same team", "Solong": "so long",
    "Takecover": "take cover", "Thisoneismine": "this one is mine", "Uh-oh": "uh oh", "Watchit": "watch it",
    "Watchthis": "watch this", "Whatthe": "what the", "Yessir": "yes sir", "Youllregretthat": "you'll regret that",
}


def text_of(stem):
    return TEXT.get(stem, stem.lower())


def collect(ctx):
    pkg = ctx.package(PKG)
    clips, drops, unknown, jobs, nooo = [], [], [], [], []
    for voice in sorted(os.listdir(pkg.path(ROOT))):
        folder = pkg.path(f"{ROOT}/{voice}")
        if voice not in ENGLISH:
            drops.append(Dropped(PKG, pkg.rel(folder) + "/*.ogg",
                                 f"not English ({len(os.listdir(folder))} files)"))
            continue
        spk = speaker_id("hw", voice)
        for f in sorted(glob.glob(folder + "/*.ogg")):
            rel, stem = pkg.rel(f), os.path.basename(f)[:-4]
            if stem.startswith(GRUNTS):
                drops.append(Dropped(PKG, rel, "grunt/effort sound, not words"))
                continue
            text = text_of(stem)
            label, why = label_for_text(text)
            if stem == "Nooo":
                nooo.append((rel, decode(f), spk))
            elif label == UNKNOWN:
                unknown.append((rel, decode(f), text, spk))
            elif has_keyword(text):
                jobs.append((rel, decode(f), text, spk))
            else:
                drops.append(Dropped(PKG, rel, why or "keyword"))
    spk_of = {rel: spk for rel, _, _, spk in jobs}
    c, d = cut_clips(ctx, PKG, [(r, x, t) for r, x, t, _ in jobs], lambda r: spk_of[r])
    clips += c
    drops += d
    heard = ctx.sphinx.check([(r, x) for r, x, _ in nooo])
    for rel, x, spk in nooo:
        if heard[rel] == "no":
            clips.append(Clip(x, "nooo", "no", spk, PKG, rel, "checked", note="drawn-out 'no'"))
        else:
            drops.append(Dropped(PKG, rel, f"'nooo': keyword check heard '{heard[rel]}'"))
    hyp = ctx.sphinx.transcribe([(r, x) for r, x, _, _ in unknown])
    for rel, x, text, spk in unknown:
        hits = keyword_hits(hyp[rel])
        if hits:
            drops.append(Dropped(PKG, rel, f"line '{text}' but pocketsphinx heard '{hyp[rel]}' (keyword-like: "
                                           + ", ".join(w for w, _ in hits) + ")"))
        else:
            clips.append(Clip(x, text, UNKNOWN, spk, PKG, rel, "checked",
                              note=f"text from file name; pocketsphinx heard '{hyp[rel]}'"))
    return clips, drops
