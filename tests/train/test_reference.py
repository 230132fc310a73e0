"""Tests of the PyTorch reference (train/mega_ref.py), the safetensors writer and the goldens.

Run from the repository root: PYTHONPATH=. /usr/bin/python3 tests/train/test_reference.py
"""
import itertools
import json
import math
import os
import random
import shutil
import struct
import sys
import tempfile
import unittest

import numpy as np
import torch

from train import make_golden, model_io, safetensors_io
from train import mega_config as mc
from train import mega_ref as mr

torch.set_num_threads(1)

COMBOS = list(itertools.product(("softmax", "laplace", "relu2"), ("simple", "rotary"),
                                ("layernorm", "scalenorm", "rmsnorm", "batchnorm"), (True, False),
                                ("chunk", "sliding")))


def tiny_config(att="softmax", bias="simple", norm="layernorm", prenorm=True, mode="chunk", C=4,
                ffn=5, act="silu"):
    net = mc.NetworkConfig(d_model=7, z_dim=6 if bias == "rotary" else 5, h_dim=9, ffn_dim=ffn,
                           n_dim=3, n_layers=2, attention=att, rel_pos_bias=bias, norm=norm,
                           prenorm=prenorm, window_mode=mode, window=C, activation=act)
    return mc.MegaConfig(labels=["_silence_", "a", "b"], frontend=mc.FrontendConfig(n_mels=6), network=net)


def random_model(config, seed):
    """A model with golden-style random weights (everything O(1)); eval mode."""
    torch.manual_seed(seed)
    model = mr.MegaClassifier(config)
    gen = torch.Generator().manual_seed(seed)
    make_golden.randomise(model, gen)
    with torch.no_grad():
        model.frontend.mean.normal_(5.0, 1.0, generator=gen)
        model.frontend.std.uniform_(0.5, 2.0, generator=gen)
    if config.network.norm == "batchnorm":  # statistics of real activations, as after training
        make_golden.calibrate_batchnorm(model, random_features(model, 2, 16, seed + 7), gen)
    return model.eval()


def random_features(model, B, T, seed, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, T, model.config.frontend.n_mels, generator=g)
    return (model.frontend.mean + model.frontend.std * x).to(dtype)


def random_splits(T, rnd):
    cuts = sorted(rnd.sample(range(1, T), rnd.randint(1, min(5, T - 1))))
    return [b - a for a, b in zip([0] + cuts, cuts + [T])]


class SafetensorsTest(unittest.TestCase):
    def test_round_trip_and_layout(self):
        rng = np.random.default_rng(1)
        tensors = {"b.x": rng.standard_normal((3, 5)).astype(np.float32),
                   "a": torch.randn(7, dtype=torch.float64),  # converted to F32
                   "scalar": np.array([2.5], dtype=np.float32),
                   "empty": np.zeros((0, 4), dtype=np.float32),
                   "c": rng.standard_normal((2, 3, 4)).astype(np.float32)}
        meta = {"format": "gst-mega", "config": json.dumps({"k": [1, "é"]})}
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "t.safetensors")
            safetensors_io.save(path, tensors, meta)
            back, meta2 = safetensors_io.load(path)
            with open(path, "rb") as f:
                raw = f.read()
        self.assertEqual(meta2, meta)
        self.assertEqual(set(back), set(tensors))
        for k, v in tensors.items():
            v = v.numpy() if hasattr(v, "numpy") else v
            self.assertEqual(back[k].dtype, np.float32)
            np.testing.assert_array_equal(back[k], v.astype(np.float32))
        (n,) = struct.unpack("<Q", raw[:8])
        self.assertEqual(n % 8, 0)
        header = json.loads(raw[8:8 + n])
        names = [k for k in header if k != "__metadata__"]
        offsets = [header[k]["data_offsets"] for k in sorted(names)]
        self.assertEqual(offsets[0][0], 0)
        for (b0, e0), (b1, _) in zip(offsets, offsets[1:]):
            self.assertEqual(e0, b1)  # sorted by name, packed
        self.assertEqual(offsets[-1][1], len(raw) - 8 - n)
        b, e = header["b.x"]["data_offsets"]
        np.testing.assert_array_equal(np.frombuffer(raw[8 + n + b:8 + n + e], "<f4").reshape(3, 5),
                                      tensors["b.x"])

    def test_rejects_bad_offsets(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "t.safetensors")
            safetensors_io.save(path, {"x": np.ones(4, np.float32)})
            with open(path, "rb") as f:
                raw = f.read()
            with open(path, "wb") as f:
                f.write(raw[:-4])  # truncated data
            with self.assertRaises(ValueError):
                safetensors_io.load(path)


