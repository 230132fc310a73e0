#!/usr/bin/python3
"""The peer: Debian's GStreamer `pocketsphinx` element (gstreamer1.0-pocketsphinx 0.8+5prealpha,
generic US English acoustic model of pocketsphinx-en-us) on the same real-dev material as our
element, scored with the same code (score_streams.score for streams; the real-dev clip measures
of eval_real.py: keyword clips detected exactly, non-keyword clips that trigger).

  /usr/bin/python3 -m train.peer_pocketsphinx --real data/real --streams data/real_streams \\
      --out models/peer-pocketsphinx.json [--thresholds 1e-30,1e-20,...] [--buffer-ms 20]

Pipeline (the element's default acoustic model, dictionary and LM; BUFFER_MS buffers as a live
source would give them; every file ends with EOS, which ends the element's utterance):

  filesrc ! decodebin ! audioconvert ! audioresample ! audio/x-raw,S16LE,16 kHz,mono
          ! audiobuffersplit ! pocketsphinx ! fakesink

Each clip is decoded by a fresh decoder (the element re-creates it on NULL -> READY): a decoder
kept from clip to clip carries state that changes the results by clip order (checked); our
element also decides each clip alone. --reuse-decoder trades that for speed. Each stream gets a
new element. Keyword spotting runs with a dictionary of just the 20 keywords' entries of the
default one (kws looks up only the keyphrases: same results, 10x faster decoder start).

What the element posts (read from its source and checked by running it): element messages named
"pocketsphinx" with fields timestamp (guint64), final (boolean), confidence (glong: the int32
ps_get_prob, a log probability, with garbage upper bits; 0 in kws mode), hypothesis (string; in
kws mode the keyphrases spotted in the utterance so far, newest first, e.g. "yes  go  yes ").
After every buffer whose decoding changed the hypothesis (and the hypothesis differs from the
last one posted, across utterances too) it posts final=false with timestamp = PTS of that buffer
(its once-per-100 ms check is written as 1 ms: in effect every buffer). When its voice activity
detector says speech ended, or at EOS, it ends the utterance and posts final=true with
timestamp = GST_CLOCK_TIME_NONE and the utterance's hypothesis (nothing when the hypothesis is
empty in keyword-spotting mode; an empty string in generic-LM mode). It posts no word times,
and has no keyphrase / kws-threshold properties: keyword spotting is the `kws` property, a list
file of "keyphrase /threshold/" lines. Its read-only `decoder` property is the ps_decoder_t; at a
final message (posted from the streaming thread, after ps_end_utt) this script reads the word
segments of the utterance from it through libpocketsphinx (ps_seg_iter; 10-ms frames counted
from the start of the decoder's audio, so stream times; checked by the test).

Times given to each detection (the `time` that score_streams matches, like our element's
decision time), all taken from a pad probe on the element's sink pad that records the end
(PTS + duration) of the buffer being decoded when the message is posted:
  * kws mode: the spotted keyphrases of the utterance so far, newest first (the element's hyp
    string). A keyphrase occurrence new in a message is a detection at the end of that message's
    buffer (the decision time). When the element suppresses a partial message because its text
    equals the last one posted, the detection is first seen in the final one: its time is then
    the end of the utterance (counted in `timed_at_utterance_end`).
  * generic LM mode: the hypothesis is only final at the end of the utterance. Two timings are
    scored: `word_end` (the end of the keyword's segment from the decoder: what the recogniser
    found, before the decision could be made) and `utterance_end` (when the final hypothesis is
    posted: the decision time an application gets). Latency is meaningful only for the second.

Clip rules (real-dev clips of testing_list.txt; keyword clips are the 20 keywords' folders,
every other folder is a non-keyword clip):
  * kws mode, one threshold for all 20 keyphrases per run, swept: a keyword clip is detected when
    the FIRST keyphrase spotted in it is its keyword; a non-keyword clip triggers when anything is
    spotted.
  * generic LM mode (default LM, dictionary and acoustic model of pocketsphinx-en-us): the words of
    the final hypotheses, mapped through ACCEPTED_SPELLINGS; a keyword clip is detected when its
    keyword is the only keyword among them; a non-keyword clip triggers when any keyword is among
    them. The same measure with exact spellings only is kept as `exact_spelling`.
CPU: time.process_time() of this process (GStreamer's streaming threads run in it) per second of
audio, model loading (NULL -> READY) counted apart.
"""
import argparse
import collections
import ctypes
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time

from .corpus_index import KEYWORDS
from .score_streams import TOLERANCE_S, load_streams, score

DEFAULT_THRESHOLDS = [1e-30, 1e-20, 1e-10, 1e-5, 1e-3, 1e-1, 1.0, 1e3]
DEFAULT_BUFFER_MS = 20
NONE_TIME = 2 ** 64 - 1  # GST_CLOCK_TIME_NONE

