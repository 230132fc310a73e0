"""Unit test of the real-speech set builder (train/make_real_set.py and
train/real/) without downloads or pocketsphinx: the keyword/homophone text
rules, the speaker split table, cutting margins, pause splitting and the
GSC-style writer on a tiny fake source made with numpy."""
import json
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import unittest
import wave

import numpy as np

from train import make_real_set
from train.real import asterisk, common, csmash, cut, flightgear, ktx, layout, saytime
from train.real.common import UNKNOWN, Clip, Dropped

SR = 16000


def word(seconds, f0=220.0, amp=0.3):
    t = np.arange(int(seconds * SR)) / SR
    return (amp * np.sin(2 * np.pi * f0 * t) * np.hanning(len(t))).astype(np.float32)


def silence(seconds):
    return np.zeros(int(seconds * SR), dtype=np.float32)


class TextRules(unittest.TestCase):
    def test_keyword_texts(self):
        for text, kw in [("yes", "yes"), ("No", "no"), ("5", "five"), ("Zero.", "zero"), ("GO!", "go")]:
            self.assertEqual(common.label_for_text(text), (kw, None), text)

    def test_non_keyword_filter_rejects_keywords_and_homophones(self):
        for text in ["yes sir", "for glory", "time to die", "i know", "we won", "ate it", "write it down",
                     "green light in 5", "on our way", "too late", "no retreat", "take off", "fourteen",
                     "Yeah", "left click the icon", "1 minute remaining", "stop it", "going in"]:
            label, why = common.label_for_text(text)
            self.assertIsNone(label, text)
            self.assertIn("keyword-like", why)

    def test_clean_texts_are_unknown(self):
        for text in ["take cover", "dangerous game", "10 minutes remaining", "A crow.", "front center", "north", "bamboo",
                     "enemy base detected", "h", "sudden death"]:
            self.assertEqual(common.label_for_text(text), (UNKNOWN, None), text)

    def test_numbers_are_words(self):
        self.assertEqual(common.words_of("LZ 1"), ["lz", "one"])
        self.assertEqual(common.words_of("10 Minutes"), ["ten", "minutes"])
        self.assertEqual(common.words_of("Locked-on"), ["locked", "on"])

    def test_speaker_ids(self):
        self.assertEqual(common.speaker_id("hw", "HillBilly"), "hw-hillbilly")
        self.assertEqual(common.speaker_id("mg", "fire_archer"), "mg-fire-archer")
        self.assertEqual(common.speaker_id("klettres", "en_GB"), "klettres-en-gb")


class AsteriskTranscripts(unittest.TestCase):
    def test_transcript_file(self):
        import gzip
        with tempfile.TemporaryDirectory() as d:
            path = pathlib.Path(d) / "core-sounds-en.txt.gz"
            with gzip.open(path, "wt") as f:
                f.write("; Core Asterisk Sounds in English\n\nagent-loggedoff: Agent Logged off.\n"
                        "beep: [this is a simple beep tone]\ndigits/7: seven\n"
                        "dictate/forhelp: press 0 for help\n")
            tr = asterisk.transcripts(path)
        self.assertEqual(tr, {"agent-loggedoff": "Agent Logged off.", "beep": "[this is a simple beep tone]",
                              "digits/7": "seven", "dictate/forhelp": "press 0 for help"})
        self.assertEqual(common.label_for_text(tr["digits/7"]), ("seven", None))
        # a phrase with a keyword goes to the aligner, whose words pocketsphinx knows
        self.assertEqual(asterisk.spoken("press * to pause, # to exit"), "press star to pause, pound to exit")
        self.assertIsNone(common.label_for_text(asterisk.spoken(tr["agent-loggedoff"]))[0])


def fake_deb(debs, name, files):
    """A real .deb named <name>_1.0_all.deb in debs holding files {path: wav samples or raw bytes}."""
    root = pathlib.Path(debs) / "build"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(f"Package: {name}\nVersion: 1.0\nArchitecture: all\n"
                                              "Maintainer: test <t@example.org>\nDescription: test\n")
    for rel, x in files.items():
        path = root / rel.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(x, bytes):   # a headerless file, as it is
            path.write_bytes(x)
            continue
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(SR)
            w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", str(root), str(pathlib.Path(debs) / f"{name}_1.0_all.deb")],
                   check=True, capture_output=True)
    shutil.rmtree(root)


