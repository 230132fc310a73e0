#!/usr/bin/python3
"""The pocketsphinx peer (train/peer_pocketsphinx.py):

  * the generic-LM hypothesis parser maps exactly the documented homophones (the words of the
    element's dictionary pronounced as a keyword) to keywords and decides clips by "the keyword
    is the only keyword in the hypothesis";
  * keyword-spotting messages (newest-first keyphrase lists per utterance, partial messages
    suppressed when their text repeats) become one timed detection per new occurrence, and the
    tracker that reads only the changed front of each string agrees with the naive rule;
  * the adapter gives score_streams.score what mega-classify --events gives it, and a
    constructed stream scores to the hand-computed recall, false alarms and latency;
  * the real element (gstreamer1.0-pocketsphinx, installed by tools/setup.sh: its absence is a
    failure, not a skip) on espeak-ng speech: keyword spotting finds "yes" in a clip and in a
    stream within the scoring window, partial messages are timed at the end of their buffer,
    and the generic LM's word segments read from the element's decoder are in stream time
    (after 2 s of leading silence).
"""
import collections
import os
import random
import subprocess
import tempfile

from train import peer_pocketsphinx as pp
from train.score_streams import TOLERANCE_S, score


def check_parser():
    hom = pp.homophones(pp.element_properties()["dict"])
    assert hom == pp.ACCEPTED_SPELLINGS, ("ACCEPTED_SPELLINGS is not the dictionary's homophone list", hom)
    assert pp.keyword_of("to") == "two" and pp.keyword_of("too") == "two" and pp.keyword_of("TWO") == "two"
    assert pp.keyword_of("for") == "four" and pp.keyword_of("know") == "no" and pp.keyword_of("won") == "one"
    assert pp.keyword_of("ate") == "eight" and pp.keyword_of("write") == "right"
    assert pp.keyword_of("to(2)") == "two", "alternate-pronunciation marks are stripped"
    for w in ("oh", "of", "a", "nein", "yeah", "hello", "toe", "fur"):
        assert pp.keyword_of(w) is None, w
    assert pp.keyword_of("to", exact=True) is None and pp.keyword_of("two", exact=True) == "two"
    assert pp.lm_clip_decision("i want to".split()) == ("two", True)
    assert pp.lm_clip_decision("yes yes".split()) == ("yes", True)
    assert pp.lm_clip_decision("yes i know".split()) == (None, True), "two different keywords: not detected"
    assert pp.lm_clip_decision("hello there".split()) == (None, False)
    assert pp.lm_clip_decision("go for it".split(), exact=True) == ("go", True)


def msg(t, hyp, final=False):
    return {"time": t, "hypothesis": hyp, "final": final}


def check_kws_adapter():
    # As the element posts them (its hyp string: keyphrases newest first, two spaces apart).
    messages = [msg(1.15, "yes "), msg(1.66, "yes ", True),
                msg(2.50, "go  yes "), msg(2.60, "yes  go  yes "), msg(3.10, "yes  go  yes ", True),
                msg(5.00, "yes ", True)]  # partial suppressed: same text as the last partial
    got = pp.kws_detections(messages)
    want = [(1.15, "yes", False), (2.50, "yes", False), (2.50, "go", False), (2.60, "yes", False),
            (5.00, "yes", True)]
    assert got == want, got
    # A detection updated in place within kws_delay of the current frame leaves the string for a
    # while; its return is not a new detection, while new ones put in front of it are.
    messages = [msg(1.0, "up  no "), msg(1.1, "up "), msg(1.2, "go  up  no "), msg(1.3, "no  go  up  no "),
                msg(1.4, "go  no  go  up  no ", True)]
    got = pp.kws_detections(messages)
    assert got == [(1.0, "no", False), (1.0, "up", False), (1.2, "go", False), (1.3, "no", False),
                   (1.4, "go", True)], got


def naive_kws_detections(messages):
    """The rule of KwsTracker read off every whole string (quadratic; the reference)."""
    out, seen = [], collections.Counter()
    for m in messages:
        count = collections.Counter()
        for w in reversed(m["hypothesis"].split()):
            count[w] += 1
            if count[w] > seen[w]:
                out.append((m["time"], w, bool(m["final"])))
        seen = collections.Counter() if m["final"] else seen | count
    return out


def check_tracker_against_naive():
    """KwsTracker reads only the changed front of each string: same detections as the naive
    rule on random message sequences (prepends, recent entries held back, utterance ends)."""
    rng = random.Random(3)
    words = ["yes", "no", "go", "two", "on", "one", "up"]
    for trial in range(300):
        msgs, spotted = [], []
        for i in range(40):
            if rng.random() < 0.5:
                spotted.insert(0, rng.choice(words))
            held = set(rng.sample(range(min(3, len(spotted))), rng.randint(0, min(2, len(spotted)))))
            hyp = "".join(w + "  " for j, w in enumerate(spotted) if j not in held)[:-1]
            final = rng.random() < 0.05
            msgs.append(msg(i, hyp, final))
            if final:
                spotted = []
        assert pp.kws_detections(msgs) == naive_kws_detections(msgs), (trial, msgs)


