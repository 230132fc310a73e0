"""Domain-adversarial training (Ganin & Lempitsky, 2015), used only while training.

A small head predicts, for every frame of a word, which source spoke it (each synthesizer, the
real recordings) from the hidden state the classifier reads. Its gradient reaches the network
reversed (gradient reversal), so the network is pushed towards features that do not say which
engine spoke: the keyword must be recognised from what was said, not from how it was rendered.
The head is never saved: the model file and the C engine are unchanged.
"""
import math

import torch
import torch.nn.functional as F

DOMAINS = ("espeak", "flite", "festival", "klettres", "real", "gnuspeech")


class GradientReversal(torch.autograd.Function):
    """Identity forward; backward multiplies the gradient by -scale."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return -ctx.scale * grad, None


def schedule(progress, weight):
    """The usual DANN ramp: 0 at the start, `weight` by the end (progress in [0, 1])."""
    return weight * (2.0 / (1.0 + math.exp(-10.0 * min(1.0, max(0.0, progress)))) - 1.0)


class Adversary(torch.nn.Module):
    """Watches the classifier's input (a forward hook) and gives the domain loss of the last
    forward pass."""

    def __init__(self, model, n_domains=len(DOMAINS)):
        super().__init__()
        self.head = torch.nn.Sequential(torch.nn.Linear(model.classifier.in_features, 64), torch.nn.ReLU(),
                                        torch.nn.Linear(64, n_domains))
        self._hidden = None
        model.classifier.register_forward_hook(self._keep)

    def _keep(self, module, inputs, output):
        self._hidden = inputs[0]

    def loss(self, domains, scale, ignore_index=-100):
        """Cross-entropy of the domain head on the frames whose domain is known; the network's
        share of its gradient is reversed and scaled by `scale`."""
        h = GradientReversal.apply(self._hidden, scale)
        logits = self.head(h)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), domains.reshape(-1), ignore_index=ignore_index)


def domain_ids(rels, per_clip, engine_of_speaker, speaker_of, default=None):
    """Domain index of every rendering of a cache whose clips are `rels` (`per_clip` renderings
    each); a speaker with no known engine gets `default` (e.g. "real" for the real set)."""
    out = []
    for rel in rels:
        name = engine_of_speaker.get(speaker_of(rel), default)
        out += [DOMAINS.index(name)] * per_clip
    return torch.tensor(out, dtype=torch.long)
