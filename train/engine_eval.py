#!/usr/bin/python3
"""Cross-voice generalisation: accuracy of a model on every clip of one synthesizer engine.

    /usr/bin/python3 train/engine_eval.py --model M --corpus data/corpus --engine flite

For the leave-one-engine-out study a model trained without an engine (train.py
--exclude-engine E) is scored on all of E's clips, from every split, since none of them was
heard in training; for a model trained on every engine only the test split counts. Each clip
is decided by the element's end-of-stream summary rule (decision.clip_decision) with the
element's default smoothing, threshold and minimum count. Prints one JSON object.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corpus_index import CorpusIndex, read_wav, speaker_of  # noqa: E402
from decision import clip_decision  # noqa: E402
from element_cli import element_defaults  # noqa: E402
from mega_ref import features_from_audio, load_model  # noqa: E402

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--corpus", default="data/corpus")
    p.add_argument("--engine", required=True, choices=["espeak", "flite", "festival"])
    p.add_argument("--splits", default="train,validation,test")
    args = p.parse_args()
    torch.set_num_threads(1)

    model = load_model(args.model)
    labels = model.config.labels
    d = element_defaults()
    threshold, smoothing_ms, min_count = d["threshold"], d["smoothing_ms"], d["minimum_count"]
    window = max(1, int(round(smoothing_ms / model.config.frontend.frame_shift_ms)))
    with open(os.path.join(args.corpus, "speakers.json")) as f:
        ids = {s["id"] for s in json.load(f)["speakers"] if s["engine"] == args.engine}
    index = CorpusIndex(args.corpus, labels)
    unknown = labels.index("_unknown_")
    total = {"keyword": [0, 0], "unknown": [0, 0]}
    for split in args.splits.split(","):
        for rel, label in index.clips[split]:
            if speaker_of(rel) not in ids:
                continue
            x, _ = read_wav(index.path(rel))
            with torch.no_grad():
                logits = model(features_from_audio(torch.from_numpy(x), model.config.frontend))
            post = torch.softmax(logits, -1).numpy()
            pred, _ = clip_decision(post, labels, window, threshold, min_count)
            group = "unknown" if label == unknown else "keyword"
            total[group][0] += int(pred == label)
            total[group][1] += 1
    out = {"model": args.model, "engine": args.engine, "splits": args.splits,
           "keyword_accuracy": total["keyword"][0] / max(1, total["keyword"][1]),
           "keyword_clips": total["keyword"][1],
           "unknown_rejection": total["unknown"][0] / max(1, total["unknown"][1]),
           "unknown_clips": total["unknown"][1]}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
