"""saytime: /usr/share/saytime/*.au, the spoken clock of Jef Poskanzer's saytime
(1990, "audio time hack for the SPARCstation"): one male voice, headerless 8 kHz
u-law as /dev/audio played it. 0.au..9.au say zero..nine (file name = text; the
keyword check hears seven of them); 10..13, 15, 20, 30, 50 and the words "am",
"pm", "and", "exactly", "hour(s)", "minute(s)", "second(s)", "o'clock", "the
time is" are non-keywords. 14, 16..19 and 40 hold a keyword's sound (dropped by
the text rules), and oh.au is dropped too: "oh" is how a clock says zero."""
import glob

from .common import named_clips, number_words

PKG = "saytime"
ROOT = "/usr/share/saytime"
SPEAKER = "saytime-voice"
TEXT = {"oclock": "o'clock", "the_time_is": "the time is"}
ZERO_SOUND = {"oh": "'oh' is the clock's zero"}


def text_of(stem):
    return number_words(int(stem)) if stem.isdigit() else TEXT.get(stem, stem)


def collect(ctx):
    pkg = ctx.package(PKG)
    return named_clips(PKG, pkg, sorted(glob.glob(pkg.path(ROOT) + "/*.au")), SPEAKER, text_of,
                       skip=ZERO_SOUND, raw_rate=8000, raw_encoding="u-law")