# Generic-LM hypothesis words accepted for each keyword: the keyword and its exact homophones in
# the element's dictionary (cmudict-en-us): every word with a pronunciation identical to one of the
# keyword's (homophones() recomputes this list; the test checks it). Nothing else: "oh" for zero,
# "of" for off, "a" for eight, "nein" for nine, "yeah" for yes etc. are not accepted.
ACCEPTED_SPELLINGS = {
    "no": ("no", "know", "nau", "neault", "noe", "noh"),                   # N OW
    "up": ("up", "upp"),                                                   # AH P
    "down": ("down", "downe"),                                             # D AW N
    "right": ("right", "reit", "rite", "wright", "write"),                 # R AY T
    "on": ("on", "aune"),                                                  # AA N
    "go": ("go", "gau", "goe", "gogh", "goh"),                             # G OW
    "one": ("one", "won"),                                                 # W AH N
    "two": ("two", "tew", "thuy", "to", "too", "tu", "tue"),               # T UW
    "four": ("four", "faure", "for", "fore", "forr"),                      # F AO R
    "eight": ("eight", "ate", "aydt"),                                     # EY T
}
SPELLING_TO_KEYWORD = {k: k for k in KEYWORDS}
for _kw, _spellings in ACCEPTED_SPELLINGS.items():
    for _s in _spellings:
        SPELLING_TO_KEYWORD[_s] = _kw


def homophones(dictionary, keywords=KEYWORDS):
    """{keyword: (keyword, words sharing one of its pronunciations...)} from a Sphinx dictionary,
    for the keywords that have any."""
    prons, words_of = collections.defaultdict(set), collections.defaultdict(set)
    with open(dictionary, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.split()
            if len(parts) > 1:
                w, p = base_word(parts[0]), " ".join(parts[1:])
                prons[w].add(p)
                words_of[p].add(w)
    out = {}
    for k in keywords:
        same = set().union(*(words_of[p] for p in prons[k])) - {k} if prons[k] else set()
        if same:
            out[k] = (k,) + tuple(sorted(same))
    return out


def base_word(word):
    """Dictionary word without an alternate-pronunciation mark: 'to(2)' -> 'to'."""
    return re.sub(r"\(\d+\)$", "", word.strip().lower())


def is_filler(word):
    return word.startswith("<") or word.startswith("[") or word.startswith("++")


def keyword_of(word, exact=False):
    """The keyword a hypothesis word stands for, or None."""
    w = base_word(word)
    if exact:
        return w if w in KEYWORDS else None
    return SPELLING_TO_KEYWORD.get(w)


def lm_keywords(words, exact=False):
    """Keywords of a list of hypothesis words, in order."""
    return [k for k in (keyword_of(w, exact) for w in words) if k]


def lm_clip_decision(words, exact=False):
    """(the keyword the clip is detected as, or None; whether any keyword is present)."""
    kws = set(lm_keywords(words, exact))
    return (next(iter(kws)) if len(kws) == 1 else None), bool(kws)


# ---------------------------------------------------------------- messages -> detections

class KwsTracker:
    """Keyword-spotting messages, one at a time -> detections [(time, keyphrase, at_utterance_end)].

    Every message carries the keyphrases spotted in the current utterance, newest first (the
    element's string; a repeated detection of the same keyphrase over overlapping frames replaces
    the old one in place, and one whose end is within kws_delay of the current frame is left out
    for now). The occurrences beyond the most of each keyphrase seen so far in this utterance are
    new; their order within the message is oldest first after reversing. A final message ends
    the utterance."""

    def __init__(self):
        self.detections = []
        self._reset()

    def _reset(self):
        self.seen, self.cur, self.prev = collections.Counter(), collections.Counter(), ""

    def feed(self, m):
        hyp = m["hypothesis"]
        # Only the front of the string changes from one message to the next (new detections put
        # there, recent ones updated or held back): the common tail is counted, not read again, so
        # a long utterance (thousands of detections in noise) costs linear, not quadratic, time.
        k = common_tail(hyp, self.prev)
        old_head, new_head = self.prev[:len(self.prev) - k].split(), hyp[:len(hyp) - k].split()
        count = self.cur - collections.Counter(base_word(w) for w in old_head)
        for w in reversed([base_word(w) for w in new_head]):
            count[w] += 1
            if count[w] > self.seen[w]:
                self.detections.append((m["time"], w, bool(m["final"])))
        if m["final"]:
            self._reset()
        else:
            self.seen, self.cur, self.prev = self.seen | count, count, hyp


def common_tail(a, b):
    """Length of the longest common suffix of a and b that starts at a word boundary in both
    (binary search with str.endswith: the suffix property is monotonic)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a.endswith(b[len(b) - mid:]):
            lo = mid
        else:
            hi = mid - 1
    def boundary(x, n):
        return n == len(x) or x[len(x) - n - 1] == " "
    while lo > 0 and not (boundary(a, lo) and boundary(b, lo)):
        lo -= 1
    return lo


def kws_detections(messages):
    """KwsTracker over a list of messages."""
    t = KwsTracker()
    for m in messages:
        t.feed(m)
    return t.detections


def lm_detections(messages, timing="word_end"):
    """Generic-LM final messages -> [(time, keyword, word)]: keywords of the final hypotheses
    (ACCEPTED_SPELLINGS) timed at the end of their word segment ('word_end', when the decoder
    gave segments matching the hypothesis) or at the end of the utterance ('utterance_end')."""
    out = []
    for m in messages:
        if not m["final"]:
            continue
        words = m["hypothesis"].split()
        segs = m.get("segments")
        if timing == "word_end" and segs is not None and [base_word(s[0]) for s in segs] == \
                [base_word(w) for w in words]:
            for w, _, end in segs:
                k = keyword_of(w)
                if k:
                    out.append((end, k, base_word(w)))
        else:
            for w in words:
                k = keyword_of(w)
                if k:
                    out.append((m["time"], k, base_word(w)))
    return out


def stream_result(path, duration, detections):
    """The structure score_streams.score reads for one file, as mega-classify --events gives it:
    {'file', 'duration', 'detections': [{'label', 'time', ...}]}."""
    return {"file": path, "duration": round(float(duration), 3),
            "detections": [{"label": lab, "time": round(float(t), 3)} for t, lab in sorted(detections)]}


# ---------------------------------------------------------------- the element

class _Decoder:
    """ps_seg_* of libpocketsphinx, to read word segments from the element's `decoder`."""

    def __init__(self):
        self.ps = ctypes.CDLL("libpocketsphinx.so.3")
        self.go = ctypes.CDLL("libgobject-2.0.so.0")
        vp = ctypes.c_void_p
        self.ps.ps_seg_iter.restype = vp
        self.ps.ps_seg_iter.argtypes = [vp, ctypes.POINTER(ctypes.c_int32)]
        self.ps.ps_seg_next.restype = vp
        self.ps.ps_seg_next.argtypes = [vp]
        self.ps.ps_seg_word.restype = ctypes.c_char_p
        self.ps.ps_seg_word.argtypes = [vp]
        self.ps.ps_seg_frames.argtypes = [vp, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int)]
        self.go.g_object_get.argtypes = [vp, ctypes.c_char_p, ctypes.POINTER(vp), vp]
        cap = ctypes.pythonapi.PyCapsule_GetPointer
        cap.restype, cap.argtypes = vp, [ctypes.py_object, ctypes.c_char_p]
        self._capsule = cap

    def segments(self, element, frame_rate=100.0):
        """[(word, start_s, end_s)] of the last utterance, fillers left out."""
        dec = ctypes.c_void_p()
        self.go.g_object_get(self._capsule(element.__gpointer__, None), b"decoder", ctypes.byref(dec), None)
        if not dec.value:
            return None
        score_ = ctypes.c_int32()
        seg, out = self.ps.ps_seg_iter(dec, ctypes.byref(score_)), []
        while seg:
            sf, ef = ctypes.c_int(), ctypes.c_int()
            self.ps.ps_seg_frames(seg, ctypes.byref(sf), ctypes.byref(ef))
            w = self.ps.ps_seg_word(seg).decode()
            if not is_filler(w):
                out.append((w, sf.value / frame_rate, (ef.value + 1) / frame_rate))
            seg = self.ps.ps_seg_next(seg)
        return out


