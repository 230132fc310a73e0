#!/usr/bin/python3
"""Build the synthetic Speech Commands v2-style training corpus.

  /usr/bin/python3 -m train.make_corpus --out data/corpus --seed 1 [--per-word 180] [--held-per-word 30] [--jobs 2] [--tiny]
      [--engines espeak,flite,festival,gnuspeech]

gnuspeech is opt-in (it needs node and npm; the package is installed on first use): the default
three engines give the same corpus as before it existed, and adding it leaves their clips as they are.
"""
import argparse
import time

from .corpus.build import build
from .corpus.speakers import ENGINES, OPT_IN_ENGINES


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="data/corpus")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--per-word", type=int, default=180, help="training clips per keyword")
    ap.add_argument("--held-per-word", type=int, help="validation and test clips per keyword "
                    "(default: per-word / 6)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--tiny", action="store_true", help="2 keywords, 3 unknown words, 2 speakers/engine")
    ap.add_argument("--engines", default=",".join(ENGINES),
                    help=f"comma-separated, from {','.join(ENGINES + OPT_IN_ENGINES)} (default: %(default)s)")
    a = ap.parse_args()
    engines = [e for e in a.engines.split(",") if e]
    bad = sorted(set(engines) - set(ENGINES + OPT_IN_ENGINES))
    if bad or not engines:
        ap.error(f"--engines: unknown {bad}" if bad else "--engines: none given")
    t0 = time.time()
    out = build(a.out, seed=a.seed, per_word=a.per_word, jobs=a.jobs, tiny=a.tiny,
                held_per_word=a.held_per_word, engines=engines)
    print(f"corpus in {out}: {time.time() - t0:.1f} s")
    print((out / "README.txt").read_text())


if __name__ == "__main__":
    main()
