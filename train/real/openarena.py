"""openarena-data and openarena-081-misc (.pk3 = zip, read with zipfile).

* pak6-misc.pk3 sound/feedback/: the announcer ("Fuzztooth", credits.txt):
  one.wav, two.wav, three.wav (the countdown) are keywords; "1_frag",
  "2_frags", "3_frags", "1_minute", "5_minute" get the number cut out by
  forced alignment; the other announcements ("excellent", "impressive", ...)
  are non-keywords. sound/teamplay/voc_*.wav are the same announcer.
* mp-pak0.pk3 sound/voices/rott/: a human bot-chat voice (RottKing): yes.ogg,
  no.ogg are keywords; the other lines are non-keywords or have the keyword
  cut out ("go for the flag" has "for": dropped).
* sound/voices/festivoxmale/ is Festival speech synthesis, not a human: unused.
Texts come from the file names (written out in TEXT); non-keyword lines are also
transcribed and dropped when pocketsphinx hears a keyword-like word.
"""
from .common import KEYWORDS, UNKNOWN, Clip, Dropped, decode, has_keyword, keyword_hits, label_for_text
from .cut import cut_clips

PKGS = ("openarena-081-misc", "openarena-data")
MISC = "/usr/share/games/openarena/baseoa/pak6-misc.pk3"
MP = "/usr/share/games/openarena/missionpack/mp-pak0.pk3"
BASE = "/usr/share/games/openarena/baseoa/pak0.pk3"
FEEDBACK = {
    "one": "one", "two": "two", "three": "three", "1_frag": "one frag", "2_frags": "two frags",
    "3_frags": "three frags", "1_minute": "one minute remaining", "5_minute": "five minute warning",
    "accuracy": "accuracy", "assist": "assist", "blueleads": "blue leads", "defense": "defense",
    "denied": "denied", "excellent": "excellent", "excellent_a": "excellent", "fight": "fight",
    "fight2": "fight", "frags": "frags", "gauntlet": "gauntlet", "humiliation": "humiliation",
    "impressive": "impressive", "impressive_a": "impressive", "lostlead": "you have lost the lead",
    "perfect": "perfect", "prepare": "prepare to fight", "redleads": "red leads",
    "sudden_death": "sudden death", "takenlead": "you have taken the lead",
    "teamstied": "teams are tied", "tiedlead": "you are tied for the lead", "voc_holyshit": "holy shit",
    "voc_youlose": "you lose", "voc_youwin": "you win", "vote_failed": "vote failed",
    "vote_now": "vote now", "vote_passed": "vote passed", "youlose": "you lose", "youwin": "you win",
}
TEAMPLAY = {
    "voc_base_attack": "your base is under attack", "voc_blue_returned": "blue flag returned",
    "voc_blue_scores": "blue scores", "voc_enemy_1flag": "the enemy has the flag",
    "voc_enemy_flag": "the enemy has your flag", "voc_red_returned": "red flag returned",
    "voc_red_scores": "red scores", "voc_team_1flag": "your team has the flag",
    "voc_team_flag": "your team has the enemy flag", "voc_you_flag": "you have the flag",
}
ROTT = {
    "affirmative": "affirmative", "baseunderattack": "our base is under attack", "camphere": "camp here",
    "coverme": "cover me", "defendflag": "defend our flag", "defendthebase": "defend the base",
    "dontwannabeleader": "i don't want to be the leader anymore", "followingcarrier": "following the carrier",
    "followme": "follow me", "getflag": "get the flag", "getsomeskulls": "get some skulls",
    "getthatflag": "get that flag", "gettheflag": "get the flag", "gettingourflag": "getting our flag",
    "gofortheflag": "go for the flag", "goingonpatrol": "going on patrol", "gopatrol": "go patrol the area",
    "haveflag": "i have the flag", "haveourflag": "they have our flag", "illcoverbase": "i'll cover our base",
    "imcampinghere": "i'm camping here", "imfollowing": "i'm following", "imgoingin": "i'm going in",
    "imtheleader": "i'm the leader", "incomingfire": "incoming enemy fire", "inposition": "i'm in position",
    "iwanttopatrol": "i want to patrol", "justroaming": "just roaming around", "keepupcarrier": "keep up with the carrier",
    "negative": "negative", "no": "no", "ok": "okay", "ondefense": "i'm on defense", "rogerthat": "roger that",
    "wanttoattack": "want to attack", "wanttodefend": "want to defend", "wanttoroam": "i want to roam around",
    "whereareyou": "where are you", "whoisleader": "who is leader", "yes": "yes",
    "youreonoffense": "you're on offense",
}
# Announcer sounds that are not speech
NOT_SPEECH = {"hit", "hit_teammate", "hithi", "hitlo"}


