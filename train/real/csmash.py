"""csmash-data: /usr/share/games/csmash/wav/, the umpire of Cannon Smash (one male
voice, 16 kHz): zero.wav..nine.wav are the keyword digits (file name = text); ten..
thirty, all.wav ("all") and loveall.wav ("love all") are score calls without a
keyword; fourteen, sixteen.. nineteen hold a keyword's sound and are dropped by the
text rules; click, racket and table are sound effects. Pocketsphinx's keyword check
hears eight of the ten digits; it hears "one" as "on" and "eight" as "a" (an accent
the en-us model does not expect), and the file names are kept as the labels."""
import glob

from .common import named_clips

PKG = "csmash-data"
ROOT = "/usr/share/games/csmash/wav"
SPEAKER = "csmash-umpire"
NOT_SPEECH = {stem: "not speech (sound effect)" for stem in ("click", "racket", "table")}
TEXT = {"loveall": "love all"}


def collect(ctx):
    pkg = ctx.package(PKG)
    return named_clips(PKG, pkg, sorted(glob.glob(pkg.path(ROOT) + "/*.wav")), SPEAKER,
                       lambda stem: TEXT.get(stem, stem), skip=NOT_SPEECH)
