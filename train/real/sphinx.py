"""Pocketsphinx (Debian's 0.8+5prealpha, `pocketsphinx_batch`) as a forced aligner
and keyword checker for the real-speech set.

Why batch mode: it decodes each file as one utterance (no VAD cuts inside a
phrase), loads the model once for many files, and with -remove_silence no the
word times are relative to the start of the file. Results are cached by audio
digest so a rerun of make_real_set.py does not decode again.

Three uses:
  align(): a JSGF grammar of the expected phrase (alternatives allowed) gives
           the words said and their times, to cut a keyword out of a phrase;
  check(): a grammar of the 20 keywords plus common distractor words; a cut
           (or a whole clip) passes when the best word is the expected keyword;
  transcribe(): the general en-us language model, to find keyword-like words in
           clips whose text is not known.
"""
import hashlib
import json
import os
import re
import subprocess
import tempfile

import numpy as np

from .common import KEYWORDS, HOMOPHONES, SR

MODEL = "/usr/share/pocketsphinx/model/en-us"
FRAME_S = 0.01
# Words a keyword cut is tested against besides the 20 keywords: short function
# words and the neighbours the cuts come from (a cut that holds the neighbour,
# or only a scrap, loses to them). Near-minimal pairs ("sick", "free", "fine")
# are deliberately absent: pocketsphinx cannot separate those reliably on a
# cut word without context, and the check is about the cut, not about them.
# Homophones of keywords are left out (the decoder could not tell them apart).
DISTRACTORS = """a the and uh ah oh hey what it is in at of with this that there then
okay sir my lord now ready player group bamboo character circle front rear side center
click minutes frag clubs spades hearts queen green light retreat route enemy patrol""".split()


def _dict_words(path):
    words = set()
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            w = line.split(" ", 1)[0]
            words.add(re.sub(r"\(\d+\)$", "", w))
    return words


class Sphinx:
    def __init__(self, cache_path, log=print, model=MODEL):
        self.hmm = os.path.join(model, "en-us")
        self.dic = os.path.join(model, "cmudict-en-us.dict")
        self.lm = os.path.join(model, "en-us.lm.bin")
        for p in (self.hmm, self.dic, self.lm):
            if not os.path.exists(p):
                raise SystemExit(f"pocketsphinx model missing ({p}): apt-get install pocketsphinx pocketsphinx-en-us")
        self.words = _dict_words(self.dic)
        self.cache_path = cache_path
        self.log = log
        self.cache = {}
        if cache_path and os.path.exists(cache_path):
            with open(cache_path) as f:
                self.cache = json.load(f)
        self.calls = 0

    def save(self):
        if self.cache_path:
            # merge with what another run may have written meanwhile
            if os.path.exists(self.cache_path):
                try:
                    with open(self.cache_path) as f:
                        disk = json.load(f)
                    disk.update(self.cache)
                    self.cache = disk
                except ValueError:
                    pass
            tmp = f"{self.cache_path}.{os.getpid()}.tmp"
            with open(tmp, "w") as f:
                json.dump(self.cache, f, sort_keys=True)
            os.replace(tmp, self.cache_path)

    def oov(self, text_words):
        return [w for w in text_words if w not in self.words]

    # -- running the decoder -------------------------------------------------
    def _batch(self, items, extra):
        """items: [(key, samples)] -> {key: [(word, start_s, end_s)]} (fillers kept)."""
        from ..wav import write_wav
        out = {}
        with tempfile.TemporaryDirectory(prefix="realsphinx") as tmp:
            ids = []
            for i, (key, x) in enumerate(items):
                uid = f"u{i:05d}"
                # a little silence either side so a word at the very edge can be aligned
                pad = np.zeros(int(0.1 * SR), dtype=np.float32)
                write_wav(os.path.join(tmp, uid + ".wav"), np.concatenate([pad, x, pad]))
                ids.append((uid, key))
            with open(os.path.join(tmp, "ctl"), "w") as f:
                f.write("".join(u + "\n" for u, _ in ids))
            seg = os.path.join(tmp, "hypseg")
            cmd = ["pocketsphinx_batch", "-adcin", "yes", "-adchdr", "44", "-cepdir", tmp, "-cepext", ".wav",
                   "-ctl", os.path.join(tmp, "ctl"), "-hmm", self.hmm, "-dict", self.dic,
                   "-hypseg", seg, "-remove_silence", "no", "-logfn", os.path.join(tmp, "log")] + extra
            subprocess.run(cmd, check=True, capture_output=True)
            self.calls += 1
            segs = {}
            with open(seg) as f:
                for line in f:
                    t = line.split()
                    if not t:
                        continue
                    body = t[9:]
                    words = []
                    for j in range(0, len(body) - 1, 4):
                        sf, w = int(body[j]), body[j + 3]
                        nxt = int(body[j + 4]) if j + 4 < len(body) else sf
                        words.append((re.sub(r"\(\d+\)$", "", w), round(sf * FRAME_S - 0.1, 3),
                                      round(nxt * FRAME_S - 0.1, 3)))
                    segs[t[0]] = words
            for uid, key in ids:
                out[key] = segs.get(uid, [])
        return out

    def _cached(self, mode, grammar, items, extra):
        gkey = hashlib.sha1((mode + "\n" + grammar).encode()).hexdigest()[:12]
        todo, result = [], {}
        for key, x in items:
            ck = f"{mode}:{gkey}:{hashlib.sha1(np.asarray(x, np.float32).tobytes()).hexdigest()[:16]}"
            if ck in self.cache:
                result[key] = [tuple(w) for w in self.cache[ck]]
            else:
                todo.append((key, x, ck))
        if todo:
            self.log(f"  pocketsphinx {mode}: {len(todo)} clip(s)")
            got = self._batch([(k, x) for k, x, _ in todo], extra)
            for key, _, ck in todo:
                self.cache[ck] = got[key]
                result[key] = got[key]
            self.save()
        return result

    def _grammar_run(self, mode, body, items):
        gram = f"#JSGF V1.0;\ngrammar g;\npublic <s> = {body} ;\n"
        with tempfile.NamedTemporaryFile("w", suffix=".gram", delete=False) as f:
            f.write(gram)
            path = f.name
        try:
            return self._cached(mode, gram, items, ["-jsgf", path])
        finally:
            os.unlink(path)

    # -- public ----------------------------------------------------------------
    def align(self, body, items):
        """body: JSGF rule body, e.g. '(bamboo | stone) (one | two)'. Returns
        {key: [(word, start_s, end_s)]} without fillers; [] when no path fits."""
        got = self._grammar_run("align", body, items)
        return {k: [w for w in v if not w[0].startswith(("<", "["))] for k, v in got.items()}

    def check(self, items, extra_words=()):
        """Best single word (keywords + distractors) per clip, homophones mapped
        to their keyword; '' when the decoder found nothing."""
        vocab = sorted(set(KEYWORDS) | {w for w in list(DISTRACTORS) + list(extra_words)
                                        if w in self.words and w not in HOMOPHONES})
        got = self._grammar_run("check", "( " + " | ".join(vocab) + " )", items)
        out = {}
        for k, v in got.items():
            ws = [w for w, _, _ in v if not w.startswith(("<", "["))]
            out[k] = ws[0] if ws else ""
        return out

    def transcribe(self, items):
        """Free recognition with the en-us language model: {key: text}."""
        got = self._cached("lm", "en-us.lm.bin", items, ["-lm", self.lm])
        return {k: " ".join(w for w, _, _ in v if not w.startswith(("<", "["))) for k, v in got.items()}
