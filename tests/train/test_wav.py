#!/usr/bin/python3
"""The training side's one WAV reader and writer (train/wav.py) against the element's scale:
an S16 sample k is the float k / 32768 (gstmegaclassify's conversion), every int16 value
survives read -> write unchanged, floats are written as round(x * 32768) clipped to int16, and
the lenient reader of streamed WAV (unset RIFF sizes) reads the same samples."""
import os
import tempfile
import unittest
import wave

import numpy as np

from train.wav import S16_MAX, read_wav, read_wav_bytes_lenient, write_wav

ALL_S16 = np.arange(-32768, 32768, dtype="<i2")


def write_pcm(path, pcm, rate=16000, channels=1):
    with wave.open(path, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.astype("<i2").tobytes())


def pcm_of(path):
    with wave.open(path, "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


class WavTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, "a.wav")

    def tearDown(self):
        self.tmp.cleanup()

    def test_scale_is_one_over_32768(self):
        write_pcm(self.path, ALL_S16, rate=8000)
        x, rate = read_wav(self.path)
        self.assertEqual(rate, 8000)
        self.assertEqual(x.dtype, np.float32)
        np.testing.assert_array_equal(x, ALL_S16.astype(np.float64) / 32768.0)
        self.assertEqual((x.min(), x.max()), (-1.0, S16_MAX))

    def test_every_int16_value_round_trips_exactly(self):
        write_pcm(self.path, ALL_S16)
        x, _ = read_wav(self.path)
        out = os.path.join(self.tmp.name, "b.wav")
        write_wav(out, x)
        np.testing.assert_array_equal(pcm_of(out), ALL_S16)
        with open(self.path, "rb") as f:
            data = f.read()
        np.testing.assert_array_equal(read_wav(data)[0], x)  # from the file's bytes too

    def test_writer_rounds_and_clips(self):
        write_wav(self.path, [0.5, -0.5, 1.0, -1.0, 2.0, -2.0, 0.25 / 32768, 0.75 / 32768, -0.75 / 32768])
        self.assertEqual(pcm_of(self.path).tolist(), [16384, -16384, 32767, -32768, 32767, -32768, 0, 1, -1])

    def test_channels_are_averaged(self):
        write_pcm(self.path, np.array([100, 300, -200, -400]), channels=2)
        np.testing.assert_array_equal(read_wav(self.path)[0], np.array([200, -300]) / 32768.0)

    def test_lenient_reader_of_unset_riff_sizes(self):
        write_pcm(self.path, ALL_S16[::97], rate=22050)
        with open(self.path, "rb") as f:
            data = bytearray(f.read())
        data[4:8] = b"\xff\xff\xff\xff"  # RIFF size unset, as engines streaming to stdout write it
        data[data.index(b"data") + 4:data.index(b"data") + 8] = b"\xff\xff\xff\xff"
        x, rate = read_wav_bytes_lenient(bytes(data))
        self.assertEqual(rate, 22050)
        np.testing.assert_array_equal(x, read_wav(self.path)[0])


if __name__ == "__main__":
    unittest.main()
