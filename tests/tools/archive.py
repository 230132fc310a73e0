"""A small archive for the batch tests and the throughput benchmark: short WAV clips cut
from the bundled recording (speech and quiet noise), a few whole copies of it, and two
inputs that fail (a missing file, a corrupt one)."""
import os
import wave

# From this file's place, not helpers' environment, so bench/batch_throughput.py can use it too.
RECORDING = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                         "examples", "data", "commands.wav")


def make_clips(outdir, n, seconds=1.0, prefix="clip"):
    """n 16 kHz mono clips of `seconds`, cut from the recording at staggered offsets."""
    with wave.open(RECORDING) as w:
        rate, width, frames = w.getframerate(), w.getsampwidth(), w.readframes(w.getnframes())
    length = int(seconds * rate) * width
    span = len(frames) - length
    paths = []
    for i in range(n):
        start = (i * 7919 * width) % span // width * width
        path = os.path.join(outdir, f"{prefix}{i:05d}.wav")
        with wave.open(path, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(width)
            out.setframerate(rate)
            out.writeframes(frames[start:start + length])
        paths.append(path)
    return paths


def make_archive(tmp, n_short, n_long):
    """(inputs, failing inputs): n_short clips of 0.5 s, n_long copies of the recording spread
    among them, a missing file at index 3 and a corrupt one at index 7."""
    clips = make_clips(tmp, n_short, seconds=0.5)
    inputs = list(clips)
    for j in range(n_long):
        path = os.path.join(tmp, f"long{j}.wav")
        with open(RECORDING, "rb") as src, open(path, "wb") as dst:
            dst.write(src.read())
        inputs.insert(1 + j * (len(inputs) // n_long), path)
    missing = os.path.join(tmp, "missing.wav")
    corrupt = os.path.join(tmp, "corrupt.wav")
    with open(corrupt, "wb") as f:
        f.write(bytes(range(256)) * 40)
    inputs.insert(3, missing)
    inputs.insert(7, corrupt)
    return inputs, [missing, corrupt]