def _int32(v):
    """The element puts ps_get_prob's int32 (log probability, base 1.0001) in a glong through
    varargs, so the upper half is garbage: keep the low 32 bits, signed."""
    if v is None:
        return None
    v &= 0xFFFFFFFF
    return v - 2 ** 32 if v >= 2 ** 31 else v


class _Quiet:
    """Silences fd 2 (the decoder prints its whole configuration there on every init)."""

    def __enter__(self):
        sys.stderr.flush()
        self.saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)

    def __exit__(self, *exc):
        os.dup2(self.saved, 2)
        os.close(self.saved)


def gst():
    try:
        import gi
        gi.require_version("Gst", "1.0")
        from gi.repository import Gst
    except (ImportError, ValueError) as e:
        raise SystemExit(f"peer_pocketsphinx: PyGObject with GStreamer 1.0 is needed ({e}); "
                         "run tools/setup.sh") from e
    Gst.init(None)
    if Gst.ElementFactory.find("pocketsphinx") is None:
        raise SystemExit("peer_pocketsphinx: no GStreamer element 'pocketsphinx': install "
                         "gstreamer1.0-pocketsphinx and pocketsphinx-en-us (tools/setup.sh)")
    return Gst


class PocketSphinx:
    """One pipeline around the element; run(path) decodes one file and returns its messages.

    kws: a kws list file (keyword-spotting mode) or None (generic LM). word_times: read word
    segments at every final message (generic LM). fresh: a new decoder for every file (a decoder
    kept from one file to the next carries adaptive state that changes the results by file
    order), else one decoder for all files. dictionary: replaces the default dictionary.
    The element itself remembers the last hypothesis it posted, even across decoders, and leaves
    out a partial message that repeats it: streams get one runner each (run_each)."""

    def __init__(self, kws=None, buffer_ms=DEFAULT_BUFFER_MS, word_times=False, fresh=True, dictionary=None,
                 timeout_s=600):
        Gst = self.Gst = gst()
        self.timeout_s, self.kws = timeout_s, bool(kws)
        self.decoder = _Decoder() if word_times else None
        p = self.pipeline = Gst.Pipeline.new("peer")

        def make(factory, **props):
            e = Gst.ElementFactory.make(factory, None)
            if e is None:
                raise SystemExit(f"peer_pocketsphinx: GStreamer element {factory!r} missing (tools/setup.sh)")
            for k, v in props.items():
                e.set_property(k.replace("_", "-"), v)
            p.add(e)
            return e

        self.src = make("filesrc")
        dec = make("decodebin")
        conv = make("audioconvert")
        chain = [conv, make("audioresample"),
                 make("capsfilter", caps=Gst.Caps.from_string("audio/x-raw,format=S16LE,rate=16000,channels=1"))]
        if buffer_ms:
            split = make("audiobuffersplit")
            Gst.util_set_object_arg(split, "output-buffer-duration", f"{int(buffer_ms)}/1000")
            chain.append(split)
        with _Quiet():
            self.ps = make("pocketsphinx")
        if kws:
            self.ps.set_property("kws", kws)
        if dictionary:
            self.ps.set_property("dict", dictionary)
        chain += [self.ps, make("fakesink", sync=False)]
        self.src.link(dec)
        for a, b in zip(chain, chain[1:]):
            if not a.link(b):
                raise RuntimeError(f"cannot link {a.get_name()} to {b.get_name()}")

        def pad_added(_dec, pad):
            sink = conv.get_static_pad("sink")
            if not sink.is_linked() and pad.query_caps(None).to_string().startswith("audio/"):
                pad.link(sink)
        dec.connect("pad-added", pad_added)
        self.ps.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, self._probe)
        bus = p.get_bus()
        bus.enable_sync_message_emission()
        bus.connect("sync-message::element", self._on_message)
        self.bus = bus
        self.fresh, self.used, self.init_cpu_s, self.inits = fresh, False, 0.0, 0
        self._start()

    def _start(self):
        """NULL -> READY: the element creates its decoder (ps_init), loading the models."""
        Gst = self.Gst
        t = time.process_time()
        self.pipeline.set_state(Gst.State.NULL)
        with _Quiet():
            ok = self.pipeline.set_state(Gst.State.READY)
        if ok == Gst.StateChangeReturn.FAILURE:
            raise RuntimeError("pocketsphinx failed to start (model files? kws list?)")
        self.init_cpu_s += time.process_time() - t
        self.inits += 1

    def _probe(self, pad, info):
        b = info.get_buffer()
        if b.pts != NONE_TIME:
            self.buffer_end = (b.pts + (b.duration if b.duration != NONE_TIME else 0)) / 1e9
            self.buffers += 1
        return self.Gst.PadProbeReturn.OK

    def _on_message(self, bus, msg):
        s = msg.get_structure()
        if s is None or s.get_name() != "pocketsphinx" or msg.src is not self.ps:
            return
        ts = s.get_value("timestamp")
        m = {"final": bool(s.get_value("final")), "hypothesis": s.get_value("hypothesis") or "",
             "timestamp": None if ts in (None, NONE_TIME) else ts / 1e9, "time": self.buffer_end,
             "confidence": _int32(s.get_value("confidence"))}
        if m["final"] and self.decoder is not None:
            m["segments"] = self.decoder.segments(self.ps)
        if self.kws:
            self.tracker.feed(m)
        if not m["final"]:
            # A partial hypothesis holds everything since the utterance began: kept, a long noisy
            # utterance would cost memory quadratic in its length.
            m["hypothesis"] = None
        self.messages.append(m)

    def run(self, path):
        """{'duration': seconds decoded, 'messages': [...] (partial ones without their text),
        'detections': [(time, keyphrase, at_utterance_end)] in kws mode, 'cpu_s': process CPU s}."""
        Gst = self.Gst
        if self.fresh and self.used:
            self._start()
        self.used = True
        self.messages, self.buffer_end, self.buffers, self.tracker = [], 0.0, 0, KwsTracker()
        self.src.set_property("location", path)
        t = time.process_time()
        self.pipeline.set_state(Gst.State.PLAYING)
        msg = self.bus.timed_pop_filtered(int(self.timeout_s * 1e9), Gst.MessageType.EOS | Gst.MessageType.ERROR)
        cpu = time.process_time() - t
        self.pipeline.set_state(Gst.State.READY)
        if msg is None:
            raise RuntimeError(f"{path}: no EOS within {self.timeout_s} s")
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            raise RuntimeError(f"{path}: {err.message} ({dbg})")
        return {"duration": self.buffer_end, "messages": self.messages, "cpu_s": cpu,
                "detections": self.tracker.detections if self.kws else None}

    def close(self):
        self.pipeline.set_state(self.Gst.State.NULL)


