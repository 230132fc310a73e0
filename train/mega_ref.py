"""PyTorch reference of the gst-mega streaming classifier: the modules and the front end.

The maths follows fairseq's Mega (see research/mega.md): MovingAverageGatedAttention + NFFN,
causal EMA without truncation, attention restricted to a window of C frames. The module's
state_dict names are exactly the tensor names of model/FORMAT.md, so model_io.save_model()
writes the file the C engine reads; the configuration is mega_config.py.

Two forward paths that must agree (tests/train/test_reference.py checks it):
  * forward(features, state=None, return_state=False): whole sequence at once (FFT EMA,
    block-parallel attention), differentiable, optionally continuing from a carried state;
  * forward_step(features, state): frame by frame with the EMA recurrence and an explicit
    key/value window, i.e. what the C engine does.
"""
import math
from dataclasses import dataclass, field
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from .mega_config import FrontendConfig, MegaConfig, NetworkConfig

# fairseq utils.laplace constants (mu = sqrt(1/2), sigma = sqrt(1/(4 pi)), as rounded there)
LAPLACE_MU = 0.707107
LAPLACE_SIGMA = 0.282095
# Added to the running variance (nats^2); FORMAT.md, model/featnorm.c RUNNING_VAR_FLOOR.
RUNNING_VAR_FLOOR = 0.01


# ---------------------------------------------------------------- building blocks

def activation(name):
    if name == "silu":
        return F.silu
    if name == "gelu":
        return lambda x: F.gelu(x)  # exact erf form
    raise ValueError(name)


def laplace(x):
    return 0.5 * (1.0 + torch.erf((x - LAPLACE_MU) / (LAPLACE_SIGMA * math.sqrt(2.0))))


def relu2(x):
    return F.relu(x) ** 2


class SeqNorm(nn.Module):
    """The four norms of FORMAT.md over the last (channel) axis; parameter names as in the file."""

    def __init__(self, kind, dim, eps, momentum=0.1):
        super().__init__()
        self.kind, self.dim, self.eps, self.momentum = kind, dim, eps, momentum
        if kind in ("layernorm", "batchnorm"):
            self.weight = nn.Parameter(torch.ones(dim))
            self.bias = nn.Parameter(torch.zeros(dim))
        elif kind == "rmsnorm":
            self.weight = nn.Parameter(torch.ones(dim))
        elif kind == "scalenorm":
            self.scalar = nn.Parameter(torch.ones(1))
        else:
            raise ValueError(kind)
        if kind == "batchnorm":
            self.register_buffer("running_mean", torch.zeros(dim))
            self.register_buffer("running_var", torch.ones(dim))

    def forward(self, x):
        if self.kind == "layernorm":
            return F.layer_norm(x, (self.dim,), self.weight, self.bias, self.eps)
        if self.kind == "scalenorm":
            return self.scalar * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        if self.kind == "rmsnorm":  # fairseq's, which normalises (HF's does not)
            return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight
        if self.training:  # statistics over every (batch, time) row
            flat = x.reshape(-1, self.dim)
            y = F.batch_norm(flat, self.running_mean, self.running_var, self.weight, self.bias,
                             True, self.momentum, self.eps)
            return y.reshape(x.shape)
        return (x - self.running_mean) * torch.rsqrt(self.running_var + self.eps) * self.weight + self.bias


