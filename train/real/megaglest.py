"""megaglest-data: unit voice lines, techs/megapack/**/sounds/*_ack*.wav and
*_select*.wav ("yes sir", "what do you want", "as you wish", ...).

No label file exists, so every clip is transcribed with pocketsphinx's en-us
language model (text recorded as "[asr] ..."):
  * transcript exactly one keyword ("yes", "no", "right") -> keyword clip when
    the keyword check on the clip agrees ("checked");
  * transcript starting with a keyword ("yes sir", "yes my lord") -> the
    keyword is cut out by forced alignment to the transcript ("aligned");
  * transcript free of keywords and homophones -> non-keyword ("checked");
  * anything else (keyword inside a phrase, "for glory" ~ four, "yeah", no
    words found) -> dropped with the reason.
Animal and monster units (cow, pig, bull, golem, dragon, ...) are not speech.

Speakers: the file family (the name before _ack/_select) is the voice: the
same family is reused by units of several factions (indian/stickfighter,
persian/fakir, ... share "stickfighter" recordings; some are even identical
files), so one family = one speaker across factions. Exception:
norsemen/flying_valkyrie uses horseman_* names for the valkyrie's lines.
"""
import glob
import os
import re

from .common import KEYWORDS, UNKNOWN, Clip, Dropped, decode, keyword_hits, speaker_id, words_of
from .cut import cut_clips

PKG = "megaglest-data"
ROOT = "/usr/share/games/megaglest/techs/megapack"
NOT_SPEECH = {"cow", "pig", "chicken", "bull", "eagle", "behemoth", "dragon", "evil_dragon", "golem",
              "mummy", "elephant", "ghost_armor"}
FAMILY_OF_FOLDER = {"norsemen/flying_valkyrie": "valkyrie"}
FAMILY_ALIAS = {"dr": "dragonrider", "cudgel": "cudgellady"}


def family(rel):
    """Voice family of a sounds file: 'archer_ack3.wav' -> 'archer'."""
    parts = rel.split("/")
    if "factions" in parts:
        i = parts.index("factions")
        folder = parts[i + 1] + "/" + parts[i + 3]
        if folder in FAMILY_OF_FOLDER:
            return FAMILY_OF_FOLDER[folder]
    stem = re.sub(r"_(ack|select)\d*$", "", os.path.basename(rel)[:-4])
    return FAMILY_ALIAS.get(stem, stem)


def collect(ctx):
    pkg = ctx.package(PKG)
    files = sorted(f for f in glob.glob(pkg.path(ROOT) + "/**/sounds/*.wav", recursive=True)
                   if re.search(r"_(ack|select)\d*\.wav$", f))
    clips, drops, items, fam = [], [], [], {}
    used = set(files)
    others = [f for f in glob.glob(pkg.path("/usr/share/games/megaglest") + "/**/*.wav", recursive=True)
              if f not in used]
    drops.append(Dropped(PKG, ROOT + "/**/*.wav (not *_ack*/*_select*)",
                         f"not acknowledgement/selection voice lines (effects, attack shouts, death cries, "
                         f"music): {len(others)} files"))
    for f in files:
        rel = pkg.rel(f)
        fam[rel] = family(rel)
        if fam[rel] in NOT_SPEECH:
            drops.append(Dropped(PKG, rel, f"not speech ({fam[rel]} unit: animal/monster sounds)"))
            continue
        items.append((rel, decode(f)))
    audio = dict(items)
    hyp = ctx.sphinx.transcribe(items)
    whole, jobs = [], []
    for rel, _ in items:
        h = hyp[rel]
        ws = words_of(h)
        spk = speaker_id("mg", fam[rel])
        if not ws:
            drops.append(Dropped(PKG, rel, "no words recognised (pocketsphinx)"))
        elif len(ws) == 1 and ws[0] in KEYWORDS:
            whole.append((rel, ws[0], spk))
        elif ws[0] in KEYWORDS and not keyword_hits(" ".join(ws[1:])):
            jobs.append((rel, audio[rel], h))
        elif keyword_hits(h):
            drops.append(Dropped(PKG, rel, f"recognised '{h}': keyword-like word(s) "
                                            + ", ".join(w for w, _ in keyword_hits(h))))
        else:
            clips.append(Clip(audio[rel], f"[asr] {h}", UNKNOWN, spk, PKG, rel, "checked"))
    heard = ctx.sphinx.check([(rel, audio[rel]) for rel, _, _ in whole])
    for rel, kw, spk in whole:
        if heard[rel] == kw:
            clips.append(Clip(audio[rel], kw, kw, spk, PKG, rel, "checked"))
        else:
            drops.append(Dropped(PKG, rel, f"recognised '{kw}' but keyword check heard '{heard[rel]}'"))
    c, d = cut_clips(ctx, PKG, jobs, lambda rel: speaker_id("mg", fam[rel]))
    # the cut keyword is what is used; the phrase itself contains it
    return clips + c, drops + d
