"""warzone2100-data: voice lines in the base.wz zip (audio/**/*.ogg).

Texts come from the game's own label files:
  * audio/audio.cfg: `audio "pcv431.ogg" ... /*No*/` -- the comment is the
    line's text (console voice, commander, transport pilot, VTOL pilots,
    the Collective);
  * script/tutorial.js: {"audio": "tut4.ogg", ..., "message": _("Left click ...")}.
Files without a text there: the commander's digits 0.ogg..9.ogg (zero..nine),
group/reprting/commnder, the countdown clips (COUNTDOWN below, checked by
ear-by-proxy: the decoder must align the phrase) and the taunts / NEXUS lines
(transcribed with pocketsphinx and kept only when it hears no keyword-like word).

Keywords: the commander's digits (file name), "No" (pcv431), the pilot's
"4"/"3"/"2" -- each preceded by a radio beep in the commander's/pilot's files,
so these are cut out by forced alignment too; keywords inside phrases ("green light in 5", "go go go",
"no retreat", "LZ 1", "5 minutes remaining", "left click ...", "on our way",
the 10-to-1 countdown) are cut out by forced alignment.

Speakers (the split is in make_real_set.py): the console
voice (pcv*, extra, tutorial, proxmessages) is one woman; the commander's
group/number voice and the countdown share pitch and recording chain, so they
are one speaker; the transport pilot, the three VTOL pilots (one speaker: they
may be one actor), the taunt voices, the Collective and NEXUS.
"""
import re

from .common import KEYWORDS, UNKNOWN, Clip, Dropped, decode, has_keyword, keyword_hits, label_for_text
from .cut import cut_clips

PKG = "warzone2100-data"
WZ = "/usr/share/games/warzone2100/base.wz"
DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
COUNTDOWN = {
    "10to1": "ten nine eight seven six five four three two one",
}
NO_TEXT_EXTRA = {"group": "group", "reprting": "reporting", "commnder": "commander"}
NOT_SPEECH_DIRS = ("audio/sfx/", "audio/radclick/", "audio/multi/")


def speaker(member):
    d = member.split("/")
    base = d[-1]
    if "cmndrvoc" in d or "countdown" in d:
        return "wz-commander"
    if "trnsppil" in d:
        return "wz-pilot"
    if "vtoltalk" in d:
        return "wz-vtol"
    if d[1] == "taunts":
        return "wz-taunt" + re.sub(r"\D", "", d[2])
    if "coltive" in d:
        return "wz-collective"
    if "nexus" in d:
        return "wz-nexus"
    if base.startswith(("pcv", "lz", "power-", "tut", "c1prox", "c2prox", "lndgzne", "nmedeted")):
        return "wz-console"
    return None


def labels(z):
    """{file name: text} from audio.cfg comments and tutorial.js messages."""
    out = {}
    cfg = z.read("audio/audio.cfg").decode("utf-8", "replace")
    for name, comment in re.findall(r'audio\s+"([^"]+\.ogg)"[^\n]*?/\*(.*?)\*/', cfg):
        comment = comment.strip().rstrip(":").strip()
        if comment:
            out[name] = comment
    tut = z.read("script/tutorial.js").decode("utf-8", "replace")
    for name, msg in re.findall(r'"audio":\s*"(tut\d+\.ogg)"[^\n]*?"message":\s*_\("([^"]*)"\)', tut):
        out[name] = msg
    return out


def collect(ctx):
    pkg = ctx.package(PKG)
    z = pkg.zip(WZ)
    text_of = labels(z)
    clips, drops, jobs, unknown = [], [], [], []
    for d in NOT_SPEECH_DIRS:
        k = sum(1 for n in z.namelist() if n.startswith(d) and n.endswith(".ogg"))
        drops.append(Dropped(PKG, f"{WZ}!{d}*", f"not speech (sound effects): {k} files"))
    for n in sorted(z.namelist()):
        if not (n.startswith("audio/") and n.endswith(".ogg")):
            continue
        orig = f"{WZ}!{n}"
        base = n.rsplit("/", 1)[1]
        stem = base[:-4]
        if n.startswith(NOT_SPEECH_DIRS) or n.startswith("audio/sequenceaudio"):
            if n.startswith("audio/sequenceaudio"):
                drops.append(Dropped(PKG, orig, "cut-scene audio (music/effects under speech)"))
            continue  # sound effects: logged per folder above
        spk = speaker(n)
        if spk is None:
            drops.append(Dropped(PKG, orig, "unknown voice"))
            continue
        how = "label-file"
        if "cmndrvoc" in n and stem.isdigit():
            text, how = DIGITS[int(stem)], "filename"
        elif stem in NO_TEXT_EXTRA:
            text, how = NO_TEXT_EXTRA[stem], "filename"
        elif stem in COUNTDOWN:
            text, how = COUNTDOWN[stem], "filename"
        elif base in text_of:
            text = text_of[base]
        else:
            text = None
        if text is None and "countdown" in n:
            drops.append(Dropped(PKG, orig, "countdown announcement (with a number); exact text not known"))
            continue
        if text is not None:
            text = re.sub(r"\bLZ\b", "L Z", text)
        x = decode(z.read(n), suffix="ogg")
        if text is None:
            unknown.append((orig, x, spk))
            continue
        label, why = label_for_text(text)
        if label in KEYWORDS:
            # also cut by alignment: the commander's and pilot's radio lines
            # start with a radio beep that must not be part of the clip
            jobs.append((orig, x, text, spk))
        elif label == UNKNOWN:
            clips.append(Clip(x, text, UNKNOWN, spk, PKG, orig, how))
        elif has_keyword(text):
            jobs.append((orig, x, text, spk))
        else:
            drops.append(Dropped(PKG, orig, f"'{text}': {why}"))
    spk_of = {o: s for o, _, _, s in jobs}
    # one grammar per voice group keeps the alternatives few and alike
    for group in sorted(set(spk_of.values())):
        sub = [(o, x, t) for o, x, t, s in jobs if s == group]
        c, d = cut_clips(ctx, PKG, sub, lambda o: spk_of[o])
        clips += c
        drops += d
    hyp = ctx.sphinx.transcribe([(o, x) for o, x, _ in unknown])
    for o, x, spk in unknown:
        h = hyp[o]
        hits = keyword_hits(h)
        if not h:
            drops.append(Dropped(PKG, o, "no label text and no words recognised"))
        elif hits:
            drops.append(Dropped(PKG, o, f"no label text; pocketsphinx heard '{h}' (keyword-like: "
                                         + ", ".join(w for w, _ in hits) + ")"))
        else:
            clips.append(Clip(x, f"[asr] {h}", UNKNOWN, spk, PKG, o, "checked"))
    return clips, drops
