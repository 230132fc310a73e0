"""Gnuspeech, the opt-in fourth engine of the corpus: a few words through the real Node and
WebAssembly path (speech-like, voices that differ, deterministic), its speaker-disjoint split,
a plan that leaves the base engines' clips as they were, and a tiny gnuspeech-only corpus."""
import json
import pathlib
import tempfile
import unittest

import numpy as np

from train.corpus import audio, build, plan, speakers, synth
from train.wav import read_wav

WORDS = ("yes", "seven", "stop")


def mean_f0(x, rate):
    """Median autocorrelation pitch (60-500 Hz) over the loud 40 ms frames."""
    n, hop = int(0.04 * rate), int(0.01 * rate)
    frames = [x[i:i + n] for i in range(0, len(x) - n, hop)]
    loud = max(float(np.sqrt(np.mean(f ** 2))) for f in frames) * 0.3
    lo, hi = int(rate / 500), int(rate / 60)
    f0 = []
    for f in frames:
        if np.sqrt(np.mean(f ** 2)) < loud:
            continue
        f = f - f.mean()
        ac = np.correlate(f, f, "full")[n - 1:]
        if ac[0] > 0 and ac[lo:hi].max() > 0.5 * ac[0]:
            f0.append(rate / (lo + int(np.argmax(ac[lo:hi]))))
    return float(np.median(f0))


def voice_speaker(voice, split="train"):
    return next(s for s in speakers.gnuspeech_speakers(1) if s["voice"] == voice and s["split"] == split)


class GnuspeechTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        synth.ensure_gnuspeech()
        cls.tmp = tempfile.TemporaryDirectory()
        d = pathlib.Path(cls.tmp.name)
        items = []
        for voice in ("male", "female"):
            spk = voice_speaker(voice)
            for w in WORDS:
                p = synth.draw_params(plan.item_rng("test", w, voice), "gnuspeech", voice, spk)
                items.append((w, voice, p, str(d / f"{voice}-{w}.wav")))
        # The first job again, in the same process and in another one.
        cls.items = items + [items[0][:3] + (str(d / "again.wav"),)]
        synth.gnuspeech_batch(cls.items, cls.tmp.name)
        synth.gnuspeech_batch([items[0][:3] + (str(d / "other.wav"),)], cls.tmp.name)
        cls.wav = {pathlib.Path(path).stem: read_wav(path) for *_, path in cls.items}
        cls.wav["other"] = read_wav(str(d / "other.wav"))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_words_sound_like_words(self):
        for word, voice, p, _ in self.items[:-1]:
            x, rate = self.wav[f"{voice}-{word}"]
            self.assertIn(rate, (22050, 44100))
            w = synth.finish(x, rate, p)
            self.assertTrue(0.2 <= len(w) / audio.SR <= 1.5, (word, voice, len(w) / audio.SR))
            b = audio.speech_bounds(w)
            self.assertGreater(b[1] - b[0], 0.15 * audio.SR, (word, voice))
            self.assertGreater(float(np.sqrt(np.mean(x ** 2))), 0.02, (word, voice))

    def test_voices_differ(self):
        f0 = {v: np.mean([mean_f0(*self.wav[f"{v}-{w}"]) for w in WORDS]) for v in ("male", "female")}
        self.assertTrue(60 < f0["male"] < 180, f0)
        self.assertGreater(f0["female"], 1.4 * f0["male"], f0)

    def test_deterministic(self):
        first = self.wav[f"{self.items[0][1]}-{self.items[0][0]}"][0]
        np.testing.assert_array_equal(first, self.wav["again"][0])
        np.testing.assert_array_equal(first, self.wav["other"][0])

    def test_split_disjoint(self):
        for seed in (1, 2):
            spk = [s for s in speakers.all_speakers(seed) if s["engine"] == "gnuspeech"]
            self.assertEqual(len({s["id"] for s in spk}), len(spk))
            self.assertEqual(len({json.dumps([s["tract"], s["trm"]], sort_keys=True) for s in spk}), len(spk))
            for voice in speakers.GNUSPEECH_VOICES:
                splits = sorted(s["split"] for s in spk if s["voice"] == voice)
                self.assertEqual(splits.count("test"), 1)
                self.assertEqual(splits.count("validation"), 1)
            for s in spk:
                self.assertEqual(speakers.gsc_split(s["id"]), s["split"])
            # A tract is one speaker: the same (voice, variant) never sits in two splits.
            where = {}
            for s in spk:
                where.setdefault((s["voice"], s["variant"]), set()).add(s["split"])
            self.assertTrue(all(len(v) == 1 for v in where.values()))

    def test_plan_keeps_base_engines(self):
        pools = speakers.pools(speakers.all_speakers(1))
        words = [("yes", "keyword"), ("nose", "near_miss"), ("table", "unknown")]
        sizes = plan.default_sizes(12)
        base = plan.make_plan(1, words, {k: v for k, v in pools.items() if k[0] != "gnuspeech"}, sizes)
        both = plan.make_plan(1, words, pools, sizes, speakers.ENGINES + ("gnuspeech",))
        self.assertEqual([j for j in both if j["engine"] != "gnuspeech"], base)
        gs = [j for j in both if j["engine"] == "gnuspeech"]
        self.assertEqual({j["split"] for j in gs}, set(speakers.SPLITS))
        split_of = {s["id"]: s["split"] for v in pools.values() for s in v}
        self.assertTrue(all(split_of[j["speaker"]] == j["split"] for j in gs))

    def test_tiny_corpus(self):
        out = build.build(pathlib.Path(self.tmp.name) / "corpus", seed=3, tiny=True, engines=("gnuspeech",))
        meta = json.loads((out / "speakers.json").read_text())
        self.assertEqual({s["engine"] for s in meta["speakers"]} - {"klettres"}, {"gnuspeech"})
        self.assertEqual(meta["failed_clips"], [])
        clips = sorted(p for p in out.glob("*/*.wav") if p.parent.name not in ("_background_noise_", "klettres"))
        self.assertGreaterEqual(len(clips), 8)
        for p in clips:
            x, rate = read_wav(str(p))
            self.assertEqual((rate, len(x)), (audio.SR, audio.SR), p)
            self.assertGreater(float(np.abs(x).max()), 0.05, p)


if __name__ == "__main__":
    unittest.main()