class CausalEMA(nn.Module):
    """fairseq MultiHeadEMA, causal, untruncated; parameters stored [D, N] as in the file."""

    def __init__(self, dim, ndim):
        super().__init__()
        self.dim, self.ndim = dim, ndim
        self.scale = math.sqrt(1.0 / ndim)
        self.delta = nn.Parameter(torch.zeros(dim, ndim))
        self.alpha = nn.Parameter(torch.zeros(dim, ndim))
        self.beta = nn.Parameter(torch.zeros(dim, ndim))
        self.gamma = nn.Parameter(torch.zeros(dim, ndim))
        self.omega = nn.Parameter(torch.zeros(dim))

    def reset_parameters(self):
        with torch.no_grad():
            nn.init.normal_(self.delta, 0.0, 0.2)
            nn.init.normal_(self.alpha, 0.0, 0.2)
            sign = torch.tensor([1.0 if n % 2 == 0 else -1.0 for n in range(self.ndim)])
            self.beta.normal_(0.0, 0.02).add_(sign)
            nn.init.normal_(self.gamma, 0.0, 1.0)
            nn.init.normal_(self.omega, 0.0, 1.0)

    def coeffs(self):
        """(p*beta, q, eta): input gain, decay, output projection, each [D, N]."""
        p = torch.sigmoid(self.delta)
        q = 1.0 - p * torch.sigmoid(self.alpha)
        return p * self.beta, q, self.gamma * self.scale

    def forward(self, x, h0=None, want_state=False):
        """x [B, T, D] -> (y [B, T, D] before the omega residual, h_T [B, D, N] or None)."""
        B, T, D = x.shape
        pb, q, eta = self.coeffs()
        t = torch.arange(T, dtype=x.dtype, device=x.device)
        # q^t; the clamp only matters if q rounds to exactly 0 (0 * log 0 would be NaN)
        logq = torch.log(q.clamp_min(1e-30))
        powers = torch.exp(t * logq.unsqueeze(-1))  # [D, N, T]
        kernel = torch.einsum("dn,dnt->dt", pb * eta, powers)  # [D, T]
        n = 2 * T  # zero padding: linear, not circular, convolution
        xf = torch.fft.rfft(x.transpose(1, 2), n=n)
        kf = torch.fft.rfft(kernel, n=n)
        y = torch.fft.irfft(xf * kf, n=n)[..., :T].transpose(1, 2)
        if h0 is not None:  # contribution of the carried state: eta * q^(t+1) * h0
            y = y + torch.einsum("bdn,dnt->btd", h0 * eta, powers * q.unsqueeze(-1))
        h = None
        if want_state:
            h = torch.einsum("btd,dnt->bdn", x, pb.unsqueeze(-1) * powers.flip(-1))
            if h0 is not None:
                h = h + h0 * torch.exp(T * logq)
        return y, h

    def step(self, x, h):
        """One frame: x [B, D], h [B, D, N] -> (y [B, D], h')."""
        pb, q, eta = self.coeffs()
        h = pb * x.unsqueeze(-1) + q * h
        return (h * eta).sum(-1), h


def _rotary_rows(v, positions):
    """rot(v, n) for each n in positions: [P, Z] (fairseq RotaryRelativePositionalBias)."""
    half = v.shape[-1] // 2
    m = torch.arange(half, dtype=v.dtype, device=v.device)
    theta = torch.exp(-m * (math.log(10000.0) / half))
    ang = positions.to(v.dtype).unsqueeze(-1) * theta
    c, s = torch.cos(ang), torch.sin(ang)
    v1, v2 = v[:half], v[half:]
    return torch.cat([v1 * c - v2 * s, v2 * c + v1 * s], dim=-1)


_TABLES = {}


def _window_tables(C, mode, device):
    """Local positions for the block-parallel attention.

    Queries are cut into blocks of C rows. Each block looks at K keys: its own block (chunk
    mode, K = C) or the previous and its own block (sliding, K = 2C). Returned, for each kind
    of block (chunk: one kind; sliding: the first block, then all later ones):
    i, j [kinds, C, K] local query/key positions, valid [kinds, C, K], count [kinds, C] keys seen.
    """
    key = (C, mode, str(device))
    if key in _TABLES:
        return _TABLES[key]
    r = torch.arange(C, device=device).view(C, 1)
    if mode == "chunk":
        kk = torch.arange(C, device=device).view(1, C)
        i = r.expand(C, C)
        j = kk.expand(C, C)
        valid = kk <= r
        count = (r.view(C) + 1)
        out = (i[None], j[None], valid[None], count[None])
    else:
        kk = torch.arange(2 * C, device=device).view(1, 2 * C)
        in_window = (kk >= r + 1) & (kk <= r + C)  # key at distance 0..C-1 behind the query
        # first block: keys before frame 0 do not exist, positions count from frame 0
        v0 = in_window & (kk >= C)
        i0, j0 = r.expand(C, 2 * C), (kk - C).expand(C, 2 * C)
        c0 = r.view(C) + 1
        # later blocks: always C keys, query at local position C-1
        i1 = torch.full((C, 2 * C), C - 1, device=device)
        j1 = kk - r - 1
        c1 = torch.full((C,), C, device=device)
        out = (torch.stack([i0, i1]), torch.stack([j0, j1]), torch.stack([v0, in_window]),
               torch.stack([c0, c1]))
    _TABLES[key] = out
    return out


