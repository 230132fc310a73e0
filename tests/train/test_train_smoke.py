#!/usr/bin/python3
"""End-to-end smoke test of the training path: a tiny synthetic corpus (make_corpus.py --tiny),
a few training steps (train.py), the exported model file loaded by the C engine and by the
element, and their outputs equal to PyTorch's.

  1. The engine: the trained model plus the PyTorch float64 logits of a few seconds of the tiny
     corpus's test clips, written in the golden format (tests/golden/README.md), checked by the
     engine's golden test binary (offline and streaming; network tolerance 1e-4, audio path
     3e-4, relative to max(1, max|logit|)).
  2. The element: `mega-classify --clip` on one clip, every label's summary score against
     decision.clip_decision on the PyTorch posteriors (1e-4).

With `--normalization pcen|running` the model is trained with that causal normalisation; then
also its frontend.mean/std must be statistics of the normalised features, not the raw ones.

Environment (set by meson): MEGA_TEST_GOLDEN (the test-golden binary), MEGA_CLI, GST_PLUGIN_PATH.
"""
import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch

from train import mega_ref, model_io, safetensors_io
from train.wav import read_wav, write_wav
from train.element_cli import element_defaults, run_cli
from train.eval_clips import decide_torch, torch_posteriors

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

PY = "/usr/bin/python3"
GOLDEN_BIN = os.environ.get("MEGA_TEST_GOLDEN", os.path.join(ROOT, "build", "tests", "engine", "test-golden"))
POSTERIOR_TOL = 1e-4


