"""train/average_weights.py: the mean of models of one recipe, written as a model file the
engine loads, and a clear error for models that do not belong together."""
import os
import tempfile
import unittest

import torch

from train.average_weights import average, main
from train.make_report import later_phase_text
from train.corpus_index import DEFAULT_LABELS
from train.mega_config import MegaConfig, NetworkConfig
from train.mega_ref import MegaClassifier
from train.model_io import load_model, save_model


def tiny(seed, window=8):
    torch.manual_seed(seed)
    cfg = MegaConfig(labels=DEFAULT_LABELS, network=NetworkConfig(d_model=16, z_dim=8, h_dim=16, ffn_dim=16,
                                                                   n_dim=4, n_layers=1, window=window))
    return MegaClassifier(cfg)


class Average(unittest.TestCase):
    def test_mean_of_every_tensor_and_a_loadable_file(self):
        with tempfile.TemporaryDirectory() as d:
            paths = []
            for seed in (1, 2, 3):
                paths.append(os.path.join(d, f"m{seed}.safetensors"))
                save_model(tiny(seed), paths[-1])
            out = os.path.join(d, "soup.safetensors")
            main(["--out", out] + paths)
            soup = load_model(out).state_dict()
            parts = [load_model(p).state_dict() for p in paths]
        for name, t in soup.items():
            want = (parts[0][name].double() + parts[1][name].double() + parts[2][name].double()) / 3
            torch.testing.assert_close(t.double(), want, rtol=0, atol=1e-7, msg=name)
        # the inputs really differ, so the mean is not one of them
        self.assertFalse(torch.equal(soup["classifier.weight"], parts[0]["classifier.weight"]))

    def test_a_soup_of_one_model_is_that_model(self):
        with tempfile.TemporaryDirectory() as d:
            a = os.path.join(d, "a.safetensors")
            save_model(tiny(5), a)
            soup = average([a, a]).state_dict()
            for name, t in load_model(a).state_dict().items():
                self.assertTrue(torch.equal(soup[name], t), name)

    def test_models_of_different_recipes_are_refused(self):
        with tempfile.TemporaryDirectory() as d:
            a, b = os.path.join(d, "a.safetensors"), os.path.join(d, "b.safetensors")
            save_model(tiny(1, window=8), a)
            save_model(tiny(1, window=16), b)
            with self.assertRaisesRegex(ValueError, "configuration differs"):
                average([a, b])
            with self.assertRaisesRegex(ValueError, "at least two"):
                average([a])


class ReportText(unittest.TestCase):
    def log(self, seed):
        return {"curve": [{"step": 700, "minutes": 30.0}], "args": {"device": "cpu", "batch": 24, "lr": 0.001,
                                                                   "p_real": 0.8, "real": "data/real", "seed": seed},
                "selection": "last"}

    def test_one_run_and_averaged_runs(self):
        one = later_phase_text(4, [self.log(3)])
        self.assertIn("continued in phase 4: 700 steps", one)
        self.assertIn("its last weights kept; ", one)
        self.assertNotIn("averaged", one)
        two = later_phase_text(4, [self.log(3), self.log(2)])
        self.assertIn("continued in phase 4 twice, with seeds 3, 2, each: 700 steps", two)
        self.assertTrue(two.endswith("its last weights kept, and the runs' weights averaged; "), two)


if __name__ == "__main__":
    unittest.main()