class PartialUnpack(unittest.TestCase):
    def test_only_the_named_members_and_again_when_they_change(self):
        with tempfile.TemporaryDirectory() as d:
            fake_deb(d, "big-data", {"/usr/share/a/Sounds/x/one.wav": word(0.2), "/usr/share/a/maps/m.wav": word(0.2)})
            pkg = common.Package("big-data", d, log=lambda *_: None, only=("*/Sounds/x/*",))
            self.assertEqual(pkg.version, "1.0")
            self.assertTrue(os.path.exists(pkg.path("/usr/share/a/Sounds/x/one.wav")))
            self.assertFalse(os.path.exists(pkg.path("/usr/share/a/maps/m.wav")))
            # a pattern that names nothing is an error, not an empty package
            with self.assertRaises(subprocess.CalledProcessError):
                common.Package("big-data", d, log=lambda *_: None, only=("*/no-such-folder/*",))
            # asking for the whole package later unpacks it all
            pkg = common.Package("big-data", d, log=lambda *_: None)
            self.assertTrue(os.path.exists(pkg.path("/usr/share/a/maps/m.wav")))


class NewSources(unittest.TestCase):
    def test_csmash_labels_from_file_names(self):
        root = csmash.ROOT
        files = {f"{root}/{n}.wav": word(0.4) for n in ("zero", "seven", "twelve", "loveall", "sixteen", "click")}
        with tempfile.TemporaryDirectory() as d:
            fake_deb(d, csmash.PKG, files)
            clips, drops = csmash.collect(common.Context(d, sphinx=None, log=lambda *_: None))
        got = {(c.text, c.label) for c in clips}
        self.assertEqual(got, {("zero", "zero"), ("seven", "seven"), ("twelve", UNKNOWN), ("love all", UNKNOWN)})
        self.assertEqual({c.speaker for c in clips}, {csmash.SPEAKER})
        why = {pathlib.Path(x.original).name: x.reason for x in drops}
        self.assertEqual(set(why), {"sixteen.wav", "click.wav"})
        self.assertIn("keyword-like", why["sixteen.wav"])
        self.assertEqual(len(clips[0].samples), int(0.4 * SR))

    def test_flightgear_callout_texts(self):
        self.assertEqual(flightgear.text_of("altitude-10"), "ten")
        self.assertEqual(flightgear.text_of("altitude-300"), "three hundred")
        self.assertEqual(flightgear.text_of("altitude-1000"), "one thousand")
        self.assertEqual(flightgear.text_of("altitude-2500"), "twenty five hundred")
        self.assertEqual(flightgear.text_of("too-low-gear"), "too low gear")
        # number calls with a keyword and "too low ..." go to the aligner; "forty" alone is dropped
        self.assertIsNone(common.label_for_text(flightgear.text_of("altitude-200"))[0])
        self.assertIsNone(common.label_for_text(flightgear.text_of("altitude-40"))[0])
        self.assertEqual(common.label_for_text(flightgear.text_of("sink-rate")), (UNKNOWN, None))

    def test_saytime_reads_headerless_ulaw_and_drops_the_clocks_zero(self):
        tone = word(0.25, f0=440.0, amp=0.5)[::2]            # 8 kHz samples of a 0.25 s tone
        ulaw = subprocess.run(["sox", "-t", "raw", "-e", "floating-point", "-b", "32", "-c", "1", "-r", "8000", "-",
                               "-t", "raw", "-e", "u-law", "-b", "8", "-"], input=tone.astype("<f4").tobytes(),
                              capture_output=True, check=True).stdout
        self.assertEqual(len(ulaw), len(tone))
        files = {f"{saytime.ROOT}/{n}.au": ulaw for n in ("7", "13", "40", "oh", "the_time_is")}
        with tempfile.TemporaryDirectory() as d:
            fake_deb(d, saytime.PKG, files)
            clips, drops = saytime.collect(common.Context(d, sphinx=None, log=lambda *_: None))
        self.assertEqual({(c.text, c.label) for c in clips},
                         {("seven", "seven"), ("thirteen", UNKNOWN), ("the time is", UNKNOWN)})
        self.assertEqual({pathlib.Path(x.original).name for x in drops}, {"40.au", "oh.au"})
        x = clips[0].samples
        self.assertAlmostEqual(len(x) / SR, 0.25, delta=0.01)   # resampled to 16 kHz, not read as 8-bit PCM
        self.assertGreater(float(np.max(np.abs(x))), 0.4)
        self.assertLess(float(np.max(np.abs(x))), 0.6)

    def test_ktx_countdown(self):
        files = {f"{ktx.ROOT}/{n}.wav": word(0.3) for n in ("1", "2", "3", "fight", "excelent")}
        with tempfile.TemporaryDirectory() as d:
            fake_deb(d, ktx.PKG, files)
            clips, drops = ktx.collect(common.Context(d, sphinx=None, log=lambda *_: None))
        self.assertEqual(sorted((c.text, c.label) for c in clips),
                         [("excellent", UNKNOWN), ("fight", UNKNOWN), ("one", "one"), ("three", "three"),
                          ("two", "two")])
        self.assertEqual([pathlib.Path(x.original).name for x in drops], ["flawless.wav"])

    def test_new_speakers_are_train_only(self):
        for spk in (asterisk.SPEAKER, csmash.SPEAKER, flightgear.SPEAKER, saytime.SPEAKER, ktx.SPEAKER):
            self.assertEqual(make_real_set.SPLIT[spk], "train", spk)


