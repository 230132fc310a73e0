"""Lossy-codec round trips through GStreamer's own encoders and decoders.

Users feed the element telephone calls, VoIP and compressed files, so training clips are sent
through the same codecs GStreamer will decode for them: GSM and G.711 (8 kHz), AMR-NB,
low-bitrate Opus, Vorbis and MP3. One pipeline per clip, in process (appsrc -> encoder ->
decoder -> appsink); the output is aligned back to the input by envelope correlation, because
every codec adds its own delay, and cut to the input's length.
"""
import numpy as np

RATE = 16000

# name -> (rate the codec runs at, encoder+decoder description with a {bitrate} slot, bitrates)
CODECS = {
    "gsm": (8000, "gsmenc ! gsmdec", [None]),
    "mulaw": (8000, "mulawenc ! mulawdec", [None]),
    "alaw": (8000, "alawenc ! alawdec", [None]),
    "amrnb": (8000, "amrnbenc band-mode={bitrate} ! amrnbdec", [0, 4, 7]),
    "opus": (16000, "opusenc bitrate={bitrate} ! opusdec", [6000, 10000, 16000]),
    "vorbis": (16000, "vorbisenc quality={bitrate} ! vorbisdec", [-0.1, 0.1]),
    "mp3": (16000, "lamemp3enc target=bitrate cbr=true bitrate={bitrate} ! mpegaudioparse ! mpg123audiodec",
            [16, 24, 32]),
}

_gst = None


def _gst_module():
    """GStreamer is initialised lazily, in the process that uses it (pool workers fork)."""
    global _gst
    if _gst is None:
        import gi
        gi.require_version("Gst", "1.0")
        from gi.repository import Gst
        Gst.init(None)
        _gst = Gst
    return _gst


def _run(x, rate, chain):
    Gst = _gst_module()
    desc = (f"appsrc name=src format=time caps=audio/x-raw,format=F32LE,layout=interleaved,"
            f"channels=1,rate={RATE} ! audioconvert ! audioresample ! "
            f"audio/x-raw,rate={rate},channels=1 ! audioconvert ! {chain} ! audioconvert ! "
            f"audioresample ! audio/x-raw,format=F32LE,rate={RATE},channels=1 ! "
            f"appsink name=sink sync=false")
    pipeline = Gst.parse_launch(desc)
    src, sink = pipeline.get_by_name("src"), pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    buf = Gst.Buffer.new_wrapped(np.ascontiguousarray(x, dtype=np.float32).tobytes())
    buf.pts, buf.duration = 0, len(x) * Gst.SECOND // RATE
    src.emit("push-buffer", buf)
    src.emit("end-of-stream")
    bus, out, error = pipeline.get_bus(), [], None
    # Polled, not a blocking pull: a failing element posts an error and never lets EOS through.
    while error is None:
        sample = sink.emit("try-pull-sample", Gst.SECOND // 10)
        if sample is not None:
            b = sample.get_buffer()
            out.append(np.frombuffer(b.extract_dup(0, b.get_size()), dtype=np.float32))
        elif sink.get_property("eos"):
            break
        error = bus.pop_filtered(Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if error is not None:
        err, _ = error.parse_error()
        raise RuntimeError(f"codec pipeline '{chain}': {err.message}")
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def _envelope(x, width=80):
    return np.convolve(x.astype(np.float64) ** 2, np.ones(width) / width, "same")


def _align(x, y, max_lag):
    """y shifted so that it lines up with x (codec delay removed), cut/padded to len(x).
    Energy envelopes are matched, not waveforms: parametric codecs (AMR, GSM, Opus at low
    rates) do not keep the waveform, and its correlation peaks a pitch period off."""
    ex, ey = _envelope(x), _envelope(y)
    nfft = 1 << int(np.ceil(np.log2(len(ex) + len(ey))))
    corr = np.fft.irfft(np.fft.rfft(ey, nfft) * np.conj(np.fft.rfft(ex, nfft)), nfft)
    lag = int(np.argmax(corr[: max_lag + 1]))
    y = y[lag: lag + len(x)]
    return np.pad(y, (0, len(x) - len(y))).astype(np.float32)


def round_trip(x, name, bitrate=None):
    """x (float32, 16 kHz) encoded and decoded with codec `name`; same length as x."""
    rate, chain, rates = CODECS[name]
    if bitrate is None:
        bitrate = rates[0]
    # Trailing silence so that the codec's delay and look-ahead do not eat the clip's end.
    padded = np.concatenate([x, np.zeros(RATE // 8, np.float32)])
    y = _run(padded, rate, chain.format(bitrate=bitrate))
    return _align(x, y, max_lag=RATE // 10)


def random_round_trip(x, rng):
    name = list(CODECS)[rng.integers(len(CODECS))]
    rates = CODECS[name][2]
    return round_trip(x, name, rates[rng.integers(len(rates))])
