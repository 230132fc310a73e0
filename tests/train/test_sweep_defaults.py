#!/usr/bin/python3
"""The defaults sweep's pick (train/sweep_defaults.py): a point replaces the current defaults
only when it is no worse on every measure; among those the best real-dev stream recall wins;
with none, the current defaults stay."""
from train.sweep_defaults import pick


def point(sm, th, det, trig, rec, fa, srec, sfa):
    return {"smoothing_ms": sm, "threshold": th, "real_clips_detected": det, "real_clips_triggering": trig,
            "real_streams_recall": rec, "real_streams_fa_per_hour": fa,
            "synthetic_streams_recall": srec, "synthetic_streams_fa_per_hour": sfa}


def check():
    cur = point(300, 0.5, 30, 8, 35, 110, 55, 150)
    dominated = point(300, 0.6, 25, 6, 30, 70, 50, 100)        # fewer false alarms, less recall
    better = point(150, 0.5, 33, 8, 38, 105, 56, 150)          # no worse anywhere
    best_but_louder = point(100, 0.5, 36, 8, 45, 111, 60, 150)  # more real stream FA: not allowed
    assert pick([cur, dominated], (300, 0.5)) is cur, "nothing better: the current defaults stay"
    assert pick([cur, dominated, better, best_but_louder], (300, 0.5)) is better
    also = point(200, 0.5, 33, 8, 40, 110, 55, 150)              # ties count as no worse
    assert pick([cur, better, also], (300, 0.5)) is also
    print("sweep-defaults: the pick OK")


if __name__ == "__main__":
    check()
