"""The model file (model/FORMAT.md): a MegaClassifier's tensors under their file names plus its
configuration as JSON metadata, in safetensors. What save_model writes is what the C engine
and the element load."""
import torch

from . import safetensors_io
from .mega_config import MegaConfig
from .mega_ref import MegaClassifier

FORMAT_NAME = "gst-mega"
FORMAT_VERSION = "1"


def model_tensors(model):
    """name -> float32 tensor, exactly the FORMAT.md tensor set."""
    return {k: v.detach().to(torch.float32).cpu() for k, v in model.state_dict().items()}


def save_model(model, path, description=""):
    meta = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION,
            "config": model.config.to_json()}
    if description:
        meta["description"] = description
    tensors = model_tensors(model)
    for name, t in tensors.items():
        if not torch.isfinite(t).all():
            raise ValueError(f"tensor {name} has non-finite values")
    safetensors_io.save(path, tensors, meta)


def load_model(path):
    """Returns a MegaClassifier (float32, eval mode) built from a FORMAT.md file."""
    tensors, meta = safetensors_io.load(path)
    if meta.get("format") != FORMAT_NAME or meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path}: not a {FORMAT_NAME} v{FORMAT_VERSION} file")
    model = MegaClassifier(MegaConfig.from_json(meta["config"]))
    expected = model.state_dict()
    if set(expected) != set(tensors):
        raise ValueError(f"{path}: tensor names differ: missing {sorted(set(expected) - set(tensors))}, "
                         f"extra {sorted(set(tensors) - set(expected))}")
    for name, t in tensors.items():
        if tuple(t.shape) != tuple(expected[name].shape):
            raise ValueError(f"{path}: {name} has shape {tuple(t.shape)}, expected {tuple(expected[name].shape)}")
    model.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()})
    return model.eval()