# ---------------------------------------------------------------- Mega block

class MegaSublayer(nn.Module):
    """MovingAverageGatedAttention (research/mega.md §3.2), causal, windowed."""

    def __init__(self, net: NetworkConfig):
        super().__init__()
        D, Z, H, N, C = net.d_model, net.z_dim, net.h_dim, net.n_dim, net.window
        self.D, self.Z, self.H, self.C = D, Z, H, C
        self.net = net
        self.act = activation(net.activation)
        self.norm = SeqNorm(net.norm, D, net.norm_eps)
        self.ema = CausalEMA(D, N)
        self.v_proj = nn.Linear(D, H)
        self.mx_proj = nn.Linear(D, 2 * D + Z + H)
        self.h_proj = nn.Linear(H, D)
        self.dropout = 0.0  # training-time regulariser only; not part of the model file
        self.qk_gamma = nn.Parameter(torch.zeros(2, Z))
        self.qk_beta = nn.Parameter(torch.zeros(2, Z))
        if net.rel_pos_bias == "simple":
            self.rel_pos_bias = nn.Parameter(torch.zeros(2 * C - 1))
        else:
            self.rotary_alpha = nn.Parameter(torch.zeros(Z))
            self.rotary_beta = nn.Parameter(torch.zeros(Z))

    def reset_parameters(self):
        with torch.no_grad():
            self.ema.reset_parameters()
            for lin in (self.v_proj, self.mx_proj, self.h_proj):
                nn.init.normal_(lin.weight, 0.0, 0.02)
                nn.init.zeros_(lin.bias)
            nn.init.normal_(self.qk_gamma, 0.0, 0.02)
            nn.init.zeros_(self.qk_beta)
            if self.net.rel_pos_bias == "simple":
                nn.init.normal_(self.rel_pos_bias, 0.0, 0.02)
            else:
                nn.init.normal_(self.rotary_alpha, 0.0, 0.02)
                nn.init.normal_(self.rotary_beta, 0.0, 0.02)

    def pair_bias(self, i, j):
        """Bias for local query position i and key position j (same-shape long tensors)."""
        C = self.C
        if self.net.rel_pos_bias == "simple":
            return self.rel_pos_bias[(C - 1 + j - i).clamp(0, 2 * C - 2)]
        pos = torch.arange(C, device=i.device)
        table = _rotary_rows(self.rotary_alpha, pos) @ _rotary_rows(self.rotary_beta, pos).t()
        return table[i.clamp(0, C - 1), j.clamp(0, C - 1)]

    def _hidden(self, hx, o, r):
        """The candidate output h = act(hx + W_h (o * r)), with training-time dropout."""
        drop = lambda t: F.dropout(t, self.dropout, self.training)  # noqa: E731
        return drop(self.act(hx + self.h_proj(drop(o * r))))

    def _gates(self, xn, mx):
        D, Z, H = self.D, self.Z, self.H
        base = self.mx_proj(mx)
        u_raw, zr, hx = torch.split(base, [D, Z + H, D], dim=-1)
        zr = F.silu(zr)
        z, r = torch.split(zr, [Z, H], dim=-1)
        q = z * self.qk_gamma[0] + self.qk_beta[0]
        k = z * self.qk_gamma[1] + self.qk_beta[1]
        return torch.sigmoid(u_raw), r, hx, q, k

    def _attend_blocks(self, q, k, v):
        """q, k, v [B, E, *], E counted from a block boundary -> O [B, E, H]."""
        B, E, Z = k.shape
        C, mode = self.C, self.net.window_mode
        nb = -(-E // C)
        pad = nb * C - E
        if pad:
            q, k, v = (F.pad(t, (0, 0, 0, pad)) for t in (q, k, v))
        i, j, valid, count = _window_tables(C, mode, q.device)
        qb = q.reshape(B, nb, C, Z)
        if mode == "chunk":
            keys = k.reshape(B, nb, C, Z)
            vals = v.reshape(B, nb, C, -1)
            kind = torch.zeros(nb, dtype=torch.long, device=q.device)
        else:
            kb = F.pad(k, (0, 0, C, 0)).reshape(B, nb + 1, C, Z)
            vb = F.pad(v, (0, 0, C, 0)).reshape(B, nb + 1, C, -1)
            keys = torch.cat([kb[:, :-1], kb[:, 1:]], dim=2)
            vals = torch.cat([vb[:, :-1], vb[:, 1:]], dim=2)
            kind = (torch.arange(nb, device=q.device) > 0).long()
        bias = self.pair_bias(i, j)[kind]      # [nb, C, K]
        valid = valid[kind]
        count = count[kind].to(q.dtype)        # [nb, C]
        if self.net.attention == "softmax":
            s = torch.matmul(qb * (Z ** -0.5), keys.transpose(-1, -2)) + bias
            a = torch.softmax(s.masked_fill(~valid, float("-inf")), dim=-1)
        else:
            s = torch.matmul(qb, keys.transpose(-1, -2)) / count.unsqueeze(-1) + bias
            f = laplace if self.net.attention == "laplace" else relu2
            a = f(s) * valid.to(s.dtype)
        o = torch.matmul(a, vals).reshape(B, nb * C, -1)
        return o[:, :E]

    def forward(self, x, h0=None, kc=None, vc=None, frames=0, want_state=False):
        """x [B, T, D]; h0/kc/vc/frames: carried state (None = stream start)."""
        net = self.net
        residual = x
        xn = self.norm(x) if net.prenorm else x
        v = self.act(self.v_proj(xn))
        y, h = self.ema(xn, h0, want_state)
        mx = F.silu(y + self.ema.omega * xn)
        u, r, hx, q, k = self._gates(xn, mx)
        m = 0 if kc is None else kc.shape[1]
        if m:  # cached keys of the running window come first; their query rows are unused
            k = torch.cat([kc, k], dim=1)
            v = torch.cat([vc, v], dim=1)
            q = F.pad(q, (0, 0, m, 0))
        o = self._attend_blocks(q, k, v)[:, m:]
        hh = self._hidden(hx, o, r)
        out = residual + u * (hh - residual)
        if not net.prenorm:
            out = self.norm(out)
        if not want_state:
            return out, None
        total = frames + x.shape[1]
        keep = total % self.C if net.window_mode == "chunk" else min(total, self.C - 1)
        return out, (h, k[:, k.shape[1] - keep:], v[:, v.shape[1] - keep:])

    def step(self, x, h, kc, vc, frames):
        """One frame x [B, D] with the recurrence and explicit window -> (y, h, kc, vc)."""
        net = self.net
        residual = x
        xn = self.norm(x) if net.prenorm else x
        v = self.act(self.v_proj(xn))
        y, h = self.ema.step(xn, h)
        mx = F.silu(y + self.ema.omega * xn)
        u, r, hx, q, k = self._gates(xn, mx)
        kc = torch.cat([kc, k.unsqueeze(1)], dim=1)
        vc = torch.cat([vc, v.unsqueeze(1)], dim=1)
        c = kc.shape[1]
        jpos = torch.arange(c, device=x.device)
        bias = self.pair_bias(torch.full_like(jpos, c - 1), jpos)  # [c]
        if net.attention == "softmax":
            s = torch.einsum("bz,bcz->bc", q * (self.Z ** -0.5), kc) + bias
            a = torch.softmax(s, dim=-1)
        else:
            s = torch.einsum("bz,bcz->bc", q, kc) / c + bias
            a = laplace(s) if net.attention == "laplace" else relu2(s)
        o = torch.einsum("bc,bch->bh", a, vc)
        hh = self._hidden(hx, o, r)
        out = residual + u * (hh - residual)
        if not net.prenorm:
            out = self.norm(out)
        if net.window_mode == "chunk":
            if c == self.C:  # the block is complete: the next frame starts a new one
                kc, vc = kc[:, :0], vc[:, :0]
        else:
            start = max(0, c - (self.C - 1))
            kc, vc = kc[:, start:], vc[:, start:]
        return out, h, kc, vc


class NFFN(nn.Module):
    """NormalizedFeedForwardNetwork (research/mega.md §3.5)."""

    def __init__(self, net: NetworkConfig):
        super().__init__()
        self.prenorm = net.prenorm
        self.act = activation(net.activation)
        self.norm = SeqNorm(net.norm, net.d_model, net.norm_eps)
        self.fc1 = nn.Linear(net.d_model, net.ffn_dim)
        self.fc2 = nn.Linear(net.ffn_dim, net.d_model)
        self.dropout = 0.0  # training-time regulariser only; not part of the model file

    def reset_parameters(self):
        with torch.no_grad():
            for lin in (self.fc1, self.fc2):
                nn.init.normal_(lin.weight, 0.0, 0.02)
                nn.init.zeros_(lin.bias)

    def forward(self, x):
        xn = self.norm(x) if self.prenorm else x
        hidden = F.dropout(self.act(self.fc1(xn)), self.dropout, self.training)
        y = F.dropout(self.fc2(hidden), self.dropout, self.training) + x
        return y if self.prenorm else self.norm(y)


class MegaBlock(nn.Module):
    def __init__(self, net: NetworkConfig):
        super().__init__()
        self.mega = MegaSublayer(net)
        self.nffn = NFFN(net) if net.ffn_dim > 0 else None

    def reset_parameters(self):
        self.mega.reset_parameters()
        if self.nffn is not None:
            self.nffn.reset_parameters()


def causal_normalize(features, fe: FrontendConfig, state, frames):
    """The causal per-stream normalisation of FORMAT.md: raw log-mel [B, T, M] -> [B, T, M].

    `state` is what the previous call returned ([] at the stream start), `frames` the number of
    frames before this block; returns (normalised, state). Frame by frame, as model/featnorm.c,
    so any split gives the same rows; differentiable (no in-place updates)."""
    kind = fe.normalization
    T = features.shape[1]
    if kind == "global" or T == 0:
        return features, list(state)
    rows = []
    if kind == "pcen":
        e = torch.exp(features)  # the filter bank energies, its log floor included
        m = state[0] if frames else None
        keep, s = 1.0 - fe.pcen_s, fe.pcen_s
        for t in range(T):
            m = e[:, t] if frames + t == 0 else keep * m + s * e[:, t]
            rows.append(m)
        smooth = torch.stack(rows, 1)
        gain = (fe.pcen_eps + smooth).pow(fe.pcen_alpha)
        out = (e / gain + fe.pcen_delta).pow(fe.pcen_r) - fe.pcen_delta ** fe.pcen_r
        return out, [m]
    mean, var = state if frames else (None, None)
    n = fe.running_frames
    for t in range(T):
        k, f = frames + t, features[:, t]
        if k == 0:
            mean, var = f, torch.zeros_like(f)
        else:
            w = 1.0 / (k + 1) if k + 1 < n else 1.0 / n  # plain mean/variance until n frames
            d = f - mean
            mean = mean + w * d
            var = (1.0 - w) * (var + w * d * d)
        rows.append((f - mean) / torch.sqrt(var + RUNNING_VAR_FLOOR))
    return torch.stack(rows, 1), [mean, var]


class FrontendStats(nn.Module):
    """Holds the per-bin feature normalisation (`frontend.mean`, `frontend.std`)."""

    def __init__(self, n_mels):
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_mels))
        self.register_buffer("std", torch.ones(n_mels))


