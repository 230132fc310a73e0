"""Average the weights of models trained from one start (a uniform "model soup",
Wortsman et al., 2022): runs of one recipe with different seeds land near each other,
and their mean is as cheap to run as one of them while it evens out their seed luck.

    /usr/bin/python3 -m train.average_weights --out model.safetensors a.safetensors b.safetensors

The models must share their configuration (labels, front end, network); the result keeps
it and averages every tensor."""
import argparse

import torch

from .model_io import load_model, save_model


def average(paths):
    """A MegaClassifier whose tensors are the means of those of the models in paths."""
    if len(paths) < 2:
        raise ValueError("averaging needs at least two models")
    models = [load_model(p) for p in paths]
    config = models[0].config.to_json()
    for p, m in zip(paths[1:], models[1:]):
        if m.config.to_json() != config:
            raise ValueError(f"{p}: its configuration differs from {paths[0]}'s; only runs of one recipe average")
    states = [m.state_dict() for m in models]
    mean = {k: torch.stack([s[k].to(torch.float64) for s in states]).mean(0).to(states[0][k].dtype)
            for k in states[0]}
    models[0].load_state_dict(mean)
    return models[0]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("models", nargs="+")
    a = ap.parse_args(argv)
    model = average(a.models)
    params = sum(p.numel() for p in model.parameters())
    save_model(model, a.out, f"gst-mega keyword model: the mean of the weights of {len(a.models)} runs "
                             f"of one recipe; {params} parameters")
    print(f"wrote {a.out}: the mean of {len(a.models)} models")


if __name__ == "__main__":
    main()