def expected_tensor_shapes(cfg):
    """FORMAT.md's tensor table, written out independently of the module."""
    n, M, K = cfg.network, cfg.frontend.n_mels, len(cfg.labels)
    D, Z, H, F, N, C = n.d_model, n.z_dim, n.h_dim, n.ffn_dim, n.n_dim, n.window
    norm = {"layernorm": {"weight": [D], "bias": [D]}, "scalenorm": {"scalar": [1]},
            "rmsnorm": {"weight": [D]},
            "batchnorm": {"weight": [D], "bias": [D], "running_mean": [D], "running_var": [D]}}[n.norm]
    s = {"frontend.mean": [M], "frontend.std": [M], "input_proj.weight": [D, M], "input_proj.bias": [D],
         "classifier.weight": [K, D], "classifier.bias": [K]}
    for l in range(n.n_layers):
        p = f"layers.{l}."
        s.update({f"{p}mega.norm.{k}": v for k, v in norm.items()})
        s.update({f"{p}mega.ema.{k}": [D, N] for k in ("delta", "alpha", "beta", "gamma")})
        s.update({f"{p}mega.ema.omega": [D], f"{p}mega.v_proj.weight": [H, D], f"{p}mega.v_proj.bias": [H],
                  f"{p}mega.mx_proj.weight": [2 * D + Z + H, D], f"{p}mega.mx_proj.bias": [2 * D + Z + H],
                  f"{p}mega.h_proj.weight": [D, H], f"{p}mega.h_proj.bias": [D],
                  f"{p}mega.qk_gamma": [2, Z], f"{p}mega.qk_beta": [2, Z]})
        if n.rel_pos_bias == "simple":
            s[f"{p}mega.rel_pos_bias"] = [2 * C - 1]
        else:
            s[f"{p}mega.rotary_alpha"] = [Z]
            s[f"{p}mega.rotary_beta"] = [Z]
        if F > 0:
            s.update({f"{p}nffn.norm.{k}": v for k, v in norm.items()})
            s.update({f"{p}nffn.fc1.weight": [F, D], f"{p}nffn.fc1.bias": [F],
                      f"{p}nffn.fc2.weight": [D, F], f"{p}nffn.fc2.bias": [D]})
    if n.prenorm:
        s.update({f"final_norm.{k}": v for k, v in norm.items()})
    return s