class SplitTable(unittest.TestCase):
    def test_table(self):
        table = make_real_set.SPLIT
        self.assertGreater(len(table), 10)
        for spk, split in table.items():
            self.assertIn(split, ("train", "dev"), spk)
            self.assertRegex(spk, r"^[a-z0-9-]+$")
            self.assertNotIn("_", spk)
        # held-out speakers of the synthetic corpus must be dev
        self.assertEqual(table["klettres-en"], "dev")
        self.assertEqual(table["klettres-engb"], "dev")
        self.assertEqual(set(table.values()), {"train", "dev"})

    def test_groups_stay_together(self):
        table = make_real_set.SPLIT
        for group in make_real_set.SAME_SIDE:
            sides = {table[s] for s in group if s in table}
            self.assertEqual(len(sides), 1, group)

    def test_unknown_speaker_is_an_error(self):
        with self.assertRaises(KeyError):
            layout.split_of("nobody-here", {"a": "dev"})


class Cutting(unittest.TestCase):
    def test_margins_respect_neighbours(self):
        x = np.concatenate([silence(0.3), word(0.4), word(0.4, 330), silence(0.3)])
        words = [("front", 0.3, 0.7), ("left", 0.7, 1.1)]
        seg, a, b = cut._segment(x, words, 1, 1)
        self.assertAlmostEqual(a, 0.7, places=2)        # touching "front": no margin into it
        self.assertAlmostEqual(b, 1.1 + cut.MARGIN, delta=0.011)  # silence after: (almost) full margin
        self.assertEqual(len(seg), int(round(b * SR)) - int(round(a * SR)))
        self.assertEqual(seg[0], 0.0)  # faded in

    def test_margin_stops_at_a_beep(self):
        beep = (0.3 * np.sin(2 * np.pi * 1700 * np.arange(int(0.2 * SR)) / SR)).astype(np.float32)
        x = np.concatenate([beep, silence(0.03), word(0.4), silence(0.3)])
        seg, a, b = cut._segment(x, [("one", 0.23, 0.63)], 0, 0)
        self.assertGreaterEqual(a, 0.2)  # the margin does not reach back into the beep

    def test_split_at_pauses(self):
        x = np.concatenate([word(1.5), silence(0.3), word(1.5), silence(0.3), word(1.5), silence(0.3), word(1.5)])
        parts = common.split_at_pauses(x, max_s=4.0)
        self.assertGreaterEqual(len(parts), 2)
        self.assertTrue(all(len(p) <= 4 * SR for p in parts))
        self.assertEqual(sum(len(p) for p in parts), len(x))
        self.assertEqual(common.split_at_pauses(word(5.0), max_s=4.0), [])