def element_properties():
    """The element's default model files (hmm, dict, lm)."""
    Gst = gst()
    with _Quiet():
        e = Gst.ElementFactory.make("pocketsphinx", None)
    return {k: e.get_property(k) for k in ("hmm", "dict", "lm")}


def write_keyword_dict(path, keywords=KEYWORDS):
    """The entries of the keywords (alternate pronunciations included) from the element's default
    dictionary: keyword spotting looks up only the keyphrases' words, so the results are those of
    the full dictionary, while the decoder starts 10x faster (it parses the dictionary each time)."""
    src = element_properties()["dict"]
    want, found = set(keywords), set()
    with open(src, encoding="utf-8", errors="replace") as f, open(path, "w") as out:
        for line in f:
            parts = line.split()
            if parts and base_word(parts[0]) in want:
                out.write(line if line.endswith("\n") else line + "\n")
                found.add(base_word(parts[0]))
    if found != want:
        raise RuntimeError(f"{src} lacks {sorted(want - found)}")
    return path


def write_kws_list(path, threshold, keywords=KEYWORDS):
    with open(path, "w") as f:
        for k in keywords:
            f.write(f"{k} /{threshold:g}/\n")
    return path


# ---------------------------------------------------------------- evaluation

def real_dev_clips(real_dir):
    """[(path, relative path, keyword or None)] from testing_list.txt."""
    with open(os.path.join(real_dir, "testing_list.txt")) as f:
        rels = f.read().split()
    return [(os.path.join(real_dir, r), r, r.split("/")[0] if r.split("/")[0] in KEYWORDS else None)
            for r in rels]


