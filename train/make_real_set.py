#!/usr/bin/env python3
"""Build a REAL human-speech keyword set from Debian packages (corpus-build time
only; nothing here runs in the tests).

    /usr/bin/python3 -m train.make_real_set --out data/real --debs data/real-debs

1. `apt-get download` each package into --debs (skipped when the .deb is there)
   and `dpkg -x` it into <debs>/x/<package>/; zips (warzone's base.wz,
   openarena's .pk3) are read with zipfile.
2. train/real/<source>.py finds the recordings, decodes them with sox (or
   GStreamer) to 16 kHz mono and labels each from file names, the games' own
   label files, or pocketsphinx (forced alignment to cut a keyword out of a
   phrase, keyword check, transcription of unlabelled clips). Every clip left
   out is logged in manifest.json's "dropped" with the reason.
3. train/real/layout.py writes <out>/<keyword|other>/<speaker>_nohash_<n>.wav,
   testing_list.txt (real-dev), manifest.json and COUNTS.md.

Needs: apt-get (Debian archive), dpkg, sox, gst-launch-1.0, pocketsphinx and
pocketsphinx-en-us (tools/setup.sh installs them). pocketsphinx results are
cached in <debs>/sphinx-cache.json, so a rerun is fast and gives the same set.
"""
import argparse
import os
import time
from collections import Counter

from .real import (alsa, asterisk, csmash, flightgear, hedgewars, kajongg, klettres, ktuberling, ktx,
                   megaglest, neverball, openarena, saytime, scid, speechtests, tuxpaint, warzone, wing)
from .real.common import HOMOPHONES, KEYWORDS, UNKNOWN, Context
from .real.layout import reason_kind, write

SOURCES = [
    ("alsa", alsa), ("klettres", klettres), ("scid", scid), ("wing", wing), ("neverball", neverball),
    ("kajongg", kajongg), ("tuxpaint", tuxpaint), ("openarena", openarena), ("warzone", warzone),
    ("megaglest", megaglest), ("hedgewars", hedgewars), ("ktuberling", ktuberling),
    ("speechtests", speechtests), ("asterisk", asterisk), ("csmash", csmash), ("flightgear", flightgear),
    ("saytime", saytime), ("ktx", ktx),
]

