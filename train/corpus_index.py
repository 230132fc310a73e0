"""Reads a folder in the Google Speech Commands v2 layout (real or synthetic).

<root>/<word>/<speaker>_nohash_<n>.wav, <root>/_background_noise_/*.wav,
<root>/validation_list.txt and <root>/testing_list.txt (paths relative to root).
Every word folder that is not a wanted keyword becomes the `_unknown_` class, as in
TensorFlow's input_data.py; `_silence_` is made from background noise by the trainer.
"""
import os

import numpy as np

KEYWORDS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go",
            "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
SILENCE = "_silence_"
UNKNOWN = "_unknown_"
DEFAULT_LABELS = [SILENCE, UNKNOWN] + KEYWORDS


def speaker_of(relpath):
    name = os.path.basename(relpath)
    return name.split("_nohash_")[0] if "_nohash_" in name else name.rsplit(".", 1)[0]


def _read_list(root, name):
    path = os.path.join(root, name)
    if not os.path.exists(path):
        return set()
    with open(path) as f:
        return {line.strip() for line in f if line.strip()}


class CorpusIndex:
    """Clips per split with their label index; background noise files."""

    def __init__(self, root, labels=DEFAULT_LABELS):
        self.root = root
        self.labels = list(labels)
        if SILENCE not in self.labels or UNKNOWN not in self.labels:
            raise ValueError("labels must contain _silence_ and _unknown_")
        index = {name: i for i, name in enumerate(self.labels)}
        val = _read_list(root, "validation_list.txt")
        test = _read_list(root, "testing_list.txt")
        self.clips = {"train": [], "validation": [], "test": []}
        self.noise = []
        for word in sorted(os.listdir(root)):
            folder = os.path.join(root, word)
            if not os.path.isdir(folder):
                continue
            files = sorted(f for f in os.listdir(folder) if f.endswith(".wav"))
            if word == "_background_noise_":
                self.noise = [os.path.join(folder, f) for f in files]
                continue
            if word.startswith("_") and word not in index:
                continue
            label = index.get(word, index[UNKNOWN])
            for f in files:
                rel = f"{word}/{f}"
                split = "validation" if rel in val else "test" if rel in test else "train"
                self.clips[split].append((rel, label))

    def path(self, rel):
        return os.path.join(self.root, rel)

    def summary(self):
        out = {}
        for split, items in self.clips.items():
            counts = np.bincount([lab for _, lab in items], minlength=len(self.labels))
            out[split] = {self.labels[i]: int(c) for i, c in enumerate(counts)}
        return out
