"""saytime: /usr/share/saytime/*.au, the spoken clock of Jef Poskanzer's saytime
(1990, "audio time hack for the SPARCstation"): one male voice, headerless 8 kHz
u-law as /dev/audio played it. 0.au..9.au say zero..nine (file name = text; the
keyword check hears seven of them); 10..13, 15, 20, 30, 50 and the words "am",
"pm", "and", "exactly", "hour(s)", "minute(s)", "second(s)", "o'clock", "the
time is" are non-keywords. 14, 16..19 and 40 hold a keyword's sound (dropped by
the text rules), and oh.au is dropped too: "oh" is how a clock says zero."""
import glob
import os

from .common import Dropped, decode, files_clip, label_for_text, number_words

PKG = "saytime"
ROOT = "/usr/share/saytime"
SPEAKER = "saytime-voice"
TEXT = {"oclock": "o'clock", "the_time_is": "the time is"}
ZERO_SOUND = {"oh"}


def text_of(stem):
    return number_words(int(stem)) if stem.isdigit() else TEXT.get(stem, stem)


def collect(ctx):
    pkg = ctx.package(PKG)
    clips, drops = [], []
    for f in sorted(glob.glob(pkg.path(ROOT) + "/*.au")):
        stem, rel = os.path.basename(f)[:-3], pkg.rel(f)
        if stem in ZERO_SOUND:
            drops.append(Dropped(PKG, rel, "'oh' is the clock's zero"))
            continue
        text = text_of(stem)
        label, why = label_for_text(text)
        if label is None:
            drops.append(Dropped(PKG, rel, why))
            continue
        x = decode(f, raw_rate=8000, raw_encoding="u-law")
        clips.append(files_clip(PKG, pkg, f, text, label, SPEAKER, "filename", x=x))
    return clips, drops