def pct(n, d):
    return round(100.0 * n / d, 2) if d else None


def clip_table(clips, decided, triggered, first_of):
    """clips [(path, rel, kw)], decided[rel] -> keyword detected as or None, triggered[rel] ->
    bool, first_of[rel] -> what it was taken for (for the confusion counts)."""
    per = {k: {"clips": 0, "detected": 0, "taken_for": collections.Counter()} for k in KEYWORDS}
    n_kw = n_hit = n_other = n_trig = 0
    trig_by = collections.Counter()
    for _, rel, kw in clips:
        if kw:
            n_kw += 1
            per[kw]["clips"] += 1
            if decided[rel] == kw:
                n_hit += 1
                per[kw]["detected"] += 1
            else:
                per[kw]["taken_for"][first_of[rel] or "-"] += 1
        else:
            n_other += 1
            if triggered[rel]:
                n_trig += 1
                trig_by[first_of[rel] or "?"] += 1
    return {
        "keyword_clips": n_kw, "keyword_detected_exactly": pct(n_hit, n_kw),
        "non_keyword_clips": n_other, "non_keyword_triggering": pct(n_trig, n_other),
        "per_keyword_detected": {k: pct(v["detected"], v["clips"]) for k, v in per.items() if v["clips"]},
        "per_keyword": {k: {"clips": v["clips"], "detected": v["detected"],
                            "missed_as": dict(v["taken_for"].most_common(5))} for k, v in per.items() if v["clips"]},
        "non_keyword_triggered_by": dict(trig_by.most_common()),
    }


def progress(what, i, n, t0, every=200):
    if i % every == 0 or i == n:
        el = time.time() - t0
        eta = el / i * (n - i) if i else 0
        print(f"  {what}: {i}/{n} ({el:.0f} s, ~{eta:.0f} s left)", file=sys.stderr, flush=True)


def cpu_record(init_cpu, cpu, audio_s, wall):
    return {"init_cpu_s": round(init_cpu, 2), "cpu_s": round(cpu, 2), "audio_s": round(audio_s, 2),
            "wall_s": round(wall, 1), "cpu_s_per_audio_s": round(cpu / audio_s, 4) if audio_s else None}


def run_files(runner, files, what, every=200):
    out, cpu, audio, t0 = {}, 0.0, 0.0, time.time()
    for i, f in enumerate(files, 1):
        r = runner.run(f)
        out[f] = r
        cpu += r["cpu_s"]
        audio += r["duration"]
        progress(what, i, len(files), t0, every)
    return out, cpu_record(runner.init_cpu_s, cpu, audio, time.time() - t0)


def run_each(make_runner, files, what):
    """A new element per file (streams): the element itself remembers the last hypothesis it
    posted, across decoders, and suppresses a first partial message that repeats it."""
    out, cpu, audio, init, t0 = {}, 0.0, 0.0, 0.0, time.time()
    for i, f in enumerate(files, 1):
        runner = make_runner()
        try:
            out[f] = runner.run(f)
        finally:
            runner.close()
        init += runner.init_cpu_s
        cpu += out[f]["cpu_s"]
        audio += out[f]["duration"]
        progress(what, i, len(files), t0, 1)
    return out, cpu_record(init, cpu, audio, time.time() - t0)