@dataclass
class MegaState:
    """Streaming state: frames seen, and per layer the EMA state h [B, D, N] and the attention
    window's keys [B, m, Z] and values [B, m, H] (chunk: m = frames % C; sliding: min(frames, C-1)),
    and the causal feature normalisation's state (causal_normalize; [] for global or at frame 0)."""
    frames: int
    h: List[torch.Tensor]
    k: List[torch.Tensor]
    v: List[torch.Tensor]
    norm: List[torch.Tensor] = field(default_factory=list)

    def detach(self):
        return MegaState(self.frames, [t.detach() for t in self.h], [t.detach() for t in self.k],
                         [t.detach() for t in self.v], [t.detach() for t in self.norm])

    def clone(self):
        """Its own storage: the tensors are views of the whole batch's run (torch.save would keep it)."""
        return MegaState(self.frames, [t.clone() for t in self.h], [t.clone() for t in self.k],
                         [t.clone() for t in self.v], [t.clone() for t in self.norm])


# ---------------------------------------------------------------- the classifier

class MegaClassifier(nn.Module):
    """Raw log-mel features [B, T, M] -> per-frame logits [B, T, K]."""

    def __init__(self, config: MegaConfig):
        super().__init__()
        self.config = config.validate()
        net = config.network
        self.frontend = FrontendStats(config.frontend.n_mels)
        self.input_proj = nn.Linear(config.frontend.n_mels, net.d_model)
        self.layers = nn.ModuleList(MegaBlock(net) for _ in range(net.n_layers))
        self.final_norm = SeqNorm(net.norm, net.d_model, net.norm_eps) if net.prenorm else None
        self.classifier = nn.Linear(net.d_model, len(config.labels))
        self.reset_parameters()

    def reset_parameters(self):
        """mega.md §2 for the blocks; input_proj N(0, 1/M) so embeddings are O(1); classifier Xavier."""
        with torch.no_grad():
            nn.init.normal_(self.input_proj.weight, 0.0, self.config.frontend.n_mels ** -0.5)
            nn.init.zeros_(self.input_proj.bias)
            nn.init.xavier_uniform_(self.classifier.weight)
            nn.init.zeros_(self.classifier.bias)
        for layer in self.layers:
            layer.reset_parameters()

    def init_state(self, batch, dtype=None, device=None):
        net = self.config.network
        dtype = dtype or self.input_proj.weight.dtype
        device = device or self.input_proj.weight.device
        L = net.n_layers
        return MegaState(
            0,
            [torch.zeros(batch, net.d_model, net.n_dim, dtype=dtype, device=device) for _ in range(L)],
            [torch.zeros(batch, 0, net.z_dim, dtype=dtype, device=device) for _ in range(L)],
            [torch.zeros(batch, 0, net.h_dim, dtype=dtype, device=device) for _ in range(L)])

    def set_dropout(self, p):
        """Dropout inside every block while training (eval() and the C engine never apply it)."""
        for layer in self.layers:
            layer.mega.dropout = p
            if layer.nffn is not None:
                layer.nffn.dropout = p

    def causal_features(self, features, state: Optional[MegaState] = None):
        """Raw log-mel [B, T, M] -> (features after the causal normalisation, before
        frontend.mean/std; its new state). From a fresh stream, this is what frontend.mean/std
        must be estimated on (train.py)."""
        if state is None:
            return causal_normalize(features, self.config.frontend, [], 0)
        return causal_normalize(features, self.config.frontend, state.norm, state.frames)

    def _embed(self, features, state):
        f, norm = self.causal_features(features, state)
        return self.input_proj((f - self.frontend.mean) / self.frontend.std), norm

    def _head(self, x):
        if self.final_norm is not None:
            x = self.final_norm(x)
        return self.classifier(x)

    def forward(self, features, state: Optional[MegaState] = None, return_state=False):
        """features [B, T, M] (or [T, M]) -> logits [B, T, K]; with return_state also the state
        after the last frame. `state` continues a stream (e.g. the previous training segment's
        state, detached); None starts a new one."""
        squeeze = features.dim() == 2
        if squeeze:
            features = features.unsqueeze(0)
        if features.shape[1] == 0:  # nothing to do; the state is unchanged
            logits = features.new_zeros(features.shape[0], 0, len(self.config.labels))
            logits = logits.squeeze(0) if squeeze else logits
            if not return_state:
                return logits
            return logits, (state if state is not None else self.init_state(features.shape[0], features.dtype))
        x, norm = self._embed(features, state)
        new = MegaState(0, [], [], [], norm) if return_state else None
        for l, layer in enumerate(self.layers):
            if state is not None:
                x, st = layer.mega(x, state.h[l], state.k[l], state.v[l], state.frames, return_state)
            else:
                x, st = layer.mega(x, want_state=return_state)
            if layer.nffn is not None:
                x = layer.nffn(x)
            if return_state:
                new.h.append(st[0])
                new.k.append(st[1])
                new.v.append(st[2])
        logits = self._head(x)
        if squeeze:
            logits = logits.squeeze(0)
        if not return_state:
            return logits
        new.frames = (0 if state is None else state.frames) + features.shape[1]
        return logits, new

    def forward_step(self, features, state: MegaState):
        """Streaming: features [B, T, M] (any T >= 0) processed one frame at a time with the
        EMA recurrence and an explicit key/value window. Returns (logits [B, T, K], new state)."""
        h, kc, vc, frames = list(state.h), list(state.k), list(state.v), state.frames
        x_all, norm = self._embed(features, state)  # causal_normalize runs frame by frame
        outs = []
        for t in range(features.shape[1]):
            x = x_all[:, t]
            for l, layer in enumerate(self.layers):
                x, h[l], kc[l], vc[l] = layer.mega.step(x, h[l], kc[l], vc[l], frames)
                if layer.nffn is not None:
                    x = layer.nffn(x)
            outs.append(self._head(x))
            frames += 1
        if outs:
            logits = torch.stack(outs, dim=1)
        else:
            logits = x_all.new_zeros(features.shape[0], 0, len(self.config.labels))
        return logits, MegaState(frames, h, kc, vc, norm)

    def forward_audio(self, wave):
        """Waveform [S] in [-1, 1] -> logits [T, K] (torchaudio Kaldi fbank + network)."""
        feats = features_from_audio(wave, self.config.frontend)
        return self.forward(feats.to(self.input_proj.weight.dtype))


# ---------------------------------------------------------------- front end

def features_from_audio(wave, frontend: FrontendConfig):
    """Raw log-mel features of mono audio in [-1, 1]: [S] -> [T, M], or [B, S] -> [B, T, M].
    Computed in the waveform's dtype (float64 gives the tightest reference)."""
    import torchaudio
    if wave.dim() == 2:
        return torch.stack([features_from_audio(w, frontend) for w in wave])
    fe = frontend
    return torchaudio.compliance.kaldi.fbank(
        (wave * fe.input_scale).unsqueeze(0),
        sample_frequency=float(fe.sample_rate), frame_length=fe.frame_length_ms,
        frame_shift=fe.frame_shift_ms, num_mel_bins=fe.n_mels, low_freq=fe.low_freq,
        high_freq=fe.high_freq, window_type=fe.window, preemphasis_coefficient=fe.preemphasis,
        remove_dc_offset=fe.remove_dc_offset, dither=0.0, snip_edges=True, use_energy=False,
        use_log_fbank=True, use_power=True, round_to_power_of_two=True)


# ---------------------------------------------------------------- size

def count_params(model):
    """Trainable weights (buffers such as frontend.mean/std and batchnorm statistics excluded)."""
    return sum(p.numel() for p in model.parameters())
