"""Turning source clips into the Google-Speech-Commands-style folder.

<out>/<keyword>/<speaker>_nohash_<n>.wav, <out>/other/<speaker>_nohash_<n>.wav,
testing_list.txt (the real-dev clips), manifest.json and COUNTS.md.

Each whole recording is trimmed to its speech (energy detector of
train/corpus/audio.py, 75 ms margin; forced-alignment cuts are used as cut)
and keeps its own level (scaled down only if it would clip). A
keyword that fits in 0.98 s is placed at a random (seeded by the clip's
identity) offset in a 1 s clip like GSC; a longer one keeps its own length.
Non-keywords: up to 1 s placed the same way, 1-4 s kept whole, longer ones
split at pauses (or dropped).
"""
import hashlib
import json
import os
import shutil
from collections import Counter, defaultdict

import numpy as np

from ..corpus.audio import frame_db, place_in_second, speech_bounds
from ..wav import S16_MAX, write_wav

from .common import KEYWORDS, SR, UNKNOWN, Dropped, split_at_pauses

MARGIN = 0.075
KEYWORD_FIT = 0.98
MAX_UNKNOWN = 4.0
OTHER = "other"
SILENT_DB = -55.0


def seed_of(*parts):
    return int(hashlib.sha1("\x1f".join(map(str, parts)).encode()).hexdigest()[:12], 16)


def trim(x):
    b = speech_bounds(x)
    if b is None:
        return None
    m = int(MARGIN * SR)
    return x[max(0, b[0] - m):min(len(x), b[1] + m)]


def finish(clip):
    """Clip -> ([(samples, suffix note)], None) or ([], reason)."""
    x = np.asarray(clip.samples, dtype=np.float32)
    if len(x) == 0 or float(frame_db(x).max()) < SILENT_DB:
        return [], f"silent (loudest 20 ms frame under {SILENT_DB:.0f} dBFS)"
    # A forced-alignment cut already ends where the word ends (its margins only
    # take in quiet audio); the energy detector would clip its weak edges
    # (its noise-floor estimate sits inside the word on a short cut).
    y = x if clip.how == "aligned" else trim(x)
    if y is None or len(y) < int(0.1 * SR):
        return [], "no speech found by the energy detector"
    peak = float(np.max(np.abs(y)))
    if peak > S16_MAX:
        y = (y * (S16_MAX / peak)).astype(np.float32)
    rng = np.random.default_rng(seed_of(clip.package, clip.original, clip.note, clip.text))
    if clip.label != UNKNOWN:
        if len(y) <= KEYWORD_FIT * SR:
            return [(place_in_second(y, rng), "")], None
        return [(y, "longer than 0.98 s: kept at its own length")], None
    if len(y) <= SR:
        return [(place_in_second(y, rng), "")], None
    if len(y) <= MAX_UNKNOWN * SR:
        return [(y, "")], None
    parts = [trim(p) for p in split_at_pauses(y, MAX_UNKNOWN)]
    parts = [p for p in parts if p is not None and len(p) >= int(0.2 * SR)]
    if not parts:
        return [], f"longer than {MAX_UNKNOWN:.0f} s ({len(y) / SR:.1f} s) without pauses to split at"
    out = []
    for k, p in enumerate(parts):
        p = place_in_second(p, rng) if len(p) <= SR else p
        out.append((p, f"part {k + 1} of {len(parts)} (split at a pause)"))
    return out, None


def split_of(speaker, table):
    if speaker not in table:
        raise KeyError(f"speaker {speaker!r} is not in the split table")
    return table[speaker]


def write(out, clips, dropped, versions, table, log=print):
    """Write the folder; returns the manifest dict. Existing keyword/other folders
    and lists under `out` are replaced (the command is idempotent)."""
    os.makedirs(out, exist_ok=True)
    for name in KEYWORDS + [OTHER]:
        shutil.rmtree(os.path.join(out, name), ignore_errors=True)
    for name in ("testing_list.txt", "manifest.json", "COUNTS.md"):
        if os.path.exists(os.path.join(out, name)):
            os.remove(os.path.join(out, name))
    dropped = list(dropped)
    order = sorted(clips, key=lambda c: (c.speaker, c.label, c.package, c.original, c.note))
    counter = Counter()
    records, testing = [], []
    for c in order:
        split = split_of(c.speaker, table)
        pieces, why = finish(c)
        if why:
            dropped.append(Dropped(c.package, c.original, why))
            continue
        folder = c.label if c.label != UNKNOWN else OTHER
        for samples, note in pieces:
            n = counter[(folder, c.speaker)]
            counter[(folder, c.speaker)] += 1
            rel = f"{folder}/{c.speaker}_nohash_{n}.wav"
            os.makedirs(os.path.join(out, folder), exist_ok=True)
            write_wav(os.path.join(out, rel), samples)
            if split == "dev":
                testing.append(rel)
            rec = {"rel": rel, "label": c.label, "text": c.text, "speaker": c.speaker, "package": c.package,
                   "original": c.original, "split": split, "seconds": round(len(samples) / SR, 3),
                   "how": c.how}
            note = "; ".join(s for s in (c.note, note) if s)
            if note:
                rec["note"] = note
            records.append(rec)
    with open(os.path.join(out, "testing_list.txt"), "w") as f:
        f.write("".join(r + "\n" for r in sorted(testing)))
    manifest = {
        "sources": dict(sorted(versions.items())),
        "clips": records,
        "dropped": [{"package": d.package, "original": d.original, "reason": d.reason}
                    for d in sorted(dropped, key=lambda d: (d.package, d.original, d.reason))],
        "counts": counts(records),
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=False)
    with open(os.path.join(out, "COUNTS.md"), "w") as f:
        f.write(counts_markdown(manifest))
    return manifest