def _members(z, folder):
    for n in sorted(z.namelist()):
        d, _, b = n.rpartition("/")
        if d == folder and b.endswith((".wav", ".ogg")):
            yield n, b.rsplit(".", 1)[0]


def _sort(ctx, pkgname, items, clips, drops, jobs, unknown):
    """items: [(original, x, text, speaker)] -> keyword clips / cut jobs / unknown-to-check."""
    for orig, x, text, spk in items:
        label, why = label_for_text(text)
        if label in KEYWORDS:
            clips.append(Clip(x, text, label, spk, pkgname, orig, "filename"))
        elif label == UNKNOWN:
            unknown.append((orig, x, text, spk))
        elif has_keyword(text):
            jobs.append((orig, x, text, spk))
        else:
            drops.append(Dropped(pkgname, orig, why))


def _finish(ctx, pkgname, clips, drops, jobs, unknown):
    spk = {o: s for o, _, _, s in jobs + unknown}
    c, d = cut_clips(ctx, pkgname, [(o, x, t) for o, x, t, _ in jobs], lambda o: spk[o])
    clips += c
    drops += d
    hyp = ctx.sphinx.transcribe([(o, x) for o, x, _, _ in unknown])
    for o, x, text, s in unknown:
        hits = keyword_hits(hyp[o])
        if hits:
            drops.append(Dropped(pkgname, o, f"'{text}' but pocketsphinx heard '{hyp[o]}' (keyword-like: "
                                             + ", ".join(w for w, _ in hits) + ")"))
        else:
            clips.append(Clip(x, text, UNKNOWN, s, pkgname, o, "checked",
                              note=f"text from file name; pocketsphinx heard '{hyp[o]}'"))


def collect(ctx):
    clips, drops = [], []
    # announcer (openarena-081-misc)
    name = PKGS[0]
    pkg = ctx.package(name)
    z = pkg.zip(MISC)
    items, jobs, unknown = [], [], []
    for folder, table in (("sound/feedback", FEEDBACK), ("sound/teamplay", TEAMPLAY)):
        for n, stem in _members(z, folder):
            orig = f"{MISC}!{n}"
            if stem in NOT_SPEECH or stem not in table:
                drops.append(Dropped(name, orig, "not speech (sound effect)" if stem in NOT_SPEECH or
                                     stem.startswith("flag") else "no text for this file"))
                continue
            items.append((orig, decode(z.read(n), suffix=n.rsplit(".", 1)[1]), table[stem], "oa-announcer"))
    _sort(ctx, name, items, clips, drops, jobs, unknown)
    _finish(ctx, name, clips, drops, jobs, unknown)
    # rott bot voice (openarena-data)
    name = PKGS[1]
    pkg = ctx.package(name)
    z = pkg.zip(MP)
    items, jobs, unknown = [], [], []
    for n, stem in _members(z, "sound/voices/rott"):
        orig = f"{MP}!{n}"
        if stem not in ROTT:
            drops.append(Dropped(name, orig, "no text for this file"))
            continue
        items.append((orig, decode(z.read(n), suffix="ogg"), ROTT[stem], "oa-rott"))
    drops.append(Dropped(name, f"{MP}!sound/voices/festivoxmale/*.ogg",
                         "Festival speech synthesis (not a human voice); 57 files"))
    _sort(ctx, name, items, clips, drops, jobs, unknown)
    _finish(ctx, name, clips, drops, jobs, unknown)
    return clips, drops
