"""Clip-level evaluation: the test split (held-out speakers) classified by the element's
end-of-stream summary rule, once with the PyTorch reference (decision.clip_decision on its
posteriors) and once with the real element (`mega-classify --clip`).

The corpus has no `_silence_` clips (the trainer makes silence from noise files), so the
`_silence_` class is tested with 1-s windows cut from the test streams where no word is
labelled: held-out noise made from a separate seed (clean floor, coloured noise, hum, babble).
"""
import csv
import json
import os

import numpy as np
import torch

from .corpus_index import SILENCE, UNKNOWN, speaker_of
from .decision import clip_decision, is_background
from .element_cli import frames_for_ms, run_cli
from .mega_ref import features_from_audio
from .wav import read_wav, write_wav


def read_labels_csv(path):
    with open(path) as f:
        return [(float(r["start_s"]), float(r["end_s"]), r["label"]) for r in csv.DictReader(f)]


def test_clips(corpus, labels):
    """[(path, label index, engine)] for every clip of testing_list.txt."""
    meta = json.load(open(os.path.join(corpus, "speakers.json")))
    engine_of = {s["id"]: s["engine"] for s in meta["speakers"]}
    index = {name: i for i, name in enumerate(labels)}
    out = []
    for rel in open(os.path.join(corpus, "testing_list.txt")).read().split():
        word = rel.split("/")[0]
        engine = "klettres" if word == "klettres" else engine_of.get(speaker_of(rel), "unknown")
        out.append((os.path.join(corpus, rel), index.get(word, index[UNKNOWN]), engine))
    return out


def silence_clips(streams_dir, out_dir, labels, per_stream=10, margin=0.15):
    """1-s noise-only windows from the gaps of every test stream, evenly spread over each."""
    os.makedirs(out_dir, exist_ok=True)
    out = []
    for name in sorted(f[:-4] for f in os.listdir(streams_dir) if f.endswith(".wav")):
        x, rate = read_wav(os.path.join(streams_dir, name + ".wav"))
        words = sorted(read_labels_csv(os.path.join(streams_dir, name + ".csv")))
        edges = [0.0] + [t for s, e, _ in words for t in (s, e)] + [len(x) / rate]
        gaps = [(a + margin, b - margin) for a, b in zip(edges[0::2], edges[1::2]) if b - a >= 1.0 + 2 * margin]
        for k in np.linspace(0, len(gaps) - 1, min(per_stream, len(gaps))).round().astype(int):
            a, b = gaps[k]
            start = int(((a + b) / 2 - 0.5) * rate)
            path = os.path.join(out_dir, f"{name}_silence_{k:03d}.wav")
            write_wav(path, x[start:start + rate], rate)
            out.append((path, labels.index(SILENCE), "noise"))
    return out


@torch.no_grad()
def torch_posteriors(model, paths, end_padding_ms, batch=64):
    """Per-clip posteriors [T_i, K] from a zero state, of each clip followed by the element's
    end-padding of zeros (at least one frame, as the element). Clips of different lengths share
    a batch by padding at the end: the model is causal, so padding never changes earlier frames."""
    fe = model.config.frontend
    feats = []
    for p in paths:
        x, rate = read_wav(p)
        if rate != fe.sample_rate:
            raise ValueError(f"{p}: rate {rate}, the model wants {fe.sample_rate}")
        x = np.concatenate([x, np.zeros(int(round(end_padding_ms * rate / 1000)), dtype=x.dtype)])
        if len(x) < int(fe.frame_length_ms * rate / 1000):  # the element pads to one frame
            x = np.pad(x, (0, int(fe.frame_length_ms * rate / 1000) - len(x)))
        feats.append(features_from_audio(torch.from_numpy(x), fe))
    out = []
    for i in range(0, len(feats), batch):
        group = feats[i:i + batch]
        T = max(f.shape[0] for f in group)
        x = torch.stack([torch.nn.functional.pad(f, (0, 0, 0, T - f.shape[0])) for f in group])
        post = torch.softmax(model(x.float()), dim=-1).numpy()
        out += [post[j, :f.shape[0]] for j, f in enumerate(group)]
    return out


def decide_torch(posts, labels, d):
    """Clip label indices and score vectors by the summary rule at the element's settings."""
    window = frames_for_ms(d["smoothing_ms"], d["frame_shift_ms"])
    res = [clip_decision(p, labels, window, d["threshold"], d["minimum_count"]) for p in posts]
    return np.array([r[0] for r in res]), np.array([r[1] for r in res])