class ModelFileTest(unittest.TestCase):
    def test_tensor_names_match_format(self):
        for norm, prenorm, bias, ffn in itertools.product(
                ("layernorm", "scalenorm", "rmsnorm", "batchnorm"), (True, False), ("simple", "rotary"), (0, 5)):
            cfg = tiny_config(norm=norm, prenorm=prenorm, bias=bias, ffn=ffn)
            model = mr.MegaClassifier(cfg)
            got = {k: list(v.shape) for k, v in model_io.model_tensors(model).items()}
            self.assertEqual(got, expected_tensor_shapes(cfg), (norm, prenorm, bias, ffn))

    def test_save_load_round_trip(self):
        cfg = tiny_config(norm="batchnorm", bias="rotary", att="laplace", mode="sliding")
        model = random_model(cfg, 3)
        x = random_features(model, 1, 9, 4)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "m.safetensors")
            model_io.save_model(model, path, description="unit test")
            back = model_io.load_model(path)
            _, meta = safetensors_io.load(path)
        self.assertEqual(meta["format"], "gst-mega")
        self.assertEqual(meta["format_version"], "1")
        self.assertEqual(meta["description"], "unit test")
        self.assertEqual(json.loads(meta["config"]), cfg.to_dict())
        with torch.no_grad():
            torch.testing.assert_close(back(x), model(x), rtol=0, atol=0)

    def test_count_params_and_macs(self):
        cfg = mc.MegaConfig(network=mc.NetworkConfig())  # D=64 Z=32 H=128 F=128 N=16 L=4 C=32
        model = mr.MegaClassifier(cfg)
        buffers = 2 * 40  # frontend mean/std; layernorm has no buffers
        self.assertEqual(count := mr.count_params(model),
                         sum(int(np.prod(s)) for s in expected_tensor_shapes(cfg).values()) - buffers)
        D, Z, H, F, N, C, L, M, K = 64, 32, 128, 128, 16, 32, 4, 40, 4
        per_layer = (4 * D * N + D + H * D + H + (2 * D + Z + H) * (D + 1) + D * H + D + 4 * Z
                     + 2 * C - 1 + 2 * D + 2 * D + F * D + F + D * F + D)
        self.assertEqual(count, M * D + D + L * per_layer + 2 * D + K * D + K)
        macs = M * D + L * (D * H + D * (2 * D + Z + H) + H * D + 3 * D * N + (C + 1) / 2 * (Z + H)
                            + 2 * D * F) + D * K
        self.assertAlmostEqual(mc.macs_per_frame(cfg), macs)


class EMATest(unittest.TestCase):
    def test_matches_direct_sum(self):
        """mega.md §3.3: y_t = sum_{j<=t} k[j] x_{t-j}, k[d,j] = sum_n p beta eta q^j."""
        torch.manual_seed(0)
        D, N, T = 4, 3, 23
        ema = mr.CausalEMA(D, N).double()
        with torch.no_grad():
            for p in ema.parameters():
                p.normal_(0, 1)
        x = torch.randn(2, T, D, dtype=torch.float64)
        p = torch.sigmoid(ema.delta)
        q = 1 - p * torch.sigmoid(ema.alpha)
        eta = ema.gamma * math.sqrt(1.0 / N)
        expect = torch.zeros(2, T, D, dtype=torch.float64)
        for t in range(T):
            for j in range(t + 1):
                kj = (p * ema.beta * q ** j * eta).sum(-1)
                expect[:, t] += kj * x[:, t - j]
        with torch.no_grad():
            y, h = ema(x, want_state=True)
            torch.testing.assert_close(y, expect, rtol=1e-10, atol=1e-10)
            # the recurrence h <- p beta x + q h gives the same outputs and final state
            hr = torch.zeros(2, D, N, dtype=torch.float64)
            for t in range(T):
                yt, hr = ema.step(x[:, t], hr)
                torch.testing.assert_close(yt, expect[:, t], rtol=1e-10, atol=1e-10)
            torch.testing.assert_close(h, hr, rtol=1e-10, atol=1e-10)
            # continuing from a carried state equals the whole sequence
            y1, h1 = ema(x[:, :9], want_state=True)
            y2, h2 = ema(x[:, 9:], h1, want_state=True)
            torch.testing.assert_close(torch.cat([y1, y2], 1), expect, rtol=1e-10, atol=1e-10)
            torch.testing.assert_close(h2, hr, rtol=1e-10, atol=1e-10)

    def test_not_truncated(self):
        """A slow EMA still feels the first frame after many frames (no kernel truncation)."""
        ema = mr.CausalEMA(1, 1).double()
        with torch.no_grad():
            ema.delta.fill_(0.0)
            ema.alpha.fill_(-6.0)  # q = 1 - 0.5*sigmoid(-6) ~ 0.9988
            ema.beta.fill_(1.0)
            ema.gamma.fill_(1.0)
            x = torch.zeros(1, 1500, 1, dtype=torch.float64)
            x[0, 0, 0] = 1.0
            y, _ = ema(x)
            q = 1 - 0.5 * torch.sigmoid(torch.tensor(-6.0, dtype=torch.float64))
        self.assertAlmostEqual(y[0, 1499, 0].item(), 0.5 * q.item() ** 1499, places=12)
        self.assertGreater(y[0, 1499, 0].item(), 0.05)