def counts(records):
    labels = KEYWORDS + [UNKNOWN]
    out = {s: {k: 0 for k in labels} for s in ("dev", "train")}
    per = defaultdict(lambda: {"split": None, **{k: 0 for k in labels}})
    for r in records:
        out[r["split"]][r["label"]] += 1
        per[r["speaker"]]["split"] = r["split"]
        per[r["speaker"]][r["label"]] += 1
    out["per_speaker"] = {s: {k: v for k, v in d.items() if k == "split" or v} for s, d in sorted(per.items())}
    return out


def counts_markdown(manifest):
    c = manifest["counts"]
    labels = KEYWORDS + [UNKNOWN]
    recs = manifest["clips"]
    spk = {s: {r["speaker"] for r in recs if r["split"] == s} for s in ("train", "dev")}
    kw_spk = {s: {k: len({r["speaker"] for r in recs if r["split"] == s and r["label"] == k}) for k in labels}
              for s in ("train", "dev")}
    lines = ["# Real-speech set (train/make_real_set.py)", "",
             "Clips per label and split (speakers in brackets). Keywords total: "
             f"dev {sum(c['dev'][k] for k in KEYWORDS)}, train {sum(c['train'][k] for k in KEYWORDS)}.", "",
             "| label | dev | train |", "|---|---:|---:|"]
    for k in labels:
        lines.append(f"| {k} | {c['dev'][k]} ({kw_spk['dev'][k]}) | {c['train'][k]} ({kw_spk['train'][k]}) |")
    lines += ["", f"Speakers: dev {len(spk['dev'])}, train {len(spk['train'])}.", "",
              "| speaker | split | keyword clips | non-keyword | keywords (count) |", "|---|---|---:|---:|---|"]
    for s, d in c["per_speaker"].items():
        kws = {k: v for k, v in d.items() if k in KEYWORDS}
        lines.append(f"| {s} | {d['split']} | {sum(kws.values())} | {d.get(UNKNOWN, 0)} | "
                     + ", ".join(f"{k} {v}" for k, v in kws.items()) + " |")
    reasons = Counter(reason_kind(d["reason"]) for d in manifest["dropped"])
    lines += ["", f"Dropped: {len(manifest['dropped'])} entries.", "", "| reason | entries |", "|---|---:|"]
    for r, n in reasons.most_common():
        lines.append(f"| {r} | {n} |")
    return "\n".join(lines) + "\n"


REASON_KINDS = [
    ("keyword check heard", "cut/clip failed the keyword check (pocketsphinx heard another word)"),
    ("pocketsphinx heard", "transcript of an unlabelled or loosely labelled clip has a keyword-like word"),
    ("recognised '", "transcript has a keyword-like word (megaglest)"),
    ("no words recognised", "no words recognised"),
    ("alignment failed", "forced alignment failed (no path / other keywords)"),
    ("aligner heard", "kajongg tile: aligner heard another digit"),
    ("not in the pocketsphinx dictionary", "cannot align: word not in the pocketsphinx dictionary"),
    ("text contains keyword-like", "known text has a keyword or homophone (and no keyword to cut)"),
    ("grunt", "grunt/effort sound, not words"),
    ("not speech", "not speech (effects, animals, monsters)"),
    ("not English", "not English"),
    ("German voices", "not English"),
    ("other languages", "not English"),
    ("no transcript", "no transcript / text unknown"),
    ("no text for this file", "no transcript / text unknown"),
    ("exact text not known", "no transcript / text unknown"),
    ("no English text", "no transcript / text unknown"),
    ("silent", "silent / no speech found"),
    ("no speech found", "silent / no speech found"),
    ("longer than", "too long and no pause to split at"),
]


def reason_kind(reason):
    """Group drop reasons for the summary tables."""
    for key, label in REASON_KINDS:
        if key in reason:
            return label
    return "other: " + reason.split(":")[0]
