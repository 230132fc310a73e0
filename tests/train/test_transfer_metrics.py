#!/usr/bin/python3
"""eval_clips.transfer_metrics on hand-made clip scores whose answers are known:
keyword identity counts the best keyword among keywords only, and the keyword-vs-unknown AUC
is the Mann-Whitney probability with ties counted half."""

import numpy as np

from train.eval_clips import transfer_metrics

LABELS = ["_silence_", "_unknown_", "yes", "no"]
SIL, UNK, YES, NO = range(4)


def scores(yes, no, unk=0.9):
    return [0.0, unk, yes, no]


def main():
    truth = [YES, YES, NO, NO, UNK, UNK, YES]
    s = np.array([
        scores(0.6, 0.1),   # yes: best keyword right
        scores(0.2, 0.3),   # yes: best keyword wrong (no)
        scores(0.1, 0.4),   # no: right, although _unknown_ scores higher
        scores(0.5, 0.2),   # no: wrong
        scores(0.3, 0.1),   # unknown, best keyword score 0.3
        scores(0.1, 0.6),   # unknown, 0.6
        scores(0.0, 0.2),   # other group: yes clip, best keyword no
    ])
    groups = ["a"] * 6 + ["b"]
    m = transfer_metrics(LABELS, truth, s, groups)
    assert m["a"]["keyword_identity"] == 50.0, m
    # Keyword clips' best keyword scores 0.6, 0.3, 0.4, 0.5 against unknown 0.3, 0.6:
    # pairs above: (0.6>0.3), (0.4>0.3), (0.5>0.3) = 3; ties (0.6=0.6), (0.3=0.3) = 2 -> (3 + 1) / 8.
    assert m["a"]["keyword_vs_unknown_auc"] == 0.5, m
    assert m["b"]["keyword_identity"] == 0.0 and m["b"]["keyword_vs_unknown_auc"] is None, m
    perfect = transfer_metrics(LABELS, [YES, UNK], np.array([scores(0.9, 0.0), scores(0.1, 0.2)]), ["c", "c"])
    assert perfect["c"] == {"keyword_identity": 100.0, "keyword_vs_unknown_auc": 1.0}, perfect
    print("transfer metrics: identity and AUC as computed by hand")


if __name__ == "__main__":
    main()