# ---------------------------------------------------------------------------
# The split, by speaker. real-dev = testing_list.txt; everything else is
# real-train. Chosen by hand from the counts of the first full build
# (data/real/COUNTS.md; keyword clips: dev 123 = 43 %, train 166):
#   * every keyword with two or more speakers has speakers on both sides:
#     digits: the two complete zero..nine voices of tuxpaint are split
#     (tuxpaint-en dev, tuxpaint-engb train), warzone's commander (dev) against
#     the pilot/console (train), kajongg two and two (female1 + male1 dev,
#     female2 + male2 train), scid dev, the openarena announcer, wing and
#     pocketsphinx's test voices train; "left": alsa (dev) / warzone console
#     (train); "right": alsa (dev) / megaglest initiate (train); "up":
#     neverball (dev) / megaglest dragon rider (train); "go", "on", "no" alike;
#   * "yes" comes almost only from megaglest: the original Glest cast (archer,
#     technician, horseman, swordman, guard, worker, battlemage, archmage,
#     daemon -- one script, "yes sir" / "at your command", possibly few
#     actors) stays together in train; the faction voices added later (several
#     women among them) are dev;
#   * klettres en/en_GB are held-out speakers of the synthetic corpus: dev;
#   * speakers that may be one person stay on one side (SAME_SIDE); warzone's
#     commander and countdown (same pitch and radio chain) are already one id,
#     the three VTOL pilots too;
#   * non-keyword voices: dev gets a fair share for false-trigger rates
#     (hedgewars 4 of 9 packs, ktuberling, librivox; ~37 % of non-keywords).
# "down", "off" and "stop" have no verified real clip at all.
# A speaker missing here is an error (make_real_set.py stops), so a new
# source must be given a side explicitly.
# ---------------------------------------------------------------------------
SPLIT = {
    # keyword voices
    "alsa-voice": "dev",          # left, right (+ front/rear/side, center)
    "klettres-en": "dev",         # no -- held out in the synthetic corpus
    "klettres-engb": "dev",       # no -- held out in the synthetic corpus
    "scid-voice": "dev",          # one..eight
    "neverball-voice": "dev",     # go, one..four, up
    "wz-commander": "dev",        # zero..nine (+ countdown digits), no
    "tuxpaint-en": "dev",         # zero..nine
    "kajongg-female1": "dev",     # digits, no
    "kajongg-male1": "dev",       # digits, no
    "oa-rott": "dev",             # yes, no, on
    "tuxpaint-engb": "train",     # zero..nine (+ letters)
    "kajongg-female2": "train",   # digits, no
    "kajongg-male2": "train",     # digits
    "wz-console": "train",        # left (tutorial), no, on
    "wz-pilot": "train",          # two, three, four, go
    "wz-vtol": "train",           # on
    "wing-voice": "train",        # one, two, three, go
    "oa-announcer": "train",      # one, two, three
    "ps-cards": "train",          # digits
    "ps-dhd": "train",            # digits, go
    "ast-allison": "train",       # digits, no, left, right, on (telephone band; session 11,
                                  # after the first build: real-dev is unchanged by it)
    "csmash-umpire": "train",     # digits (session 12, after the first build, like those below)
    "fg-gpws": "train",           # one..five, up (cut from altitude calls and "pull up")
    "saytime-voice": "train",     # zero..nine
    "ktx-announcer": "train",     # one, two, three
    # megaglest: the original Glest cast (same script: "yes sir", "at your
    # command", "for glory"; some may be one actor) -> train; the faction voices
    # added later (other actors, several female) -> dev.
    "mg-archer": "train", "mg-archmage": "train", "mg-axe-thrower": "train", "mg-battlemage": "train",
    "mg-daemon": "train", "mg-guard": "train", "mg-horseman": "train", "mg-swordman": "train",
    "mg-technician": "train", "mg-worker": "train",
    # two faction voices go to train so that "right" (initiate, alsa) and "up"
    # (dragon rider, neverball) have a speaker on each side
    "mg-initiate": "train", "mg-dragonrider": "train",
    "mg-carpet": "dev", "mg-cudgellady": "dev", "mg-genie": "dev",
    "mg-princess": "dev", "mg-shaman": "dev", "mg-spearman": "dev",
    "mg-stickfighter": "dev", "mg-summoner": "dev", "mg-valkyrie": "dev", "mg-warrior": "dev",
    # hedgewars voice packs (Classic and Default may be one actor: both train)
    "hw-british": "dev", "hw-mobster": "dev", "hw-pirate": "dev", "hw-surfer": "dev",
    "hw-classic": "train", "hw-default": "train", "hw-hillbilly": "train", "hw-robot": "train",
    "hw-singer": "train",
    # non-keyword voices
    "ktuberling-en": "dev",
    "ps-librivox": "dev",
    "tuxpaint-desc": "train",
    "wz-taunt1": "dev", "wz-taunt2": "train", "wz-taunt3": "train",
    "wz-collective": "train", "wz-nexus": "dev",
    "c2-hts": "dev", "c2-morig": "dev", "c2-forig": "train", "c2-bigdog": "train", "c2-cross": "dev",
    "c2-mmt1": "train", "c2-wia": "dev", "c2-vk5qi": "train", "c2-david": "dev",
}
# Speakers that may be one person: always on the same side (checked by the test).
SAME_SIDE = [
    ("klettres-en", "klettres-engb"),
    ("ps-dhd", "ps-cards"),
    ("hw-classic", "hw-default"),
    ("mg-archer", "mg-archmage", "mg-axe-thrower", "mg-battlemage", "mg-daemon", "mg-guard", "mg-horseman",
     "mg-swordman", "mg-technician", "mg-worker"),
]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="data/real")
    ap.add_argument("--debs", default="data/real-debs")
    ap.add_argument("--only", nargs="*", help="source names to build (default: all); for debugging")
    ap.add_argument("--sanity", type=int, default=20, metavar="N",
                    help="after writing, run pocketsphinx on N sampled keyword clips (and the keyword "
                         "check on all of them) as a label sanity check; 0: skip")
    args = ap.parse_args(argv)
    from .real.sphinx import Sphinx

    t0 = time.time()
    log = lambda *a: print(*a, flush=True)  # noqa: E731
    sphinx = Sphinx(os.path.join(args.debs, "sphinx-cache.json"), log=log)
    ctx = Context(args.debs, sphinx, log)
    clips, dropped = [], []
    for name, mod in SOURCES:
        if args.only and name not in args.only:
            continue
        t = time.time()
        log(f"[{name}]")
        c, d = mod.collect(ctx)
        clips += c
        dropped += d
        log(f"[{name}] {len(c)} clips ({sum(x.label != UNKNOWN for x in c)} keyword), {len(d)} dropped, "
            f"{time.time() - t:.0f} s")
    versions = {name: p.version for name, p in ctx.packages.items()}
    missing = sorted({c.speaker for c in clips} - set(SPLIT))
    if missing:
        raise SystemExit("speakers without a split (add them to SPLIT): " + ", ".join(missing))
    manifest = write(args.out, clips, dropped, versions, SPLIT, log)
    summary(manifest, time.time() - t0)
    if args.sanity:
        sanity(args.out, manifest, sphinx, args.sanity)


