"""The configuration of the gst-mega classifier: the front end, the network and the labels, as
the model file's `config` metadata holds them (model/FORMAT.md), with the ranges the C engine
accepts (model/config.c), and the network's cost per frame."""
import json
from dataclasses import asdict, dataclass, field, fields
from typing import List


@dataclass
class FrontendConfig:
    sample_rate: int = 16000
    frame_length_ms: float = 25.0
    frame_shift_ms: float = 10.0
    n_mels: int = 40
    low_freq: float = 20.0
    high_freq: float = 0.0
    window: str = "povey"
    preemphasis: float = 0.97
    remove_dc_offset: bool = True
    input_scale: float = 32768.0
    # Causal per-stream normalisation before frontend.mean/std (FORMAT.md, mega_ref.causal_normalize).
    # Not part of the filter bank: the raw log-mel features do not depend on these.
    normalization: str = "global"  # "global" (none), "pcen" or "running"
    pcen_s: float = 0.025
    pcen_alpha: float = 0.98
    pcen_delta: float = 2.0
    pcen_r: float = 0.5
    pcen_eps: float = 1e-6
    running_frames: int = 100


PCEN_KEYS = ("pcen_s", "pcen_alpha", "pcen_delta", "pcen_r", "pcen_eps")
NORMALIZATION_KEYS = ("normalization",) + PCEN_KEYS + ("running_frames",)


def fbank_params(fe: FrontendConfig):
    """The fields that shape the raw log-mel features (the feature cache's key)."""
    return {k: v for k, v in asdict(fe).items() if k not in NORMALIZATION_KEYS}


def frontend_dict(fe: FrontendConfig):
    """The file's `frontend` object: the normalisation keys only where they apply, so a global
    model's config is exactly what it was before they existed."""
    d = fbank_params(fe)
    if fe.normalization == "pcen":
        d.update({"normalization": "pcen", **{k: getattr(fe, k) for k in PCEN_KEYS}})
    elif fe.normalization == "running":
        d.update({"normalization": "running", "running_frames": fe.running_frames})
    return d


@dataclass
class NetworkConfig:
    d_model: int = 64
    z_dim: int = 32
    h_dim: int = 128
    ffn_dim: int = 128
    n_dim: int = 16
    n_layers: int = 4
    attention: str = "softmax"
    rel_pos_bias: str = "simple"
    norm: str = "layernorm"
    prenorm: bool = True
    window_mode: str = "chunk"
    window: int = 32
    activation: str = "silu"
    norm_eps: float = 1e-5


@dataclass
class MegaConfig:
    labels: List[str] = field(default_factory=lambda: ["_silence_", "_unknown_", "yes", "no"])
    frontend: FrontendConfig = field(default_factory=FrontendConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)

    def validate(self):
        n, fe = self.network, self.frontend
        if not 2 <= len(self.labels) <= 1024 or len(set(self.labels)) != len(self.labels) \
                or any(not s for s in self.labels):
            raise ValueError("labels: 2..1024 distinct non-empty strings")
        if n.attention not in ("softmax", "laplace", "relu2"):
            raise ValueError(f"attention {n.attention!r}")
        if n.rel_pos_bias not in ("simple", "rotary"):
            raise ValueError(f"rel_pos_bias {n.rel_pos_bias!r}")
        if n.rel_pos_bias == "rotary" and n.z_dim % 2:
            raise ValueError("rotary bias needs an even z_dim")
        if n.norm not in ("layernorm", "scalenorm", "rmsnorm", "batchnorm"):
            raise ValueError(f"norm {n.norm!r}")
        if n.window_mode not in ("chunk", "sliding"):
            raise ValueError(f"window_mode {n.window_mode!r}")
        if n.activation not in ("silu", "gelu"):
            raise ValueError(f"activation {n.activation!r}")
        if fe.window not in ("hamming", "hanning", "povey", "rectangular"):
            raise ValueError(f"frontend window {fe.window!r}")
        if fe.normalization not in ("global", "pcen", "running"):
            raise ValueError(f"frontend normalization {fe.normalization!r}")
        # the ranges model/config.c enforces
        for name, ok in (("pcen_s", 0 < fe.pcen_s <= 1), ("pcen_alpha", 0 <= fe.pcen_alpha <= 1),
                         ("pcen_delta", 0 <= fe.pcen_delta <= 1e6), ("pcen_r", 0 < fe.pcen_r <= 1),
                         ("pcen_eps", 1e-12 <= fe.pcen_eps <= 1),
                         ("running_frames", isinstance(fe.running_frames, int)
                          and 2 <= fe.running_frames <= 1000000)):
            if not ok:
                raise ValueError(f"frontend {name} {getattr(fe, name)!r} out of range")
        for name in ("d_model", "z_dim", "h_dim", "n_dim", "n_layers", "window"):
            if getattr(n, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if n.ffn_dim < 0 or not 0 < n.norm_eps < 1:
            raise ValueError("ffn_dim >= 0 and 0 < norm_eps < 1")
        return self

    def to_dict(self):
        return {"labels": list(self.labels), "frontend": frontend_dict(self.frontend),
                "network": asdict(self.network)}

    def to_json(self):
        return json.dumps(self.to_dict())

    @staticmethod
    def from_dict(d):
        def build(cls, sub):
            known = {f.name: f.type for f in fields(cls)}
            unknown = set(sub) - set(known)
            if unknown:
                raise ValueError(f"unknown {cls.__name__} keys {sorted(unknown)}")
            return cls(**sub)
        return MegaConfig(labels=list(d["labels"]), frontend=build(FrontendConfig, d["frontend"]),
                          network=build(NetworkConfig, d["network"])).validate()

    @staticmethod
    def from_json(text):
        return MegaConfig.from_dict(json.loads(text))


def macs_per_frame(config: MegaConfig):
    """Multiply-accumulates per frame of the network in steady state (front end excluded):
    matrix products, EMA recurrence (3 D N), attention over the keys a frame sees (chunk: on
    average (C+1)/2, sliding: C) for scores (Z) and values (H)."""
    n = config.network
    D, Z, H, F_, N, C = n.d_model, n.z_dim, n.h_dim, n.ffn_dim, n.n_dim, n.window
    keys = (C + 1) / 2 if n.window_mode == "chunk" else C
    per_layer = D * H + D * (2 * D + Z + H) + H * D + 3 * D * N + keys * (Z + H) + 2 * D * F_
    return config.frontend.n_mels * D + n.n_layers * per_layer + D * len(config.labels)
