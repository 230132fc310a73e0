#!/usr/bin/python3
"""Writes a tiny hand-made gst-mega model (model/FORMAT.md) for the element tests.

Not trained: the weights are set so the outcome is predictable from the audio.
Labels: _silence_, _unknown_, yes, no.
  - quiet input            -> _silence_
  - a loud low tone (300 Hz) -> "yes"   (energy in the lowest mel bands)
  - a loud high tone (2 kHz) -> "no"    (energy in the upper bands, kept below 4 kHz so
                                          8 kHz input carries it too)
The single Mega block adds a small EMA-driven term (u = sigmoid(-1.5)), so the model has
memory and a missing state reset changes its output.

usage: make_test_model.py OUT.safetensors
"""
import json
import struct
import sys

import numpy as np

M, D, Z, H, N, C = 8, 3, 2, 2, 2, 4
LABELS = ["_silence_", "_unknown_", "yes", "no"]
K = len(LABELS)


def tensors():
    t = {}
    t["frontend.mean"] = np.full(M, 5.0)
    t["frontend.std"] = np.full(M, 10.0)
    w = np.zeros((D, M))
    w[0, 0:2] = 0.5          # low bands ...
    w[0, 4:7] = -1.0 / 3.0   # ... minus upper bands: the "low versus high" axis
    w[1, :] = 1.0 / M        # loudness
    t["input_proj.weight"] = w
    t["input_proj.bias"] = np.array([0.0, 0.0, 1.0])   # a constant for rmsnorm to scale against
    p = "layers.0.mega."
    t[p + "norm.weight"] = np.ones(D)
    t[p + "ema.delta"] = np.full((D, N), -3.0)   # slow EMA: memory of about 20 frames
    t[p + "ema.alpha"] = np.full((D, N), 3.0)
    t[p + "ema.beta"] = np.ones((D, N))
    t[p + "ema.gamma"] = np.ones((D, N))
    t[p + "ema.omega"] = np.full(D, 0.5)
    t[p + "v_proj.weight"] = np.zeros((H, D))
    t[p + "v_proj.bias"] = np.zeros(H)
    mx = np.zeros((2 * D + Z + H, D))
    mxb = np.zeros(2 * D + Z + H)
    mxb[0:D] = -1.5                               # u: small update gate
    mx[D + Z + H:, :] = np.eye(D)                 # hx = MX (the EMA path)
    t[p + "mx_proj.weight"] = mx
    t[p + "mx_proj.bias"] = mxb
    t[p + "h_proj.weight"] = np.zeros((D, H))
    t[p + "h_proj.bias"] = np.zeros(D)
    t[p + "qk_gamma"] = np.zeros((2, Z))
    t[p + "qk_beta"] = np.zeros((2, Z))
    t[p + "rel_pos_bias"] = np.zeros(2 * C - 1)
    t["final_norm.weight"] = np.ones(D)
    cw = np.zeros((K, D))
    cw[0] = [0.0, -4.0, 0.0]    # _silence_: quiet
    cw[2] = [4.0, 4.0, 0.0]     # yes: loud and low
    cw[3] = [-4.0, 4.0, 0.0]    # no: loud and high
    t["classifier.weight"] = cw
    t["classifier.bias"] = np.array([0.0, -1.0, 0.0, 0.0])
    return t


def config():
    return {
        "labels": LABELS,
        "frontend": {"sample_rate": 16000, "frame_length_ms": 25.0, "frame_shift_ms": 10.0,
                     "n_mels": M, "low_freq": 20.0, "high_freq": 0.0, "window": "povey",
                     "preemphasis": 0.97, "remove_dc_offset": True, "input_scale": 32768.0},
        "network": {"d_model": D, "z_dim": Z, "h_dim": H, "ffn_dim": 0, "n_dim": N,
                    "n_layers": 1, "attention": "softmax", "rel_pos_bias": "simple",
                    "norm": "rmsnorm", "prenorm": True, "window_mode": "chunk", "window": C,
                    "activation": "silu", "norm_eps": 1e-5},
    }


def write(path, ts):
    header = {"__metadata__": {"format": "gst-mega", "format_version": "1",
                               "config": json.dumps(config()),
                               "description": "hand-made test model for the megaclassify tests"}}
    blobs, offset = [], 0
    for name, arr in ts.items():
        data = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


if __name__ == "__main__":
    write(sys.argv[1], tensors())