class NormTest(unittest.TestCase):
    def test_rmsnorm_normalises(self):
        norm = mr.SeqNorm("rmsnorm", 6, 1e-5).double()
        x = torch.randn(10, 6, dtype=torch.float64) * 7 + 3
        y = norm(x)
        torch.testing.assert_close(y.pow(2).mean(-1), torch.ones(10, dtype=torch.float64), rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(norm(100 * x), y, rtol=1e-6, atol=1e-6)
        with torch.no_grad():
            norm.weight.copy_(torch.arange(1.0, 7.0))
        expect = x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * torch.arange(1.0, 7.0)
        torch.testing.assert_close(norm(x), expect.double())

    def test_other_norms(self):
        x = torch.randn(4, 5, 6, dtype=torch.float64) * 3 + 1
        ln = mr.SeqNorm("layernorm", 6, 1e-5).double()
        torch.testing.assert_close(ln(x).mean(-1), torch.zeros(4, 5, dtype=torch.float64), atol=1e-10, rtol=0)
        sn = mr.SeqNorm("scalenorm", 6, 1e-5).double()
        with torch.no_grad():
            sn.scalar.fill_(2.0)
        torch.testing.assert_close(sn(x).pow(2).mean(-1).sqrt(), torch.full((4, 5), 2.0, dtype=torch.float64),
                                   rtol=1e-5, atol=1e-5)
        bn = mr.SeqNorm("batchnorm", 6, 1e-5).double()
        with torch.no_grad():
            bn.running_mean.copy_(torch.arange(6.0))
            bn.running_var.fill_(4.0)
        bn.eval()
        torch.testing.assert_close(bn(x), (x - torch.arange(6.0).double()) / math.sqrt(4.0 + 1e-5))
        bn.train()  # batch statistics over batch x time
        y = bn(x)
        torch.testing.assert_close(y.mean((0, 1)), torch.zeros(6, dtype=torch.float64), atol=1e-10, rtol=0)
        torch.testing.assert_close(y.var((0, 1), unbiased=False), torch.ones(6, dtype=torch.float64),
                                   atol=1e-4, rtol=0)


def naive_attention(layer, q, k, v):
    """FORMAT.md's window rule, query by query, with rotary written out independently."""
    net, C, Z = layer.net, layer.C, layer.Z
    B, T, _ = q.shape
    out = torch.zeros(B, T, v.shape[-1], dtype=v.dtype)

    def rot(vec, n):
        half = Z // 2
        theta = [10000.0 ** (-m / half) for m in range(half)]
        a = [vec[m] * math.cos(n * theta[m]) - vec[m + half] * math.sin(n * theta[m]) for m in range(half)]
        b = [vec[m + half] * math.cos(n * theta[m]) + vec[m] * math.sin(n * theta[m]) for m in range(half)]
        return torch.stack(a + b)

    for t in range(T):
        if net.window_mode == "chunk":
            first = (t // C) * C
            keys = list(range(first, t + 1))
            i, js = t - first, [s - first for s in keys]
        else:
            keys = list(range(max(0, t - C + 1), t + 1))
            i, js = len(keys) - 1, list(range(len(keys)))
        c = len(keys)
        if net.rel_pos_bias == "simple":
            bias = torch.stack([layer.rel_pos_bias[C - 1 + j - i] for j in js])
        else:
            ra = rot(layer.rotary_alpha, i)
            bias = torch.stack([ra @ rot(layer.rotary_beta, j) for j in js])
        kk, vv = k[:, keys], v[:, keys]
        if net.attention == "softmax":
            a = torch.softmax(torch.einsum("bz,bcz->bc", q[:, t] / math.sqrt(Z), kk) + bias, -1)
        else:
            s = torch.einsum("bz,bcz->bc", q[:, t], kk) / c + bias
            a = mr.laplace(s) if net.attention == "laplace" else torch.relu(s) ** 2
        out[:, t] = torch.einsum("bc,bch->bh", a, vv)
    return out


class AttentionTest(unittest.TestCase):
    def test_simple_bias_indexing(self):
        cfg = tiny_config(C=5)
        layer = mr.MegaClassifier(cfg).layers[0].mega
        with torch.no_grad():
            layer.rel_pos_bias.copy_(torch.arange(9.0) * 10)
        for i, j in itertools.product(range(5), range(5)):
            b = layer.pair_bias(torch.tensor(i), torch.tensor(j)).item()
            self.assertEqual(b, 10.0 * (4 + j - i))

    def test_block_attention_matches_naive(self):
        rnd = random.Random(5)
        for att, bias, mode in itertools.product(("softmax", "laplace", "relu2"), ("simple", "rotary"),
                                                 ("chunk", "sliding")):
            for C in (1, 3, 4):
                cfg = tiny_config(att=att, bias=bias, mode=mode, C=C)
                layer = random_model(cfg, rnd.randint(0, 10**6)).double().layers[1].mega
                T = rnd.choice((9, 12))
                g = torch.Generator().manual_seed(C)
                q, k = (torch.randn(2, T, layer.Z, generator=g, dtype=torch.float64) for _ in range(2))
                v = torch.randn(2, T, layer.H, generator=g, dtype=torch.float64)
                with torch.no_grad():
                    got = layer._attend_blocks(q, k, v)
                    want = naive_attention(layer, q, k, v)
                torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-9, msg=f"{att} {bias} {mode} C={C}")


class StreamingTest(unittest.TestCase):
    def check(self, cfg, seed, dtype, tol, T=13, B=2):
        model = random_model(cfg, seed).to(dtype)
        x = random_features(model, B, T, seed + 1, dtype)
        rnd = random.Random(seed)
        worst = 0.0
        with torch.no_grad():
            offline = model(x)
            # one frame at a time
            st = model.init_state(B)
            rows = []
            for t in range(T):
                y, st = model.forward_step(x[:, t:t + 1], st)
                rows.append(y)
            self.assertEqual(st.frames, T)
            worst = max(worst, (torch.cat(rows, 1) - offline).abs().max().item())
            # random splits, through the step path and through the offline path with carried state
            for path in ("step", "offline"):
                st = model.init_state(B) if path == "step" else None
                pos, outs = 0, []
                for n in random_splits(T, rnd):
                    if path == "step":
                        y, st = model.forward_step(x[:, pos:pos + n], st)
                    else:
                        y, st = model(x[:, pos:pos + n], state=st, return_state=True)
                    outs.append(y)
                    pos += n
                worst = max(worst, (torch.cat(outs, 1) - offline).abs().max().item())
            # batch elements are independent
            worst = max(worst, (model(x[-1:]) - offline[-1:]).abs().max().item())
            # an empty block changes nothing
            y, st2 = model(x[:, :0], state=st, return_state=True)
            self.assertEqual(tuple(y.shape), (B, 0, len(cfg.labels)))
            self.assertEqual(st2.frames, st.frames)
        self.assertLessEqual(worst, tol, f"{cfg.network}")
        return worst

    def test_all_combinations_float32(self):
        worst = 0.0
        for n, (att, bias, norm, prenorm, mode) in enumerate(COMBOS):
            cfg = tiny_config(att, bias, norm, prenorm, mode, C=(3, 4, 5)[n % 3],
                              ffn=0 if n % 7 == 0 else 5, act=("silu", "gelu")[n % 2])
            worst = max(worst, self.check(cfg, 100 + n, torch.float32, 1e-5))
        print(f"\n  streaming vs offline, float32, 96 combinations: max |diff| {worst:.3g}", file=sys.stderr)

    def test_all_combinations_float64(self):
        worst = 0.0
        for n, (att, bias, norm, prenorm, mode) in enumerate(COMBOS):
            cfg = tiny_config(att, bias, norm, prenorm, mode, C=(1, 3, 4, 5)[n % 4])
            worst = max(worst, self.check(cfg, 300 + n, torch.float64, 1e-10, T=11))
        print(f"\n  streaming vs offline, float64, 96 combinations: max |diff| {worst:.3g}", file=sys.stderr)

    def test_long_real_size(self):
        for mode, att in (("chunk", "softmax"), ("sliding", "laplace")):
            cfg = mc.MegaConfig(network=mc.NetworkConfig(window_mode=mode, attention=att, window=8, n_layers=2))
            self.check(cfg, 7, torch.float64, 1e-9, T=70, B=1)

    def test_training_mode_is_differentiable_and_carries_state(self):
        cfg = tiny_config(norm="batchnorm", mode="sliding", att="relu2")
        model = random_model(cfg, 11).train()
        x = random_features(model, 3, 20, 12)
        y1, st = model(x[:, :10], return_state=True)
        y2 = model(x[:, 10:], state=st.detach())
        (y1.sum() + y2.sum()).backward()
        grads = [p.grad for p in model.parameters()]
        self.assertTrue(all(g is not None and torch.isfinite(g).all() for g in grads))
        self.assertGreater(sum(g.abs().sum().item() for g in grads), 0.0)


def naive_featnorm(f, fe):
    """FORMAT.md's causal normalisation written out per frame and bin, in float64: [T, M]."""
    f = np.asarray(f, dtype=np.float64)
    T, M = f.shape
    out = np.zeros_like(f)
    if fe.normalization == "pcen":
        s, a, d, r, eps = fe.pcen_s, fe.pcen_alpha, fe.pcen_delta, fe.pcen_r, fe.pcen_eps
        for i in range(M):
            sm = 0.0
            for t in range(T):
                e = math.exp(f[t, i])
                sm = e if t == 0 else (1 - s) * sm + s * e
                out[t, i] = (e / (eps + sm) ** a + d) ** r - d ** r
        return out
    n = fe.running_frames
    for i in range(M):
        for t in range(T):
            hist = f[:t + 1, i]
            # the EMA written as explicit weights: frame j's weight is w_j * prod_{k>j} (1 - w_k)
            ws = np.array([max(1.0 / (j + 1), 1.0 / n) * np.prod([1 - max(1.0 / (k + 1), 1.0 / n)
                                                                   for k in range(j + 1, t + 1)])
                           for j in range(t + 1)])
            mean = (ws * hist).sum()
            var = (ws * (hist - mean) ** 2).sum()
            out[t, i] = (f[t, i] - mean) / math.sqrt(var + mr.RUNNING_VAR_FLOOR)
    return out


def featnorm_config(kind, **kw):
    cfg = tiny_config(**kw)
    cfg.frontend.normalization = kind
    cfg.frontend.running_frames = 5  # tests run past the warm-up
    return cfg


class FeatureNormTest(unittest.TestCase):
    def features(self, T=23, M=6, seed=0):
        g = torch.Generator().manual_seed(seed)
        f = 8.0 + 3.0 * torch.randn(2, T, M, generator=g, dtype=torch.float64)
        f[:, :4, :2] = math.log(torch.finfo(torch.float32).eps)  # the fbank's log floor (silence)
        return f

    def test_matches_written_out_definitions(self):
        x = self.features()
        for fe in (mc.FrontendConfig(n_mels=6, normalization="pcen"),
                   mc.FrontendConfig(n_mels=6, normalization="pcen", pcen_s=0.3, pcen_alpha=0.7,
                                     pcen_delta=0.5, pcen_r=0.25, pcen_eps=1e-3),
                   mc.FrontendConfig(n_mels=6, normalization="running", running_frames=6),
                   mc.FrontendConfig(n_mels=6, normalization="running")):
            got, _ = mr.causal_normalize(x, fe, [], 0)
            for b in range(2):
                np.testing.assert_allclose(got[b].numpy(), naive_featnorm(x[b], fe), rtol=1e-9, atol=1e-12,
                                           err_msg=str(fe))

    def test_running_removes_a_channel(self):
        """A fixed per-bin gain (a constant added to each log-mel bin) changes nothing."""
        fe = mc.FrontendConfig(n_mels=6, normalization="running", running_frames=7)
        x = self.features(seed=1)
        a, _ = mr.causal_normalize(x, fe, [], 0)
        b, _ = mr.causal_normalize(x + torch.linspace(-4, 6, 6, dtype=torch.float64), fe, [], 0)
        torch.testing.assert_close(a, b, rtol=0, atol=1e-9)

    def test_pcen_is_an_automatic_gain_control(self):
        """With alpha = 1 PCEN divides by its own smoothed energy: a level change (2 ln g on
        every log-mel value) changes nothing but what eps and the log floor add."""
        fe = mc.FrontendConfig(n_mels=6, normalization="pcen", pcen_alpha=1.0, pcen_eps=1e-12)
        x = self.features(seed=2)[:, 4:]  # no floor values
        a, _ = mr.causal_normalize(x, fe, [], 0)
        b, _ = mr.causal_normalize(x + 2 * math.log(30.0), fe, [], 0)
        torch.testing.assert_close(a, b, rtol=0, atol=1e-9)
        fe.pcen_alpha = 0.98  # the default only nearly
        a, _ = mr.causal_normalize(x, fe, [], 0)
        b, _ = mr.causal_normalize(x + 2 * math.log(30.0), fe, [], 0)
        self.assertLess((a - b).abs().max().item(), 0.1 * a.abs().max().item())

    def test_streaming_equals_offline(self):
        worst = 0.0
        check = StreamingTest.check
        for n, (kind, mode, prenorm) in enumerate(itertools.product(
                ("pcen", "running"), ("chunk", "sliding"), (True, False))):
            cfg = featnorm_config(kind, mode=mode, prenorm=prenorm, C=3 + n % 3)
            worst = max(worst, check(self, cfg, 500 + n, torch.float32, 1e-5, T=17))
            worst = max(worst, check(self, cfg, 500 + n, torch.float64, 1e-10, T=17))
        print(f"\n  causal normalisation: streaming vs offline max |diff| {worst:.3g}", file=sys.stderr)

    def test_state_is_carried_and_reset(self):
        """The normalisation state is in MegaState: the second half of a stream differs from
        the same frames at a stream start, and equals them continued from the first half."""
        for kind in ("pcen", "running"):
            model = random_model(featnorm_config(kind), 21)
            x = random_features(model, 1, 16, 22)
            with torch.no_grad():
                whole = model(x)
                _, st = model(x[:, :8], return_state=True)
                self.assertEqual(len(st.norm), 1 if kind == "pcen" else 2)
                torch.testing.assert_close(model(x[:, 8:], state=st), whole[:, 8:])
                fresh = model(x[:, 8:])
            self.assertGreater((fresh - whole[:, 8:]).abs().max().item(), 1e-3, kind)

    def test_trains_with_carried_state(self):
        for kind in ("pcen", "running"):
            model = random_model(featnorm_config(kind, norm="batchnorm"), 31).train()
            x = random_features(model, 3, 20, 32).requires_grad_(True)
            y1, st = model(x[:, :10], return_state=True)
            y2, st2 = model(x[:, 10:], state=st.detach(), return_state=True)
            (y1.sum() + y2.sum()).backward()
            grads = [p.grad for p in model.parameters()] + [x.grad]
            self.assertTrue(all(g is not None and torch.isfinite(g).all() for g in grads), kind)
            self.assertTrue(all(not t.requires_grad for t in st2.detach().norm))

    def test_statistics_helper(self):
        """causal_features is what input_proj sees before frontend.mean/std."""
        for kind in ("global", "pcen", "running"):
            model = random_model(featnorm_config(kind), 41)
            x = random_features(model, 2, 12, 42)
            f, _ = model.causal_features(x)
            with torch.no_grad():
                want = model.input_proj((f - model.frontend.mean) / model.frontend.std)
                got, _ = model._embed(x, None)
            torch.testing.assert_close(got, want, rtol=0, atol=0)
            if kind == "global":
                self.assertIs(f, x)

    def test_config_keys_and_ranges(self):
        d = mc.MegaConfig().to_dict()["frontend"]
        self.assertFalse(set(mc.NORMALIZATION_KEYS) & set(d))  # global files are unchanged
        for kind, keys in (("pcen", {"normalization", *mc.PCEN_KEYS}),
                           ("running", {"normalization", "running_frames"})):
            cfg = featnorm_config(kind)
            self.assertEqual(set(cfg.to_dict()["frontend"]) & set(mc.NORMALIZATION_KEYS), keys)
            model = random_model(cfg, 51)
            x = random_features(model, 1, 11, 52)
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "m.safetensors")
                model_io.save_model(model, path)
                back = model_io.load_model(path)
            self.assertEqual(mc.frontend_dict(back.config.frontend), mc.frontend_dict(cfg.frontend))
            with torch.no_grad():
                torch.testing.assert_close(back(x), model(x), rtol=0, atol=0)
        self.assertEqual(mc.fbank_params(mc.FrontendConfig(normalization="pcen", pcen_s=0.5)),
                         mc.fbank_params(mc.FrontendConfig()))
        for bad in (dict(normalization="cmvn"), dict(pcen_s=-0.1), dict(pcen_s=0.0), dict(pcen_r=0.0),
                    dict(pcen_r=1.5), dict(pcen_alpha=2.0), dict(pcen_delta=-1.0), dict(pcen_eps=0.0),
                    dict(running_frames=1), dict(running_frames=2.5)):
            with self.assertRaises(ValueError, msg=str(bad)):
                mc.MegaConfig(frontend=mc.FrontendConfig(**bad)).validate()


