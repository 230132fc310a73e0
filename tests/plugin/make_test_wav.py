#!/usr/bin/python3
"""Writes the element tests' audio as a 16-bit WAV: silence, a 300 Hz tone (0.3-0.8 s,
"yes" for the test model), silence, a 2 kHz tone (1.1-1.8 s, "no").

usage: make_test_wav.py OUT.wav [RATE] [CHANNELS]
"""
import math
import struct
import sys
import wave


def sig(t):
    if 0.3 <= t < 0.8:
        return 0.5 * math.sin(2 * math.pi * 300 * t)
    if 1.1 <= t < 1.8:
        return 0.5 * math.sin(2 * math.pi * 2000 * t)
    return 0.0


def main():
    out = sys.argv[1]
    rate = int(sys.argv[2]) if len(sys.argv) > 2 else 16000
    channels = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    frames = bytearray()
    for i in range(int(1.8 * rate)):
        v = int(round(sig(i / rate) * 32767))
        frames += struct.pack("<" + "h" * channels, *([v] * channels))
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))


if __name__ == "__main__":
    main()