def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def run(cmd, timeout=120):
    # The training steps run as modules of the train package (python3 -m train.<step>).
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    check(r.returncode == 0, f"{' '.join(cmd)}: exit {r.returncode}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return r.stdout


def check_statistics(model, feats):
    """The trained frontend.mean/std describe the causally normalised features (the training
    sequences' mix differs from these clips, so nearer them than the raw features' is what is
    asked)."""
    with torch.no_grad():
        normed = model.causal_features(feats.float().unsqueeze(0))[0][0]
    mean = model.frontend.mean
    to_normed = float((mean - normed.mean(0)).abs().mean())
    to_raw = float((mean - feats.float().mean(0)).abs().mean())
    print(f"frontend.mean vs clip means: normalised features {to_normed:.3g}, raw {to_raw:.3g}")
    check(to_normed < to_raw / 4, f"frontend.mean is not the normalised features' ({to_normed} vs raw {to_raw})")


def main(tmp, normalization):
    corpus = os.path.join(tmp, "corpus")
    run([PY, "-m", "train.make_corpus", "--tiny", "--out", corpus, "--jobs", "2", "--seed", "3"])
    keywords = json.load(open(os.path.join(corpus, "speakers.json")))["keywords"]
    labels = ["_silence_", "_unknown_"] + keywords
    model_path = os.path.join(tmp, "m.safetensors")
    run([PY, "-m", "train.train", "--corpus", corpus, "--labels", ",".join(labels),
         "--steps", "3", "--eval-every", "3", "--batch", "2", "--seq-frames", "200", "--versions", "1",
         "--d-model", "16", "--z-dim", "8", "--h-dim", "24", "--ffn-dim", "16", "--n-dim", "4",
         "--n-layers", "2", "--window", "8", "--threads", "1", "--jobs", "2",
         "--cache", os.path.join(tmp, "cache"), "--out", model_path, "--normalization", normalization])
    check(os.path.exists(model_path) and os.path.exists(os.path.join(tmp, "m.train.json")),
          "train.py wrote no model file or no training log")
    log = json.load(open(os.path.join(tmp, "m.train.json")))
    check(log["curve"] and log["curve"][-1]["step"] == 3, f"training log curve: {log['curve']}")
    # The real-voices options: decision-frame targets for unknown words, a weighted _unknown_, the
    # max-pooling objective, a second (here: the same tiny) set mixed in as real words, the
    # domain adversary, an extra corpus, clip-level examples and the noise floor.
    adv_path = os.path.join(tmp, "adv.safetensors")
    out = run([PY, "-m", "train.train", "--corpus", corpus, "--labels", ",".join(labels),
         "--steps", "2", "--eval-every", "1", "--batch", "2", "--seq-frames", "200", "--versions", "1",
         "--d-model", "16", "--z-dim", "8", "--h-dim", "24", "--ffn-dim", "16", "--n-dim", "4",
         "--n-layers", "2", "--window", "8", "--threads", "1", "--jobs", "2", "--unknown-from", "0.5",
         "--unknown-weight", "0.5", "--objective", "maxpool", "--real", corpus, "--p-real", "0.5", "--real-versions", "2", "--adv-weight", "0.3",
         "--extra-corpus", corpus, "--layout", "clip", "--p-floor", "0.5",
         "--cache", os.path.join(tmp, "cache"), "--out", adv_path])
    # The extra corpus adds its training clips, all but its klettres recordings.
    listed = set(open(os.path.join(corpus, "validation_list.txt")).read().split()) | \
        set(open(os.path.join(corpus, "testing_list.txt")).read().split())
    wavs = [f"{w}/{f}" for w in os.listdir(corpus) if os.path.isdir(os.path.join(corpus, w))
            and not w.startswith("_") for f in os.listdir(os.path.join(corpus, w)) if f.endswith(".wav")]
    expected = sum(1 for r in wavs if r not in listed and not r.startswith("klettres/"))
    check(f"extra corpus: {expected} renderings of {expected} clips" in out,
          f"extra corpus clips (expected {expected}): {out[-1500:]}")
    # The real set gets its own number of renderings per clip (--real-versions 2, --versions 1).
    real_clips = sum(1 for r in wavs if r not in listed)
    check(f"real: {2 * real_clips} renderings of {real_clips} real-train clips" in out,
          f"real set renderings (expected {2 * real_clips} of {real_clips}): {out[-1500:]}")
    adv_log = json.load(open(os.path.join(tmp, "adv.train.json")))
    check(adv_log["curve"][-1]["step"] == 2 and adv_log["curve"][-1]["domain_loss"] > 0,
          f"adversarial training log: {adv_log['curve']}")
    # Clip-level pre-training writes its last weights: streamed validation clips cannot rank it.
    check(adv_log["selection"] == "last" and adv_log["selected_step"] == 2,
          f"clip layout selection: {adv_log.get('selection')} at step {adv_log.get('selected_step')}")
    check(log["selection"] == "val" and log["selected_step"] in [c["step"] for c in log["curve"]],
          f"stream layout selection: {log.get('selection')} at step {log.get('selected_step')}")
    check(sorted(model_io.load_model(adv_path).state_dict()) == sorted(model_io.load_model(model_path).state_dict()),
          "the adversary's head must not be saved in the model file")

    # --init with another causal normalisation keeps the network and re-measures the per-bin
    # statistics on the newly normalised features (hypothesis 4 from a trained model).
    other = "running" if normalization != "running" else "pcen"
    switched_path = os.path.join(tmp, "switched.safetensors")
    run([PY, "-m", "train.train", "--corpus", corpus, "--labels", ",".join(labels),
         "--steps", "1", "--eval-every", "1", "--batch", "2", "--seq-frames", "200", "--versions", "1",
         "--d-model", "16", "--z-dim", "8", "--h-dim", "24", "--ffn-dim", "16", "--n-dim", "4",
         "--n-layers", "2", "--window", "8", "--threads", "1", "--jobs", "2", "--lr", "1e-12",
         "--init", model_path, "--normalization", other,
         "--cache", os.path.join(tmp, "cache"), "--out", switched_path])
    before, after = model_io.load_model(model_path), model_io.load_model(switched_path)
    check(after.config.frontend.normalization == other, f"normalization after --init: {after.config.frontend.normalization}")
    check(not torch.allclose(before.frontend.mean, after.frontend.mean),
          "the per-bin statistics are re-measured for the new normalisation")
    w0, w1 = before.state_dict(), after.state_dict()
    net = [k for k in w0 if not k.startswith("frontend.")]
    check(net and max(float((w0[k] - w1[k]).abs().max()) for k in net) < 1e-6,
          "the network's weights come from --init (lr 1e-12: one step changes nothing)")
    # Continuing that model without --normalization keeps its normalisation and statistics.
    continued_path = os.path.join(tmp, "continued.safetensors")
    run([PY, "-m", "train.train", "--corpus", corpus, "--labels", ",".join(labels),
         "--steps", "1", "--eval-every", "1", "--batch", "2", "--seq-frames", "200", "--versions", "1",
         "--d-model", "16", "--z-dim", "8", "--h-dim", "24", "--ffn-dim", "16", "--n-dim", "4",
         "--n-layers", "2", "--window", "8", "--threads", "1", "--jobs", "2", "--lr", "1e-12",
         "--init", switched_path, "--cache", os.path.join(tmp, "cache"), "--out", continued_path])
    continued = model_io.load_model(continued_path)
    check(continued.config.frontend == after.config.frontend,
          f"--init without --normalization keeps {other}: got {continued.config.frontend}")
    check(torch.equal(continued.frontend.mean, after.frontend.mean),
          "--init without --normalization keeps the per-bin statistics")

    model = model_io.load_model(model_path)
    check(model.config.labels == labels, f"labels in the file: {model.config.labels}")
    fe = model.config.frontend
    check(fe.normalization == normalization, f"normalization in the file: {fe.normalization}")

    # A few seconds of held-out clips back to back: long enough for several attention windows.
    rels = open(os.path.join(corpus, "testing_list.txt")).read().split()
    check(len(rels) >= 4, f"tiny corpus test split: {rels}")
    audio = np.concatenate([read_wav(os.path.join(corpus, r))[0] for r in rels]).astype(np.float32)
    wave = torch.from_numpy(audio)
    feats64 = mega_ref.features_from_audio(wave.double(), fe)
    ref = copy.deepcopy(model).double()
    with torch.no_grad():
        logits = ref(feats64)
    scale = float(logits.abs().max())
    check(np.isfinite(scale) and scale > 0.01, f"degenerate logits (max |logit| {scale})")
    check(float(logits.std(0).max()) > 1e-4, "logits do not change over time: an untrained or broken model")
    if normalization != "global":
        check_statistics(model, feats64)

    golden = os.path.join(tmp, "golden")
    os.makedirs(golden)
    shutil.copyfile(model_path, os.path.join(golden, "real_trained_tiny.safetensors"))
    io = {"features": feats64.float(), "logits": logits.float(), "audio": wave,
          "audio_features": feats64.float(), "audio_logits": logits.float()}
    if normalization != "global":  # the engine checks its normalisation alone too
        with torch.no_grad():
            normed = ref.causal_features(feats64.unsqueeze(0))[0][0].float()
        io.update(normalized_features=normed, audio_normalized=normed)
    safetensors_io.save(os.path.join(golden, "real_trained_tiny.io.safetensors"), io,
                        {"case": "real_trained_tiny", "dtype_of_reference": "float64"})
    out = run([GOLDEN_BIN, golden, "--verbose"], timeout=60)
    diffs = [l.strip() for l in out.splitlines() if "max|diff|" in l]
    check(diffs, f"test-golden reported no comparison:\n{out[-2000:]}")
    print(f"C engine on {feats64.shape[0]} frames (max |logit| {scale:.3g}):")
    for line in diffs:
        print("  ", line.lstrip("# "))

    # The element's clip summary against the reference rule on the PyTorch posteriors.
    clip = os.path.join(tmp, "clip.wav")
    write_wav(clip, audio[:2 * fe.sample_rate], fe.sample_rate)
    d = dict(element_defaults(), frame_shift_ms=fe.frame_shift_ms)
    res = run_cli([clip], model_path, "clip", top_k=len(labels), jobs=1)[clip]
    got = np.array([next(e["score"] for e in res["top_k"] if e["label"] == l) for l in labels])
    pred, want = decide_torch(torch_posteriors(model, [clip], d["end_padding_ms"]), labels, d)
    diff = float(np.abs(got - want[0]).max())
    print(f"element clip summary: {res['label']} (PyTorch {labels[pred[0]]}); "
          f"max |score diff| {diff:.2e} (tolerance {POSTERIOR_TOL})")
    check(diff <= POSTERIOR_TOL, f"element summary scores {got} != PyTorch {want[0]}")
    check(res["label"] == labels[pred[0]] or abs(want[0] - d["threshold"]).min() <= POSTERIOR_TOL,
          f"element decided {res['label']}, PyTorch {labels[pred[0]]}")
    print("ok")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--normalization", default="global", choices=("global", "pcen", "running"))
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="mega-train-smoke-") as tmp:
        main(tmp, ap.parse_args().normalization)
