"""Reads a folder in the Google Speech Commands v2 layout (real or synthetic).

<root>/<word>/<speaker>_nohash_<n>.wav, <root>/_background_noise_/*.wav,
<root>/validation_list.txt and <root>/testing_list.txt (paths relative to root).
Every word folder that is not a wanted keyword becomes the `_unknown_` class, as in
TensorFlow's input_data.py; `_silence_` is made from background noise by the trainer.
"""
import os
import wave

import numpy as np

KEYWORDS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go",
            "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
SILENCE = "_silence_"
UNKNOWN = "_unknown_"
DEFAULT_LABELS = [SILENCE, UNKNOWN] + KEYWORDS


def read_wav(path):
    """16-bit PCM or float WAV -> (float32 mono samples in [-1, 1], rate)."""
    with wave.open(path, "rb") as w:
        rate, ch, width, n = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
        raw = w.readframes(n)
    if width == 2:
        x = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif width == 4:
        x = np.frombuffer(raw, dtype="<i4").astype(np.float32) / 2147483648.0
    elif width == 1:
        x = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    else:
        raise ValueError(f"{path}: unsupported sample width {width}")
    if ch > 1:
        x = x.reshape(-1, ch).mean(axis=1)
    return x, rate


def write_wav(path, x, rate=16000):
    x = np.clip(np.asarray(x, dtype=np.float64), -1.0, 32767.0 / 32768.0)
    pcm = np.round(x * 32768.0).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


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
