#!/usr/bin/python3
"""Training objectives (train/objectives.py): keyword runs found from the targets, and the
max-pooling loss against a hand computation; the frame objective is plain cross-entropy."""
import unittest

import torch
import torch.nn.functional as F

from train.objectives import IGNORE, keyword_runs, loss

SIL, UNK, A, B = 0, 1, 2, 3
IS_KW = torch.tensor([False, False, True, True])


class ObjectiveTest(unittest.TestCase):
    def test_runs(self):
        t = torch.tensor([[SIL, IGNORE, A, A, B, B, SIL, A], [A, A, UNK, A, IGNORE, A, SIL, SIL]])
        r = keyword_runs(t, IS_KW).tolist()
        self.assertEqual(r, [[-1, -1, 0, 0, 1, 1, -1, 2], [3, 3, -1, 4, -1, 5, -1, -1]])

    def test_maxpool_by_hand(self):
        torch.manual_seed(0)
        logits = torch.randn(1, 6, 4)
        t = torch.tensor([[SIL, A, A, A, UNK, SIL]])
        got = loss(logits, t, "maxpool", IS_KW)
        logp = F.log_softmax(logits[0], -1)
        best = max(1, 2, 3, key=lambda i: float(logp[i, A]))
        want = -(logp[0, SIL] + logp[4, UNK] + logp[5, SIL] + logp[best, A]) / 4
        self.assertAlmostEqual(float(got), float(want), places=5)
        self.assertNotAlmostEqual(float(got), float(loss(logits, t, "frame", IS_KW)), places=3)

    def test_frame_is_cross_entropy(self):
        logits = torch.randn(2, 5, 4)
        t = torch.tensor([[SIL, A, IGNORE, B, UNK], [A, A, A, SIL, SIL]])
        self.assertAlmostEqual(float(loss(logits, t, "frame", IS_KW)),
                               float(F.cross_entropy(logits.reshape(-1, 4), t.reshape(-1), ignore_index=IGNORE)),
                               places=6)

    def test_gradient_only_on_the_peak(self):
        logits = torch.zeros(1, 4, 4)
        logits[0, 2, A] = 1.0
        logits.requires_grad_(True)
        loss(logits, torch.tensor([[A, A, A, A]]), "maxpool", IS_KW).backward()
        nonzero = [i for i in range(4) if float(logits.grad[0, i].abs().sum()) > 0]
        self.assertEqual(nonzero, [2])


if __name__ == "__main__":
    unittest.main()