def eval_clips_kws(clips, threshold, buffer_ms, work, fresh=True):
    kws = write_kws_list(os.path.join(work, f"kws-{threshold:g}.list"), threshold)
    runner = PocketSphinx(kws=kws, buffer_ms=buffer_ms, fresh=fresh,
                          dictionary=write_keyword_dict(os.path.join(work, "keywords.dict")))
    try:
        res, cpu = run_files(runner, [c[0] for c in clips], f"clips kws {threshold:g}")
    finally:
        runner.close()
    decided, triggered, first, raw = {}, {}, {}, {}
    for path, rel, kw in clips:
        dets = res[path]["detections"]
        first[rel] = dets[0][1] if dets else None
        decided[rel] = first[rel]
        triggered[rel] = bool(dets)
        raw[rel] = " ".join(d[1] for d in dets)
    t = clip_table(clips, decided, triggered, first)
    return dict(threshold=threshold, **t, cpu=cpu), raw


def eval_clips_lm(clips, buffer_ms, fresh=True):
    runner = PocketSphinx(buffer_ms=buffer_ms, fresh=fresh)
    try:
        res, cpu = run_files(runner, [c[0] for c in clips], "clips generic LM")
    finally:
        runner.close()
    out, raw = {"cpu": cpu}, {}
    for exact in (False, True):
        decided, triggered, first = {}, {}, {}
        for path, rel, kw in clips:
            words = " ".join(m["hypothesis"] for m in res[path]["messages"] if m["final"]).split()
            raw[rel] = " ".join(words)
            decided[rel], triggered[rel] = lm_clip_decision(words, exact)
            ks = lm_keywords(words, exact)
            first[rel] = decided[rel] or ("+".join(sorted(set(ks))) if ks else None)
        t = clip_table(clips, decided, triggered, first)
        if exact:
            out["exact_spelling"] = {k: t[k] for k in ("keyword_detected_exactly", "non_keyword_triggering",
                                                       "per_keyword_detected")}
        else:
            out.update(t)
    return out, raw


def eval_streams_kws(streams, threshold, buffer_ms, work):
    kws = write_kws_list(os.path.join(work, f"kws-{threshold:g}.list"), threshold)
    kdict = write_keyword_dict(os.path.join(work, "keywords.dict"))
    raw, cpu = run_each(lambda: PocketSphinx(kws=kws, buffer_ms=buffer_ms, dictionary=kdict),
                        [p for p, _, _ in streams], f"streams kws {threshold:g}")
    results, late, n = {}, 0, 0
    for path, r in raw.items():
        dets = r["detections"]
        n += len(dets)
        late += sum(1 for d in dets if d[2])
        results[path] = stream_result(path, r["duration"], [(t, w) for t, w, _ in dets])
    s = score(streams, results, KEYWORDS)
    s.update(threshold=threshold, detections=n, timed_at_utterance_end=late, cpu=cpu)
    return s, results


def eval_streams_lm(streams, buffer_ms):
    raw, cpu = run_each(lambda: PocketSphinx(buffer_ms=buffer_ms, word_times=True),
                        [p for p, _, _ in streams], "streams generic LM")
    out = {"cpu": cpu}
    finals = [m for r in raw.values() for m in r["messages"] if m["final"]]
    out["utterances"] = len(finals)
    out["utterances_without_matching_segments"] = sum(
        1 for m in finals if m.get("segments") is None
        or [base_word(s[0]) for s in m["segments"]] != [base_word(w) for w in m["hypothesis"].split()])
    hyps = {}
    for timing in ("word_end", "utterance_end"):
        results = {p: stream_result(p, r["duration"], [(t, k) for t, k, _ in lm_detections(r["messages"], timing)])
                   for p, r in raw.items()}
        out[timing] = score(streams, results, KEYWORDS)
    for p, r in raw.items():
        hyps[p] = [{"time": m["time"], "hypothesis": m["hypothesis"], "segments": m.get("segments")}
                   for m in r["messages"] if m["final"]]
    return out, hyps