class FrontendTest(unittest.TestCase):
    def test_frame_count_and_scale(self):
        fe = mc.FrontendConfig(sample_rate=8000, n_mels=6, frame_length_ms=25.0, frame_shift_ms=10.0)
        wave = torch.sin(torch.arange(1000) * 0.3) * 0.5
        f = mr.features_from_audio(wave, fe)
        self.assertEqual(tuple(f.shape), (1 + (1000 - 200) // 80, 6))
        # input_scale multiplies the power by its square: log-mel shifts by 2 ln(scale)
        fe2 = mc.FrontendConfig(**{**fe.__dict__, "input_scale": fe.input_scale * 2})
        torch.testing.assert_close(mr.features_from_audio(wave, fe2) - f,
                                   torch.full_like(f, 2 * math.log(2)), rtol=0, atol=1e-4)


class GoldenTest(unittest.TestCase):
    def test_goldens_reproduce(self):
        self.assertEqual(make_golden.main(["--check"]), 0)

    def test_check_detects_drift(self):
        name = "softmax_simple_layernorm_pre_chunk"
        with tempfile.TemporaryDirectory() as tmp:
            a, b = os.path.join(tmp, "a"), os.path.join(tmp, "b")
            os.makedirs(a)
            os.makedirs(b)
            case = [c for c in make_golden.all_cases() if c[0] == name][0]
            make_golden.write_case(a, *case)
            make_golden.write_case(b, *case)
            self.assertEqual(make_golden.compare_dirs(a, b, [name]), [])
            io, meta = safetensors_io.load(os.path.join(a, f"{name}.io.safetensors"))
            io["logits"][3, 1] += 1e-3
            safetensors_io.save(os.path.join(a, f"{name}.io.safetensors"), io, meta)
            self.assertTrue(make_golden.compare_dirs(a, b, [name]))

    def test_golden_files_consistent(self):
        """Every golden model loads and its float32 offline logits are near the float64 golden."""
        gdir = make_golden.GOLDEN_DIR
        worst = 0.0
        for name, *_ in make_golden.all_cases():
            model = model_io.load_model(os.path.join(gdir, f"{name}.safetensors"))
            io, _ = safetensors_io.load(os.path.join(gdir, f"{name}.io.safetensors"))
            T, M = io["features"].shape
            self.assertEqual(io["logits"].shape, (T, len(model.config.labels)))
            self.assertEqual(io["audio_features"].shape[1], M)
            self.assertLessEqual(np.abs(io["audio"]).max(), 1.0)
            with torch.no_grad():
                got = model(torch.from_numpy(io["features"])).numpy()
            worst = max(worst, np.abs(got - io["logits"]).max())
            self.assertGreater(io["logits"].std(0).max(), 0.05, name)  # outputs move with the input
        self.assertLess(worst, 1e-4)
        print(f"\n  goldens: float32 reference vs float64 golden max |diff| {worst:.3g}", file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