def decide_element(paths, model_path, labels, d, jobs=2):
    """Clip label indices and score vectors from the element's `megaclassify-summary`."""
    res = run_cli(paths, model_path, "clip", threshold=d["threshold"], smoothing_ms=d["smoothing_ms"],
                  minimum_count=d["minimum_count"], top_k=len(labels), jobs=jobs,
                  end_padding_ms=d["end_padding_ms"])
    pred, scores = [], []
    for p in paths:
        o = res[p]
        pred.append(labels.index(o["label"]) if o["label"] in labels else -1)
        s = np.full(len(labels), np.nan)
        for e in o["top_k"]:
            s[labels.index(e["label"])] = e["score"]
        scores.append(s)
    return np.array(pred), np.array(scores)


def clip_metrics(labels, truth, pred, groups):
    """Accuracy overall and per group, keyword-only accuracy, unknown rejection, keyword
    false rejection, klettres taken for a keyword; all in percent."""
    truth, pred, groups = np.asarray(truth), np.asarray(pred), np.asarray(groups)
    kw = np.array([not is_background(l) for l in labels])
    unk = labels.index(UNKNOWN)
    pred_kw = np.array([p >= 0 and kw[p] for p in pred])
    true_kw = kw[truth]

    def pct(mask_num, mask_den):
        n = int(mask_den.sum())
        return None if n == 0 else round(100.0 * float((mask_num & mask_den).sum()) / n, 2)

    def block(m):
        return {"clips": int(m.sum()), "accuracy": pct(pred == truth, m),
                "keyword_clips": int((m & true_kw).sum()), "keyword_accuracy": pct(pred == truth, m & true_kw),
                "keyword_rejected": pct(~pred_kw, m & true_kw),
                "unknown_clips": int((m & (truth == unk)).sum()),
                "unknown_rejection": pct(~pred_kw, m & (truth == unk)),
                "unknown_exact": pct(pred == unk, m & (truth == unk))}

    synthetic = ~np.isin(groups, ["klettres"])
    out = {"all": block(np.ones(len(truth), bool)), "synthetic_and_noise": block(synthetic),
           "per_group": {g: block(groups == g) for g in sorted(set(groups))}}
    kl = groups == "klettres"
    out["klettres_as_keyword"] = pct(pred_kw, kl)
    out["per_class_accuracy"] = {l: pct(pred == truth, truth == i) for i, l in enumerate(labels)
                                 if (truth == i).any()}
    return out


def confusion(labels, truth, pred):
    m = np.zeros((len(labels), len(labels) + 1), dtype=int)  # last column: no decision
    for t, p in zip(truth, pred):
        m[t, p if p >= 0 else len(labels)] += 1
    return m


def transfer_metrics(labels, truth, scores, groups):
    """Threshold-free measures of what a model knows about voices it was not trained on, per
    group, from the summary rule's clip scores (max smoothed posterior per class):
      keyword_identity: keyword clips whose best-scoring keyword is the right one (%), i.e.
          accuracy if the model were told the clip holds a keyword;
      keyword_vs_unknown_auc: how well the best keyword score separates keyword clips from
          unknown-word clips (area under the ROC curve, 0.5 = chance).
    A model can fail a voice at the element's threshold while still ranking right: these tell
    which of calibration or recognition a change improved."""
    truth, scores, groups = np.asarray(truth), np.asarray(scores), np.asarray(groups)
    kw = np.array([not is_background(l) for l in labels])
    unk = labels.index(UNKNOWN)
    kw_idx = np.nonzero(kw)[0]
    best_kw = kw_idx[np.argmax(scores[:, kw_idx], axis=1)]
    kw_score = scores[:, kw_idx].max(axis=1)
    out = {}
    true_kw = kw[truth]
    for g in sorted(set(groups)):
        m = groups == g
        pos, neg = kw_score[m & true_kw], kw_score[m & (truth == unk)]
        entry = {"keyword_identity": None, "keyword_vs_unknown_auc": None}
        if len(pos):
            entry["keyword_identity"] = round(100.0 * float((best_kw == truth)[m & true_kw].mean()), 2)
        if len(pos) and len(neg):
            # Mann-Whitney: P(keyword clip scores above unknown clip), ties count half.
            greater = (pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
            entry["keyword_vs_unknown_auc"] = round(float(greater), 4)
        out[g] = entry
    return out
