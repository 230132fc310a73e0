#!/usr/bin/python3
"""The feature cache's name changes with everything that shapes the cached features (so an
ablation can never silently train on another recipe's features), and only then."""
import os
import shutil
import tempfile
import unittest

import numpy as np

from train import feature_cache
from train.corpus_index import CorpusIndex
from train.feature_cache import clip_cache_key, noise_cache_key
from train.mega_config import FrontendConfig
from train.wav import write_wav


class CacheKeyTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cache-key-")
        self.root = os.path.join(self.tmp, "corpus")
        rng = np.random.default_rng(0)
        for rel in ("yes/a_nohash_0.wav", "no/b_nohash_0.wav", "_background_noise_/pink.wav"):
            os.makedirs(os.path.dirname(os.path.join(self.root, rel)), exist_ok=True)
            write_wav(os.path.join(self.root, rel), 0.1 * rng.standard_normal(16000))
        self.fe = FrontendConfig()

    def tearDown(self):
        shutil.rmtree(self.tmp)
        feature_cache._SOURCE_DIR = os.path.dirname(os.path.abspath(feature_cache.__file__))

    def key(self, **kw):
        args = dict(split="train", frontend=self.fe, versions=2, seed=1, recipe="base")
        args.update(kw)
        return clip_cache_key(CorpusIndex(self.root), **args)

    def test_same_inputs_same_name(self):
        self.assertEqual(self.key(), self.key())
        self.assertTrue(self.key().startswith("train-v2-m40-s1-base-"))

    def test_parameters_change_the_name(self):
        base = self.key()
        for kw in (dict(recipe="voices"), dict(versions=3), dict(seed=2),
                   dict(frontend=FrontendConfig(preemphasis=0.9)), dict(frontend=FrontendConfig(n_mels=32))):
            self.assertNotEqual(self.key(**kw), base, kw)

    def test_normalization_keeps_the_name(self):
        """The causal normalisation runs in the model, on the raw log-mel the cache holds."""
        base, noise = self.key(), noise_cache_key(CorpusIndex(self.root), self.fe)
        for fe in (FrontendConfig(normalization="pcen", pcen_s=0.1), FrontendConfig(normalization="running")):
            self.assertEqual(self.key(frontend=fe), base)
            self.assertEqual(noise_cache_key(CorpusIndex(self.root), fe), noise)

    def test_changed_clip_changes_the_name(self):
        base = self.key()
        write_wav(os.path.join(self.root, "yes/a_nohash_0.wav"), np.zeros(17000))
        self.assertNotEqual(self.key(), base)

    def test_added_clip_changes_the_name(self):
        base = self.key()
        write_wav(os.path.join(self.root, "yes/c_nohash_0.wav"), np.zeros(16000))
        self.assertNotEqual(self.key(), base)

    def test_changed_augmentation_code_changes_the_name(self):
        base = self.key()
        src = os.path.join(self.tmp, "src")
        shutil.copytree(feature_cache._SOURCE_DIR, src, ignore=shutil.ignore_patterns("__pycache__"))
        feature_cache._SOURCE_DIR = src
        self.assertEqual(self.key(), base)
        for name in ("augment.py", "wav.py"):  # the augmentation, and the reader of the clips
            with open(os.path.join(src, name), "a") as f:
                f.write("\n# a changed rendering\n")
            self.assertNotEqual(self.key(), base, name)
            base = self.key()

    def test_noise_name_follows_files_and_front_end(self):
        index = CorpusIndex(self.root)
        base = noise_cache_key(index, self.fe)
        self.assertNotEqual(noise_cache_key(index, FrontendConfig(n_mels=32)), base)
        write_wav(os.path.join(self.root, "_background_noise_/pink.wav"), np.zeros(8000))
        self.assertNotEqual(noise_cache_key(CorpusIndex(self.root), self.fe), base)


if __name__ == "__main__":
    unittest.main()
