"""Smoke test of train/make_corpus.py: a tiny corpus, its layout, format,
speaker-disjoint split, homophone removal and determinism."""
import hashlib
import json
import pathlib
import tempfile
import unittest
import wave

from train.corpus import build, speakers, words
from train.wav import read_wav


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


class TinyCorpusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        base = pathlib.Path(cls.tmp.name)
        cls.a = build.build(base / "a", seed=3, jobs=2, tiny=True)
        cls.b = build.build(base / "b", seed=3, jobs=2, tiny=True)
        cls.meta = json.loads((cls.a / "speakers.json").read_text())

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def wavs(self):
        return sorted(p for p in self.a.glob("*/*.wav") if p.parent.name != "_background_noise_")

    def test_layout(self):
        for name in ("validation_list.txt", "testing_list.txt", "speakers.json", "README.txt",
                     "klettres_test_list.txt"):
            self.assertTrue((self.a / name).is_file(), name)
        for w in ("yes", "no", "yet", "nose", "table", "klettres"):
            self.assertTrue(list((self.a / w).glob("*_nohash_*.wav")), w)
        noise = sorted(p.name for p in (self.a / "_background_noise_").glob("*.wav"))
        self.assertIn("white_noise.wav", noise)
        self.assertIn("babble_tts.wav", noise)
        for rel in (self.a / "testing_list.txt").read_text().split():
            self.assertTrue((self.a / rel).is_file(), rel)

    def test_wav_format(self):
        files = self.wavs()
        self.assertGreater(len(files), 30)
        for p in files:
            with wave.open(str(p)) as w:
                self.assertEqual((w.getframerate(), w.getnchannels(), w.getsampwidth()), (16000, 1, 2), p)
                self.assertLessEqual(w.getnframes(), 16000, p)
                self.assertGreater(w.getnframes(), 0, p)

    def test_speakers_disjoint_and_every_engine_everywhere(self):
        val = set((self.a / "validation_list.txt").read_text().split())
        test = set((self.a / "testing_list.txt").read_text().split())
        spk = lambda rel: rel.split("/")[1].split("_nohash_")[0]  # noqa: E731
        train = {str(p.relative_to(self.a)) for p in self.wavs()} - val - test
        sets = [set(map(spk, s)) for s in (train, val, test)]
        self.assertFalse(sets[0] & sets[1])
        self.assertFalse(sets[0] & sets[2])
        self.assertFalse(sets[1] & sets[2])
        by_id = {s["id"]: s for s in self.meta["speakers"]}
        for split, ids in zip(speakers.SPLITS, sets):
            engines = {by_id[i]["engine"] for i in ids}
            for e in speakers.ENGINES:
                self.assertIn(e, engines, f"{e} missing from {split}")
            for i in ids:
                self.assertEqual(by_id[i]["split"], split)
                # ids are chosen so TensorFlow's which_set() hashing agrees.
                self.assertEqual(speakers.gsc_split(i), split)

    def test_homophones_excluded(self):
        keywords, aux, unknown, near, removed = words.word_sets()
        dropped = {w for w, _ in removed}
        for w in ("to", "too", "know", "won", "write", "for"):
            self.assertIn(w, dropped)
            self.assertNotIn(w, unknown)
        self.assertGreaterEqual(len(unknown), 1000)
        self.assertFalse(set(unknown) & (set(keywords) | set(aux)))
        kw = set(words.phonemes(keywords, "en-us").values())
        clash = [w for w, p in words.phonemes(unknown, "en-us").items() if p in kw]
        self.assertEqual(clash, [])

    def test_deterministic(self):
        files = self.wavs()
        same = [p for p in files if digest(p) == digest(self.b / p.relative_to(self.a))]
        self.assertEqual(len(same), len(files))
        for name in ("testing_list.txt", "validation_list.txt"):
            self.assertEqual((self.a / name).read_text(), (self.b / name).read_text())
        n = self.a / "_background_noise_" / "babble_tts.wav"
        self.assertEqual(digest(n), digest(self.b / n.relative_to(self.a)))

    def test_clips_hold_speech(self):
        from train.corpus import audio
        for p in self.wavs()[:20]:
            x, _ = read_wav(str(p))
            b = audio.speech_bounds(x)
            self.assertIsNotNone(b, p)
            self.assertGreater(b[1] - b[0], 1600, p)  # at least 0.1 s of speech
            self.assertGreater(abs(x).max(), 0.05, p)


if __name__ == "__main__":
    unittest.main()