class Writer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.out = pathlib.Path(cls.tmp.name) / "real"
        pad = silence(0.2)
        cls.clips = [
            Clip(np.concatenate([pad, word(0.4), pad]), "yes", "yes", "fake-a", "fake-pkg", "/a/yes.wav", "filename"),
            Clip(np.concatenate([pad, word(0.5, 300), pad]), "no", "no", "fake-b", "fake-pkg", "/b/no.wav",
                 "filename"),
            Clip(np.concatenate([pad, word(1.3, 180, 1.4), pad]), "no", "no", "fake-b", "fake-pkg", "/b/no2.wav",
                 "checked"),
            Clip(np.concatenate([pad, word(0.7, 250), pad]), "take cover", UNKNOWN, "fake-a", "fake-pkg",
                 "/a/cover.wav", "filename"),
            Clip(np.concatenate([word(2.0), silence(0.4), word(2.0), silence(0.4), word(1.5)]), "a long sentence",
                 UNKNOWN, "fake-b", "fake-pkg", "/b/long.wav", "label-file"),
            Clip(silence(1.0), "nothing", UNKNOWN, "fake-b", "fake-pkg", "/b/silent.wav", "filename"),
        ]
        cls.table = {"fake-a": "train", "fake-b": "dev"}
        cls.manifest = layout.write(str(cls.out), cls.clips, [Dropped("fake-pkg", "/c", "test drop")],
                                    {"fake-pkg": "1.0"}, cls.table, log=lambda *a: None)
        # idempotent: a second write gives the same files
        cls.again = layout.write(str(cls.out), cls.clips, [Dropped("fake-pkg", "/c", "test drop")],
                                 {"fake-pkg": "1.0"}, cls.table, log=lambda *a: None)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_paths_and_testing_list(self):
        rels = sorted(r["rel"] for r in self.manifest["clips"])
        for r in rels:
            self.assertRegex(r, r"^(yes|no|other)/[a-z0-9-]+_nohash_\d+\.wav$")
            self.assertTrue((self.out / r).is_file(), r)
        self.assertIn("yes/fake-a_nohash_0.wav", rels)
        self.assertIn("no/fake-b_nohash_0.wav", rels)
        self.assertIn("no/fake-b_nohash_1.wav", rels)
        self.assertIn("other/fake-a_nohash_0.wav", rels)
        testing = (self.out / "testing_list.txt").read_text().split()
        dev = sorted(r["rel"] for r in self.manifest["clips"] if r["split"] == "dev")
        self.assertEqual(testing, dev)
        self.assertTrue(all(re.match(r"^(no|other)/fake-b_", t) for t in testing))
        self.assertFalse((self.out / "validation_list.txt").exists())

    def test_manifest(self):
        m = json.loads((self.out / "manifest.json").read_text())
        self.assertEqual(m["sources"], {"fake-pkg": "1.0"})
        keys = {"rel", "label", "text", "speaker", "package", "original", "split", "seconds", "how"}
        for r in m["clips"]:
            self.assertTrue(keys <= set(r), r)
        reasons = {d["original"]: d["reason"] for d in m["dropped"]}
        self.assertEqual(reasons["/c"], "test drop")
        self.assertIn("/b/silent.wav", reasons)
        self.assertEqual(m["counts"]["train"]["yes"], 1)
        self.assertEqual(m["counts"]["dev"]["no"], 2)
        self.assertEqual(m["counts"]["per_speaker"]["fake-b"]["split"], "dev")
        self.assertEqual(m, self.again)
        self.assertTrue((self.out / "COUNTS.md").read_text().startswith("# Real-speech set"))

    def test_wav_format_and_level(self):
        by_orig = {}
        for r in self.manifest["clips"]:
            by_orig.setdefault(r["original"], []).append(r)
        for r in self.manifest["clips"]:
            with wave.open(str(self.out / r["rel"])) as w:
                self.assertEqual((w.getnchannels(), w.getsampwidth(), w.getframerate()), (1, 2, SR))
                n = w.getnframes()
                x = np.frombuffer(w.readframes(n), dtype="<i2").astype(np.float32) / 32768
            self.assertAlmostEqual(n / SR, r["seconds"], places=3)
            if r["original"] in ("/a/yes.wav", "/b/no.wav", "/a/cover.wav"):
                self.assertEqual(n, SR)                             # placed in a 1 s clip
                self.assertAlmostEqual(float(np.abs(x).max()), 0.3, delta=0.01)  # own level kept
            if r["original"] == "/b/no2.wav":
                self.assertGreater(n, SR)                           # long keyword: own length
                self.assertLessEqual(float(np.abs(x).max()), 1.0)   # scaled down, not clipped
                self.assertIn("own length", r["note"])
        parts = by_orig["/b/long.wav"]
        self.assertGreaterEqual(len(parts), 2)
        self.assertTrue(all(p["seconds"] <= 4.0 for p in parts))


if __name__ == "__main__":
    unittest.main()
