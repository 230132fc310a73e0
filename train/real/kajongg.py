"""kajongg: /usr/share/kajongg/voices/<voice>/ -- four English voices (female1,
female2, male1, male2; de/ is German and not used) announcing mahjongg tiles.

b<N>/c<N>/s<N>.ogg say "<suit> <N>" (bamboo / character / circle, N = 1..9).
The suit word each voice uses is not written anywhere, so a first alignment
lets the decoder choose the suit word among alternatives and the digit among
one..nine; a file is used only when the decoded digit is the one in its file
name. The digit is then cut at the aligned boundaries and kept when the
keyword check hears it (cut.py). The suit word is kept once per voice as a
non-keyword clip. Winds, dragons (colour word chosen by the aligner) and calls are
non-keyword phrases;
"no choice" gets its "no" cut out.
"""
import glob
import os

from .common import UNKNOWN, Clip, Dropped, decode, speaker_id
from .cut import cut_clips

PKG = "kajongg"
ROOT = "/usr/share/kajongg/voices"
VOICES = ["female1", "female2", "male1", "male2"]
DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
SUITS = ["bamboo", "bam", "character", "characters", "crack", "circle", "circles", "stone", "dot", "dots", "ball"]
DRAGONS = ("db", "dg", "dr")
WORDS = {"we": "east", "ws": "south", "ww": "west", "wn": "north", "chow": "chow", "pung": "pung", "kong": "kong", "mahjongg": "mahjongg",
         "dangerousgame": "dangerous game", "originalcall": "original call",
         "violatesoriginalcall": "violates original call"}
CUT = {"nochoice": "no choice"}


def collect(ctx):
    pkg = ctx.package(PKG)
    clips, drops, tiles, jobs, dragons = [], [], [], [], []
    drops.append(Dropped(PKG, ROOT + "/de/*", f"German voices ({len(glob.glob(pkg.path(ROOT + '/de') + '/*/*.ogg'))} files)"))
    for voice in VOICES:
        spk = speaker_id("kajongg", voice)
        for f in sorted(glob.glob(pkg.path(f"{ROOT}/{voice}") + "/*.ogg")):
            rel, stem = pkg.rel(f), os.path.basename(f)[:-4]
            if len(stem) == 2 and stem[0] in "bcs" and stem[1].isdigit():
                tiles.append((rel, decode(f), DIGITS[int(stem[1])], spk))
            elif stem in WORDS:
                clips.append(Clip(decode(f), WORDS[stem], UNKNOWN, spk, PKG, rel, "filename",
                                  note="text from file name (kajongg tile/call names)"))
            elif stem in DRAGONS:
                dragons.append((rel, decode(f), spk))
            elif stem in CUT:
                jobs.append((rel, decode(f), CUT[stem], spk))
            else:
                drops.append(Dropped(PKG, rel, "no text for this file"))
    # the dragon's colour word is the voice's choice: let the aligner pick it
    got = ctx.sphinx.align("( white | blue | green | red ) dragon", [(r, x) for r, x, _ in dragons])
    for rel, x, spk in dragons:
        words = [w for w, _, _ in got.get(rel, [])]
        if len(words) == 2:
            clips.append(Clip(x, " ".join(words), UNKNOWN, spk, PKG, rel, "aligned",
                              note="colour word chosen by the aligner"))
        else:
            drops.append(Dropped(PKG, rel, "dragon: alignment failed"))
    grammar = "( " + " | ".join(SUITS) + " ) ( " + " | ".join(DIGITS[1:]) + " )"
    got = ctx.sphinx.align(grammar, [(r, x) for r, x, _, _ in tiles])
    seen_suit = set()
    for rel, x, digit, spk in tiles:
        words = [w for w, _, _ in got.get(rel, [])]
        if len(words) != 2 or words[1] != digit:
            drops.append(Dropped(PKG, rel, f"tile '{digit}': aligner heard '{' '.join(words)}'"))
            continue
        jobs.append((rel, x, f"{words[0]} {digit}", spk))
    spk_of = {r: s for r, _, _, s in jobs}
    c, d = cut_clips(ctx, PKG, [(r, x, t) for r, x, t, _ in jobs], lambda r: spk_of[r], keep_rest=True)
    for clip in c:
        if clip.label == UNKNOWN:
            if (clip.speaker, clip.text) in seen_suit:
                continue
            seen_suit.add((clip.speaker, clip.text))
        clips.append(clip)
    return clips, drops + d