def check_lm_adapter():
    messages = [msg(1.0, "i want"), msg(2.0, "to go", True), msg(4.0, "for the", True), msg(6.0, "yes", True)]
    messages[1]["segments"] = [("to(2)", 1.2, 1.4), ("go", 1.4, 1.7)]
    messages[2]["segments"] = [("far", 3.0, 3.3), ("the", 3.3, 3.5)]  # does not match: utterance end
    messages[3]["segments"] = None
    assert pp.lm_detections(messages, "word_end") == [(1.4, "two", "to"), (1.7, "go", "go"),
                                                      (4.0, "four", "for"), (6.0, "yes", "yes")]
    assert pp.lm_detections(messages, "utterance_end") == [(2.0, "two", "to"), (2.0, "go", "go"),
                                                           (4.0, "four", "for"), (6.0, "yes", "yes")]


def check_scoring():
    words = [(0.5, 1.0, "yes"), (2.0, 2.5, "no"), (4.0, 4.4, "_unknown_"), (6.0, 6.5, "two")]
    dets = [(1.2, "yes"),   # hit, latency 0.2
            (3.6, "no"),    # after end + 1 s: false alarm
            (4.5, "up"),    # near a non-keyword: false alarm, not a substitution
            (6.3, "four"),  # inside "two": false alarm and substitution
            (6.6, "two")]   # hit, latency 0.1
    res = {"s.wav": pp.stream_result("s.wav", 36.0, dets)}
    assert set(res["s.wav"]) >= {"file", "duration", "detections"}
    assert res["s.wav"]["detections"][0] == {"label": "yes", "time": 1.2}
    r = score([("s.wav", words, {})], res, pp.KEYWORDS)
    assert TOLERANCE_S == 1.0
    assert (r["keywords"], r["hits"], r["recall"]) == (3, 2, 66.67), r
    assert (r["false_alarms"], r["substitutions"], r["false_alarms_per_hour"]) == (3, 1, 300.0), r
    assert r["latency_median_ms"] == 150.0 and r["recall_per_keyword"] == {"yes": 100.0, "no": 0.0,
                                                                           "two": 100.0}, r


def say(word, path, pad_before, pad_after):
    raw = path + ".raw.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", raw, word], check=True)
    subprocess.run(["sox", "-R", raw, "-r", "16000", "-c", "1", "-b", "16", path, "pad", str(pad_before),
                    str(pad_after)], check=True)
    os.unlink(raw)
    return float(subprocess.check_output(["soxi", "-D", path]))


def run(runner, path):
    try:
        return runner.run(path)
    finally:
        runner.close()


def check_element(work):
    yes = os.path.join(work, "yes.wav")
    say("yes", yes, 0.3, 0.4)
    stream = os.path.join(work, "stream.wav")
    n = say("yes", stream, 2.0, 1.0)
    start, end = 2.0, n - 1.0  # espeak-ng's own margins lie inside [start, end]

    kws = pp.write_kws_list(os.path.join(work, "kws.list"), 1e-5)
    kdict = pp.write_keyword_dict(os.path.join(work, "kw.dict"))
    assert {pp.base_word(line.split()[0]) for line in open(kdict)} == set(pp.KEYWORDS)
    clip, st = (run(pp.PocketSphinx(kws=kws, dictionary=kdict, buffer_ms=20), f) for f in (yes, stream))
    dets = clip["detections"]
    assert dets and dets[0][1] == "yes", clip["messages"]
    partial = [m for m in st["messages"] if not m["final"]]
    assert partial, st["messages"]
    for m in partial:
        assert abs(m["timestamp"] + 0.020 - m["time"]) < 1e-6, m  # PTS + buffer duration
    assert all(m["timestamp"] is None for m in st["messages"] if m["final"])
    sdets = st["detections"]
    hits = [t for t, w, _ in sdets if w == "yes"]
    assert hits and start <= hits[0] <= end + pp.TOLERANCE_S, (sdets, start, end)
    assert abs(st["duration"] - n) < 0.03, (st["duration"], n)

    r = run(pp.PocketSphinx(word_times=True, buffer_ms=20), stream)
    finals = [m for m in r["messages"] if m["final"] and m["hypothesis"]]
    assert finals, r["messages"]
    segs = [s for m in finals for s in m["segments"]]
    assert [pp.base_word(s[0]) for s in segs] == " ".join(m["hypothesis"] for m in finals).split(), finals
    assert start - 0.3 <= segs[0][1] and segs[-1][2] <= end + 0.3, (segs, start, end)
    print(f"element: kws clip {[d[1] for d in dets]}, stream yes at {hits[0]:.2f} s "
          f"(word {start:.2f}-{end:.2f}); LM {[m['hypothesis'] for m in finals]} {segs}")


def main():
    pp.gst()  # SystemExit naming the packages to install when the element is missing
    check_parser()
    check_kws_adapter()
    check_tracker_against_naive()
    check_lm_adapter()
    check_scoring()
    with tempfile.TemporaryDirectory() as work:
        check_element(work)
    print("peer pocketsphinx: parser, adapters, scoring and the element's messages as documented")


if __name__ == "__main__":
    main()