def sanity(out, manifest, sphinx, n):
    """Listen by proxy: pocketsphinx on the written keyword clips. The keyword
    check (20 keywords + distractors) runs on every keyword clip; the free
    language-model transcription on a fixed sample of n. Clips labelled by
    'aligned'/'checked' already passed the keyword check once (on the uncut
    or untrimmed audio), so the file-name/label-file ones are the real test."""
    from .wav import read_wav
    kw = [r for r in manifest["clips"] if r["label"] != UNKNOWN]
    audio = [(r["rel"], read_wav(os.path.join(out, r["rel"]))[0]) for r in kw]
    heard = sphinx.check(audio)
    got = sphinx.align("( " + " | ".join(KEYWORDS) + " )", audio)
    closest = {k: (v[0][0] if v else "") for k, v in got.items()}
    print()
    print("sanity: on all keyword clips, by how they were labelled -- keyword check (keywords + distractor")
    print("words) hears the label / the closest of the 20 keywords is the label:")
    for how in sorted({r["how"] for r in kw}):
        sub = [r for r in kw if r["how"] == how]
        ok = sum(heard[r["rel"]] == r["label"] for r in sub)
        ok2 = sum(closest[r["rel"]] == r["label"] for r in sub)
        print(f"  {how:10s} {ok}/{len(sub)}  {ok2}/{len(sub)}")
    ok = sum(heard[r["rel"]] == r["label"] for r in kw)
    ok2 = sum(closest[r["rel"]] == r["label"] for r in kw)
    print(f"  {'all':10s} {ok}/{len(kw)}  {ok2}/{len(kw)}")
    for r in kw:
        if heard[r["rel"]] != r["label"]:
            print(f"    {r['rel']}: {r['label']} -> check '{heard[r['rel']]}', closest keyword "
                  f"'{closest[r['rel']]}' ({r['how']})")
    # the sample: one clip per speaker in turn (speakers in a fixed shuffled
    # order, round robin), so it spans the packages and ways of labelling
    by_spk = {}
    for r in sorted(kw, key=lambda r: r["rel"]):
        by_spk.setdefault(r["speaker"], []).append(r)
    import numpy as np
    order = [sorted(by_spk)[i] for i in np.random.default_rng(0).permutation(len(by_spk))]
    sample, k = [], 0
    while len(sample) < min(n, len(kw)):
        for spk in order:
            if k < len(by_spk[spk]) and len(sample) < n:
                sample.append(by_spk[spk][k])
        k += 1
    lm = sphinx.transcribe([(r["rel"], a) for r, (_, a) in zip(kw, audio) if r in sample])
    ok = 0
    print(f"sanity: sample of {len(sample)} keyword clips, pocketsphinx check / free transcription:")
    for r in sample:
        words = lm[r["rel"]].split()
        hit = r["label"] in words or any(HOMOPHONES.get(w) == r["label"] for w in words)
        ok += heard[r["rel"]] == r["label"]
        print(f"  {r['rel']:38s} {r['how']:10s} {r['label']:6s} check '{heard[r['rel']]}'  "
              f"closest '{closest[r['rel']]}'  lm '{lm[r['rel']]}'{'  (lm has it)' if hit else ''}")
    print(f"sanity: sample: keyword check agrees on {ok}/{len(sample)}, closest keyword on "
          f"{sum(closest[r['rel']] == r['label'] for r in sample)}/{len(sample)}, transcription contains "
          f"the keyword on {sum(r['label'] in lm[r['rel']].split() for r in sample)}/{len(sample)}")


def summary(manifest, seconds):
    c = manifest["counts"]
    print()
    print(f"{'label':10s} {'dev':>5s} {'train':>6s}")
    for k in KEYWORDS + [UNKNOWN]:
        print(f"{k:10s} {c['dev'][k]:5d} {c['train'][k]:6d}")
    per = c["per_speaker"]
    for s in ("dev", "train"):
        spk = sorted(k for k, v in per.items() if v["split"] == s)
        print(f"{s} speakers ({len(spk)}): {' '.join(spk)}")
    reasons = Counter(reason_kind(d["reason"]) for d in manifest["dropped"])
    print(f"dropped: {len(manifest['dropped'])} entries; most common reasons:")
    for r, n in reasons.most_common():
        print(f"  {n:4d}  {r}")
    print(f"wall time {seconds:.0f} s")


if __name__ == "__main__":
    main()
