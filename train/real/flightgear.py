"""flightgear-data-base: /usr/share/games/flightgear/Sounds/mk-viii/, the spoken
callouts of FlightGear's GPWS (ground proximity warning) instrument, 11025 Hz:
altitude-N.wav says N ("one hundred", "twenty five hundred"), the rest say their
file names ("sink rate", "too low gear"). The keywords are cut out of the number
calls (and "up" out of "pull up") by forced alignment, with the keyword check of
the other sources; the calls free of keywords and homophones are non-keywords.
The callouts are probably not one voice (median pitch 90-260 Hz), but the package
says nothing of who recorded them, so they share one train-only speaker id.
The *-inop, application-data-base-failed and configuration-type-invalid files
are later additions in another, cleaner voice at 16 kHz, possibly synthesised:
not used. The package is 1.3 GB; only the callouts' folder is unpacked."""
import glob
import os

from .common import Dropped, decode, files_clip, label_for_text, number_words, words_of
from .cut import cut_clips

PKG = "flightgear-data-base"
ROOT = "/usr/share/games/flightgear/Sounds/mk-viii"
SPEAKER = "fg-gpws"
TEXT = {"100-above": "one hundred above", "500-above": "five hundred above", "dont-sink": "don't sink",
        "glideslope": "glide slope"}
LATER_VOICE = ("-inop", "application-data-base-failed", "configuration-type-invalid")


def text_of(stem):
    """What a callout file says, from its name."""
    if stem in TEXT:
        return TEXT[stem]
    if stem.startswith("altitude-"):
        n = int(stem.split("-", 1)[1])
        if n >= 1000 and n % 1000 == 0:
            return number_words(n // 1000) + " thousand"
        if n >= 100 and n % 100 == 0:
            return number_words(n // 100) + " hundred"
        return number_words(n)
    return stem.replace("-", " ")


def collect(ctx):
    pkg = ctx.package(PKG, only=("*/Sounds/mk-viii/*",))
    clips, drops, jobs = [], [], []
    for f in sorted(glob.glob(pkg.path(ROOT) + "/*.wav")):
        stem, rel = os.path.basename(f)[:-4], pkg.rel(f)
        if stem.endswith(LATER_VOICE):
            drops.append(Dropped(PKG, rel, "later addition in another voice (16 kHz), possibly synthesised"))
            continue
        text = text_of(stem)
        label, why = label_for_text(text)
        if label is not None:
            clips.append(files_clip(PKG, pkg, f, text, label, SPEAKER, "filename"))
        elif len(words_of(text)) == 1:   # "forty": nothing to cut, nothing left
            drops.append(Dropped(PKG, rel, why))
        else:   # a keyword (or a homophone) inside: cut out the keywords and the clean stretches
            jobs.append((rel, decode(f), text))
    c, d = cut_clips(ctx, PKG, jobs, SPEAKER, keep_rest=True)
    return clips + c, drops + d