def gst_launch_cpu(files, element=None, buffer_ms=10):
    """User + system CPU seconds of gst-launch-1.0 children (resource.getrusage RUSAGE_CHILDREN)
    decoding the files through `filesrc ! decodebin ! audioconvert ! audioresample ! 16 kHz S16
    ! audiobuffersplit ! [ELEMENT] ! fakesink`, as bench/RESULTS.md section 4 measures our
    element (10 ms buffers, as a live source delivers them)."""
    import resource
    total = 0.0
    for f in files:
        cmd = ["gst-launch-1.0", "-q", "filesrc", f"location={f}", "!", "decodebin", "!", "audioconvert", "!",
               "audioresample", "!", "audio/x-raw,format=S16LE,rate=16000,channels=1", "!",
               "audiobuffersplit", f"output-buffer-duration={int(buffer_ms)}/1000", "!"]
        cmd += (element + ["!"] if element else []) + ["fakesink"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        r = subprocess.run(cmd, capture_output=True, text=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr[-1000:]}")
        total += (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return total


def cpu_like_bench(streams, seconds, work, threshold=1e-5):
    """Added CPU of the element per second of audio, the way bench/RESULTS.md section 4 gives
    our element's (pipeline with the element minus without it, 10-ms buffers), on the first
    streams that make up `seconds` of audio. Includes one decoder start per file."""
    files, audio = [], 0.0
    for path, _, _ in streams:
        if audio >= seconds:
            break
        files.append(path)
        audio += _wav_seconds(path)
    kws = write_kws_list(os.path.join(work, "kws-cpu.list"), threshold)
    kdict = write_keyword_dict(os.path.join(work, "keywords.dict"))
    base = gst_launch_cpu(files)
    out = {"audio_s": round(audio, 1), "files": len(files), "buffer_ms": 10, "pipeline_cpu_s": round(base, 2)}
    for name, el in (("kws", ["pocketsphinx", f"kws={kws}", f"dict={kdict}"]), ("generic_lm", ["pocketsphinx"])):
        cpu = gst_launch_cpu(files, el)
        out[name] = {"cpu_s": round(cpu, 2), "added_cpu_s_per_audio_s": round((cpu - base) / audio, 4),
                     "added_cpu_s_per_hour": round((cpu - base) / audio * 3600, 1)}
    out["kws"]["threshold"] = threshold
    return out


def _wav_seconds(path):
    import wave
    with wave.open(path, "rb") as w:
        return w.getnframes() / w.getframerate()


def package_versions():
    out = {}
    for p in ("gstreamer1.0-pocketsphinx", "pocketsphinx-en-us", "libpocketsphinx3"):
        r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", p], capture_output=True, text=True)
        out[p] = r.stdout.strip() if r.returncode == 0 else None
    return out


def fmt(x, spec="6.1f"):
    return format(x, spec) if isinstance(x, (int, float)) else f"{'-':>{spec.split('.')[0]}}"


def summary(result):
    lines = []
    c = result.get("clips")
    if c:
        lines.append(f"real-dev clips ({c['keyword_clips']} keyword, {c['non_keyword_clips']} non-keyword)")
        lines.append(f"  {'mode':<22} {'kw detected %':>13} {'non-kw trig %':>13} {'CPU s/audio s':>13}")
        for k in c.get("kws", []):
            lines.append(f"  {'kws ' + format(k['threshold'], 'g'):<22} {fmt(k['keyword_detected_exactly'], '13.1f')} "
                         f"{fmt(k['non_keyword_triggering'], '13.1f')} {fmt(k['cpu']['cpu_s_per_audio_s'], '13.4f')}")
        lm = c.get("generic_lm")
        if lm:
            lines.append(f"  {'generic LM':<22} {fmt(lm['keyword_detected_exactly'], '13.1f')} "
                         f"{fmt(lm['non_keyword_triggering'], '13.1f')} {fmt(lm['cpu']['cpu_s_per_audio_s'], '13.4f')}")
            e = lm["exact_spelling"]
            lines.append(f"  {'generic LM exact sp.':<22} {fmt(e['keyword_detected_exactly'], '13.1f')} "
                         f"{fmt(e['non_keyword_triggering'], '13.1f')}")
    s = result.get("streams")
    if s:
        lines.append(f"streams {s['set']} ({s['streams']} streams, {s['hours']:.3f} h)")
        lines.append(f"  {'mode':<22} {'recall %':>9} {'FA/h':>9} {'lat med ms':>10} {'CPU s/audio s':>13}")
        rows = [(f"kws {g['threshold']:g}", g, g["cpu"]) for g in s.get("kws", [])]
        lm = s.get("generic_lm")
        if lm:
            rows += [("generic LM word end", lm["word_end"], lm["cpu"]),
                     ("generic LM utt. end", lm["utterance_end"], lm["cpu"])]
        for name, g, cpu in rows:
            lines.append(f"  {name:<22} {fmt(g['recall'], '9.1f')} {fmt(g['false_alarms_per_hour'], '9.1f')} "
                         f"{fmt(g['latency_median_ms'], '10.0f')} {fmt(cpu['cpu_s_per_audio_s'], '13.4f')}")
        c = s.get("cpu_like_bench")
        if c:
            lines.append(f"CPU added by the element, gst-launch-1.0 with 10 ms buffers, {c['audio_s']:g} s of audio: "
                         f"kws {c['kws']['added_cpu_s_per_hour']:g} s/h, generic LM "
                         f"{c['generic_lm']['added_cpu_s_per_hour']:g} s/h (bench/RESULTS.md section 4 for ours)")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--real", default="data/real", help="real-recordings set with testing_list.txt")
    ap.add_argument("--streams", default="data/real_streams", help="folder of stream_XX.wav + .csv")
    ap.add_argument("--out", default="models/peer-pocketsphinx.json")
    ap.add_argument("--thresholds", default=",".join(f"{t:g}" for t in DEFAULT_THRESHOLDS),
                    help="kws thresholds, the same for every keyphrase in a run")
    ap.add_argument("--buffer-ms", type=int, default=DEFAULT_BUFFER_MS,
                    help="audio buffer size given to the element (0: as decodebin gives them, 128 ms for WAV)")
    ap.add_argument("--modes", default="kws,lm", help="kws, lm or both")
    ap.add_argument("--no-clips", action="store_true")
    ap.add_argument("--no-streams", action="store_true")
    ap.add_argument("--reuse-decoder", action="store_true",
                    help="one decoder for all clips of a run (faster; results then depend on the clip order)")
    ap.add_argument("--clip-limit", type=int, help="evenly spaced subset of at most N clips (quick looks)")
    ap.add_argument("--cpu-seconds", type=float, default=300,
                    help="audio (first streams) for the gst-launch CPU measurement like bench/RESULTS.md; 0: skip")
    ap.add_argument("--raw", action="store_true", help="keep every clip's spotted words / hypothesis in the JSON")
    a = ap.parse_args()
    thresholds = [float(x) for x in a.thresholds.split(",") if x.strip()]
    modes = set(a.modes.split(","))
    gst()
    result = {
        "peer": "GStreamer pocketsphinx element (CMU PocketSphinx 5prealpha), generic US English model",
        # as it is run (python3 -m): argv[0] would be the module's absolute path
        "command": "/usr/bin/python3 -m train.peer_pocketsphinx " + shlex.join(sys.argv[1:]),
        "utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "packages": package_versions(),
        "settings": {"thresholds": thresholds, "buffer_ms": a.buffer_ms, "keywords": KEYWORDS,
                     "accepted_spellings": ACCEPTED_SPELLINGS, "stream_tolerance_s": TOLERANCE_S,
                     "element_properties": element_properties(),
                     "kws_list_line": "<keyword> /<threshold>/ (kws_delay 10 frames, VAD, beams: element defaults)",
                     "kws_dictionary": "the 20 keywords' entries of the default dictionary (same results, "
                                       "faster decoder start)"},
        "rules": {
            "kws_clip": "keyword clip detected when the first keyphrase spotted is its keyword; non-keyword "
                        "clip triggers when anything is spotted",
            "lm_clip": "keyword clip detected when its keyword is the only keyword among the final hypothesis "
                       "words (accepted_spellings); non-keyword clip triggers when any keyword is among them",
            "kws_time": "end of the buffer after which the element posted the message that first showed the "
                        "detection (utterance end when the element suppressed the partial message)",
            "lm_time": "word_end: end of the word's segment read from the element's decoder; utterance_end: "
                       "end of the buffer after which the final hypothesis was posted",
            "cpu": "time.process_time of the process (streaming threads included) per audio second, "
                   "decoder initialisation apart; cpu_like_bench: gst-launch-1.0 user+system CPU with the "
                   "element minus without it, 10 ms buffers, as bench/RESULTS.md section 4 for ours",
        },
    }
    if not a.no_clips:
        clips = real_dev_clips(a.real)
        if a.clip_limit and len(clips) > a.clip_limit:
            step = len(clips) / a.clip_limit
            clips = [clips[int(i * step)] for i in range(a.clip_limit)]
        print(f"real-dev clips: {len(clips)}", file=sys.stderr)
        c, raw = {"set": a.real, "clips": len(clips)}, {}
        with tempfile.TemporaryDirectory() as work:
            if "kws" in modes:
                c["kws"] = []
                for th in thresholds:
                    r, raw[f"kws {th:g}"] = eval_clips_kws(clips, th, a.buffer_ms, work, not a.reuse_decoder)
                    c["kws"].append(r)
        if "lm" in modes:
            c["generic_lm"], raw["generic_lm"] = eval_clips_lm(clips, a.buffer_ms, not a.reuse_decoder)
        first = c.get("generic_lm") or (c["kws"][0] if c.get("kws") else {})
        c["keyword_clips"], c["non_keyword_clips"] = first.get("keyword_clips"), first.get("non_keyword_clips")
        if a.raw:
            c["raw"] = raw
        c["decoder_per_clip"] = "shared" if a.reuse_decoder else "fresh"
        result["clips"] = c
    if not a.no_streams:
        streams = load_streams(a.streams)
        print(f"streams: {len(streams)}", file=sys.stderr)
        s = {"set": a.streams, "streams": len(streams)}
        with tempfile.TemporaryDirectory() as work:
            if "kws" in modes:
                s["kws"] = []
                for th in thresholds:
                    s["kws"].append(eval_streams_kws(streams, th, a.buffer_ms, work)[0])
        if "lm" in modes:
            s["generic_lm"], hyps = eval_streams_lm(streams, a.buffer_ms)
            if a.raw:
                s["generic_lm"]["hypotheses"] = hyps
        if a.cpu_seconds > 0:
            print(f"  CPU as bench/RESULTS.md measures it (gst-launch-1.0, {a.cpu_seconds:g} s of audio)",
                  file=sys.stderr, flush=True)
            with tempfile.TemporaryDirectory() as work:
                s["cpu_like_bench"] = cpu_like_bench(streams, a.cpu_seconds, work)
        g = s.get("kws") or ([s["generic_lm"]["word_end"]] if "generic_lm" in s else [{}])
        s["hours"] = g[0].get("hours", 0.0)
        result["streams"] = s
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)
    print(summary(result))
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
