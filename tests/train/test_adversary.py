#!/usr/bin/python3
"""Domain-adversarial training (train/adversary.py): the reversal flips and scales only the
gradient that reaches the network, the head itself learns normally, the weight ramps from 0,
and the sequence builder's domain targets cover exactly each word's speech span."""
import unittest

import numpy as np
import torch

from train.adversary import DOMAINS, Adversary, GradientReversal, domain_ids, schedule
from train.corpus_index import DEFAULT_LABELS, speaker_of
from train.mega_config import MegaConfig, NetworkConfig
from train.mega_ref import MegaClassifier
from train.sequences import IGNORE, SequenceBuilder


class AdversaryTest(unittest.TestCase):
    def test_reversal(self):
        x = torch.randn(5, requires_grad=True)
        (GradientReversal.apply(x, 0.3) * torch.arange(5.0)).sum().backward()
        self.assertTrue(torch.allclose(x.grad, -0.3 * torch.arange(5.0)))

    def test_schedule(self):
        self.assertEqual(schedule(0.0, 0.5), 0.0)
        self.assertAlmostEqual(schedule(1.0, 0.5), 0.5 * (2 / (1 + np.exp(-10)) - 1))
        self.assertLess(schedule(0.1, 1.0), schedule(0.5, 1.0))

    def test_head_learns_network_is_pushed_away(self):
        torch.manual_seed(0)
        cfg = MegaConfig(labels=DEFAULT_LABELS, network=NetworkConfig(d_model=16, z_dim=8, h_dim=16, ffn_dim=16,
                                                                       n_dim=4, n_layers=1, window=8))
        model = MegaClassifier(cfg)
        adv = Adversary(model)
        x = torch.randn(2, 20, cfg.frontend.n_mels)
        dom = torch.full((2, 20), IGNORE)
        dom[0, 5:15] = 1
        dom[1, 2:9] = 4
        model(x)
        adv.loss(dom, 1.0).backward()
        head_grad = [p.grad.clone() for p in adv.head.parameters()]
        net_grad = model.input_proj.weight.grad.clone()
        for p in list(model.parameters()) + list(adv.parameters()):
            p.grad = None
        model(x)
        # The same loss without reversal: the head's gradient is unchanged, the network's flips.
        h = adv._hidden
        logits = adv.head(h)
        torch.nn.functional.cross_entropy(logits.reshape(-1, len(DOMAINS)), dom.reshape(-1),
                                          ignore_index=IGNORE).backward()
        for a, b in zip(head_grad, adv.head.parameters()):
            self.assertTrue(torch.allclose(a, b.grad, atol=1e-6))
        self.assertTrue(torch.allclose(net_grad, -model.input_proj.weight.grad, atol=1e-6))
        self.assertGreater(float(net_grad.abs().max()), 0.0)

    def test_domain_ids_and_targets(self):
        ids = domain_ids(["yes/e1_nohash_0.wav", "klettres/k2_nohash_3.wav", "no/x_nohash_1.wav"], 2,
                         {"e1": "espeak", "k2": "klettres"}, speaker_of, default="real")
        self.assertEqual(ids.tolist(), [0, 0, 3, 3, 4, 4])
        m = 8
        f = torch.full((100, m), -5.0)
        f[20:60] = 3.0
        cache = {"feats": [f.half()], "spans": torch.tensor([[20, 60]], dtype=torch.int32),
                 "levels": torch.tensor([-20.0]), "labels": torch.tensor([DEFAULT_LABELS.index("yes")]),
                 "domains": torch.tensor([2])}
        b = SequenceBuilder(cache, [torch.zeros(400, m)], DEFAULT_LABELS, 400, np.random.default_rng(1),
                            p_keyword=1.0, specaugment=False, max_gap=30)
        x, y, d = b.one()
        d = d.numpy()
        self.assertTrue(set(np.unique(d)) <= {IGNORE, 2})
        runs = np.diff(np.concatenate([[0], (d == 2).astype(int), [0]]))
        lengths = np.nonzero(runs == -1)[0] - np.nonzero(runs == 1)[0]
        self.assertGreater(len(lengths), 1)
        self.assertTrue(all(n == 40 for n in lengths[:-1]), lengths)   # the last word may be cut


if __name__ == "__main__":
    unittest.main()
