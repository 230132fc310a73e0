#!/usr/bin/python3
"""The PyTorch side of the benchmark: the reference model (train/mega_ref.py) on the same
weights and the same float32 input file as mega-bench, one thread, eager mode, no autograd.
Prints one JSON object per measurement, like mega-bench, for bench/report.py.

  reference_bench.py stream  --model M --audio x.f32 --seconds 30 --hop-ms 10 [--dump F --dump-frames N]
  reference_bench.py offline --model M --audio x.f32 --minutes 10 [--segment-minutes 10]

stream: 10 ms hops go through forward_step (the reference's own frame-by-frame state, as
the engine streams); longer hops through forward(block, state) with the state carried,
the reference's batched way to continue a stream. The log-mel features are computed once
beforehand, since torchaudio's Kaldi fbank is not a streaming front end, so the times per hop
are the network's alone (the engine's include its front end).

offline: the whole-sequence forward (FFT EMA, block-parallel attention). Signals longer than
--segment-minutes are cut into segments whose state is carried from one to the next; the
front end runs per segment too (a segment boundary drops the two frames that straddle it).
"""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from train import mega_ref, model_io  # noqa: E402


def emit(case, **values):
    print(json.dumps({"case": case, **values}), flush=True)


def peak_rss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def load_audio(path, seconds):
    n = int(round(seconds * 16000))
    wave = np.fromfile(path, dtype="<f4", count=n)
    if len(wave) < n:
        sys.exit(f"{path}: only {len(wave) / 16000:.1f} s of audio, {seconds:.1f} s wanted")
    return torch.from_numpy(wave.astype(np.float32))


def stream(args, model):
    wave = load_audio(args.audio, args.seconds)
    feats = mega_ref.features_from_audio(wave, model.config.frontend).unsqueeze(0)
    frames = feats.shape[1]
    hop = max(1, int(round(args.hop_ms / 10.0)))
    state = model.init_state(1)
    times, outs = [], []
    for t in range(0, frames, hop):
        block = feats[:, t:t + hop]
        t0 = time.perf_counter()
        if hop == 1:
            logits, state = model.forward_step(block, state)
        else:
            logits, state = model.forward(block, state, return_state=True)
        times.append(time.perf_counter() - t0)
        if args.dump and sum(o.shape[1] for o in outs) < args.dump_frames:
            outs.append(logits)
    if args.dump:
        dump = torch.cat(outs, dim=1)[0, :args.dump_frames].numpy().astype("<f4")
        dump.tofile(args.dump)
    t = np.array(times)
    emit("ref_stream", hop_ms=args.hop_ms, seconds=args.seconds, hops=len(t), frames=frames,
         median_us=float(np.median(t) * 1e6), p99_us=float(np.quantile(t, 0.99) * 1e6),
         mean_us=float(t.mean() * 1e6), us_per_frame=float(t.sum() / frames * 1e6),
         rtf=float(t.sum() / args.seconds), peak_rss_kb=peak_rss_kb())


def offline(args, model):
    total_s = args.minutes * 60.0
    seg_s = min(total_s, args.segment_minutes * 60.0)
    state = None
    t_fbank = t_net = 0.0
    frames = 0
    dumped = []
    done = 0.0
    while done < total_s - 1e-6:
        length = min(seg_s, total_s - done)
        n0, n = int(round(done * 16000)), int(round(length * 16000))
        wave = torch.from_numpy(np.fromfile(args.audio, dtype="<f4", count=n,
                                            offset=4 * n0).astype(np.float32))
        t0 = time.perf_counter()
        feats = mega_ref.features_from_audio(wave, model.config.frontend).unsqueeze(0)
        t1 = time.perf_counter()
        logits, state = model.forward(feats, state, return_state=True)
        t2 = time.perf_counter()
        t_fbank += t1 - t0
        t_net += t2 - t1
        frames += feats.shape[1]
        if args.dump and sum(d.shape[0] for d in dumped) < args.dump_frames:
            dumped.append(logits[0])
        del wave, feats, logits
        done += length
    if args.dump:
        torch.cat(dumped)[:args.dump_frames].numpy().astype("<f4").tofile(args.dump)
    segments = int(np.ceil(total_s / seg_s - 1e-9))
    emit("ref_offline", minutes=args.minutes, segments=segments, frames=frames,
         seconds=t_fbank + t_net, fbank_seconds=t_fbank, network_seconds=t_net,
         x_realtime=total_s / (t_fbank + t_net), peak_rss_kb=peak_rss_kb())


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("command", choices=["stream", "offline"])
    p.add_argument("--model", required=True)
    p.add_argument("--audio", required=True, help="float32 mono 16 kHz, from mega-bench gen")
    p.add_argument("--seconds", type=float, default=30.0, help="stream: audio length")
    p.add_argument("--hop-ms", type=float, default=10.0)
    p.add_argument("--minutes", type=float, default=1.0, help="offline: audio length")
    p.add_argument("--segment-minutes", type=float, default=10.0)
    p.add_argument("--dump", help="write the first --dump-frames rows of logits (float32)")
    p.add_argument("--dump-frames", type=int, default=0)
    args = p.parse_args()
    torch.set_num_threads(1)
    model = model_io.load_model(args.model)
    with torch.inference_mode():
        (stream if args.command == "stream" else offline)(args, model)


if __name__ == "__main__":
    main()
