"""The one WAV reader and writer of the training side (corpus, streams, real set, features).

16-bit samples scale by 1/32768 both ways, as the element does (S16 k -> k / 32768): a clip
written here and decoded by the element gives the floats it had here, and every sample value
round-trips exactly.
"""
import io
import wave

import numpy as np

S16_SCALE = 32768.0
# The largest value a 16-bit sample holds (32767 / 32768); above it write_wav clips.
S16_MAX = 32767.0 / S16_SCALE


def _pcm_to_float(raw, width, ch, where):
    if width == 2:
        x = np.frombuffer(raw, dtype="<i2").astype(np.float32) / S16_SCALE
    elif width == 4:
        x = np.frombuffer(raw, dtype="<i4").astype(np.float32) / 2147483648.0
    elif width == 1:
        x = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    else:
        raise ValueError(f"{where}: unsupported sample width {width}")
    if ch > 1:
        x = x.reshape(-1, ch).mean(axis=1)
    return x


def read_wav(src):
    """8/16/32-bit integer PCM WAV, from a path or the file's bytes -> (float32 mono samples in
    [-1, 1], rate); several channels are averaged."""
    where = "WAV data" if isinstance(src, (bytes, bytearray)) else str(src)
    f = io.BytesIO(src) if isinstance(src, (bytes, bytearray)) else str(src)
    with wave.open(f, "rb") as w:
        rate, ch, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        raw = w.readframes(w.getnframes())
    return _pcm_to_float(raw, width, ch, where), rate


def read_wav_bytes_lenient(data):
    """16-bit WAV bytes whose RIFF sizes are unset (engines streaming WAV to stdout leave them
    so, and the wave module refuses them): the chunks are walked by hand."""
    pos = 12
    rate, width, ch = None, 2, 1
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], int.from_bytes(data[pos + 4:pos + 8], "little")
        if cid == b"fmt ":
            ch = int.from_bytes(data[pos + 10:pos + 12], "little")
            rate = int.from_bytes(data[pos + 12:pos + 16], "little")
            width = int.from_bytes(data[pos + 22:pos + 24], "little") // 8
        if cid == b"data":
            body = data[pos + 8:]
            body = body[:len(body) - len(body) % (width * ch)]
            return _pcm_to_float(body, 2, ch, "WAV data"), rate
        pos += 8 + size + (size & 1)
    raise ValueError("no data chunk")


def write_wav(path, x, rate=16000):
    """Float audio -> 16-bit mono PCM: round(x * 32768), clipped to the int16 range. Rounding
    without dither keeps every build of a corpus byte-identical."""
    pcm = np.clip(np.round(np.asarray(x, dtype=np.float64) * S16_SCALE), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
