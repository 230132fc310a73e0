"""Shared pieces of the real-speech set: keyword/homophone text rules, the clip
record every source returns, Debian package fetching and audio decoding.

Nothing here runs at test time; the sources only read the unpacked packages."""
import hashlib
import os
import re
import subprocess
import zipfile
from dataclasses import dataclass, field

import numpy as np

SR = 16000
KEYWORDS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go",
            "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
UNKNOWN = "_unknown_"

# Words that sound like (or are) a keyword. A non-keyword clip may contain none of
# them, or the model's "false trigger" would be a correct detection. Spellings a
# recogniser or a file name may use for the same sound count too.
HOMOPHONES = {
    # same sound
    "know": "no", "noh": "no", "to": "two", "too": "two", "tu": "two", "for": "four", "fore": "four",
    "won": "one", "wan": "one", "ate": "eight", "write": "right", "rite": "right", "wright": "right",
    "nein": "nine",
    # the keyword inside or as a variant of the word (conservative: a detector
    # firing on these is arguably not a false trigger)
    "nope": "no", "nah": "no", "nooo": "no", "noo": "no", "yeah": "yes", "yep": "yes", "yea": "yes",
    "yessir": "yes", "gonna": "go", "goes": "go", "going": "go", "ups": "up", "upon": "up",
    "onto": "on", "into": "two", "stops": "stop", "alright": "right", "someone": "one",
    "anyone": "one", "everyone": "one", "fourteen": "four", "forty": "four", "sixteen": "six",
    "sixty": "six", "seventeen": "seven", "seventy": "seven", "eighteen": "eight", "eighty": "eight",
    "nineteen": "nine", "ninety": "nine", "offense": "off", "offence": "off", "often": "off",
}
# Words that are the keyword itself written differently.
SPELLINGS = {"0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five",
             "6": "six", "7": "seven", "8": "eight", "9": "nine", "ok": None}


_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n):
    """0..99 as words; longer numbers digit by digit."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    return " ".join(_ONES[int(c)] for c in str(n))


def words_of(text):
    """Lower-case word list; digits become number words ("green light in 5")."""
    out = []
    for w in re.findall(r"[a-z0-9']+", text.lower().replace("-", " ")):
        w = w.strip("'")
        if w in SPELLINGS and SPELLINGS[w]:
            out.append(SPELLINGS[w])
        elif w.isdigit():
            out.extend(number_words(int(w)).split())
        elif w:
            out.append(w)
    return out


def keyword_hits(text, homophones=True):
    """Keywords (and, by default, keyword homophones) that the text contains,
    as (word in text, keyword) pairs, in order."""
    hits = []
    for w in words_of(text):
        base = w[:-2] if w.endswith("'s") else w
        if base in KEYWORDS:
            hits.append((w, base))
        elif homophones and base in HOMOPHONES:
            hits.append((w, HOMOPHONES[base]))
    return hits


def has_keyword(text):
    """True when the text has a real keyword (not only a homophone): a phrase
    whose keyword can be cut out by alignment."""
    return bool(keyword_hits(text, homophones=False))


def exact_keyword(text):
    """The keyword when the whole text is exactly one keyword, else None."""
    w = words_of(text)
    return w[0] if len(w) == 1 and w[0] in KEYWORDS else None


def label_for_text(text):
    """(label, reason): a keyword for a one-keyword text, _unknown_ for a text
    free of keywords and homophones, or (None, why) when it mixes both."""
    kw = exact_keyword(text)
    if kw:
        return kw, None
    hits = keyword_hits(text)
    if hits:
        return None, "text contains keyword-like word(s): " + ", ".join(
            w if w == k else f"{w}~{k}" for w, k in hits)
    return UNKNOWN, None


def speaker_id(*parts):
    """`<short-package>-<voice>` with only [a-z0-9-]: no underscore, as file names
    are `<speaker>_nohash_<n>.wav`."""
    s = "-".join(str(p) for p in parts if p)
    s = re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")
    return re.sub(r"-+", "-", s)


@dataclass
class Clip:
    """One recording (or a cut of one) as a source found it.

    samples: float32 mono 16 kHz, the source's own level; text: what is said;
    label: a keyword or _unknown_; original: path inside the package (plus the
    zip member after '!'); how: filename | label-file | aligned | checked."""
    samples: np.ndarray
    text: str
    label: str
    speaker: str
    package: str
    original: str
    how: str
    note: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class Dropped:
    package: str
    original: str
    reason: str


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


class Package:
    """A Debian package fetched with `apt-get download` and unpacked with
    `dpkg -x` into <debs>/x/<name>/ (both steps are skipped when done before).
    only: shell patterns of the members to unpack (e.g. "*/Sounds/mk-viii/*"),
    for packages of gigabytes that hold a few recordings."""

    def __init__(self, name, debs, log=print, only=()):
        self.name = name
        self.debs = os.path.abspath(debs)
        self.root = os.path.join(self.debs, "x", name)
        self.log = log
        self.deb = self._fetch()
        self.version = subprocess.run(["dpkg-deb", "-f", self.deb, "Version"], capture_output=True,
                                      text=True, check=True).stdout.strip()
        done = os.path.join(self.root, ".unpacked")
        what = "\n".join(only)
        if not os.path.exists(done) or _read(done) != what:
            os.makedirs(self.root, exist_ok=True)
            if only:
                deb = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", self.deb], stdout=subprocess.PIPE)
                tar = subprocess.Popen(["tar", "-x", "-C", self.root, "--wildcards"] + list(only), stdin=deb.stdout)
                deb.stdout.close()   # tar holds the only read end, so dpkg-deb stops if tar fails
                for proc, cmd in ((tar, "tar -x --wildcards"), (deb, "dpkg-deb --fsys-tarfile")):
                    if proc.wait() != 0:
                        raise subprocess.CalledProcessError(proc.returncode, f"{cmd} {self.deb}")
            else:
                subprocess.run(["dpkg", "-x", self.deb, self.root], check=True)
            with open(done, "w") as f:
                f.write(what)

    def _fetch(self):
        os.makedirs(self.debs, exist_ok=True)
        have = sorted(f for f in os.listdir(self.debs) if f.startswith(self.name + "_") and f.endswith(".deb"))
        if not have:
            self.log(f"apt-get download {self.name}")
            subprocess.run(["apt-get", "download", "-q", self.name], cwd=self.debs, check=True,
                           stdout=subprocess.DEVNULL)
            have = sorted(f for f in os.listdir(self.debs) if f.startswith(self.name + "_") and f.endswith(".deb"))
        return os.path.join(self.debs, have[-1])

    def path(self, rel):
        return os.path.join(self.root, rel.lstrip("/"))

    def rel(self, path):
        return "/" + os.path.relpath(path, self.root)

    def zip(self, rel):
        return zipfile.ZipFile(self.path(rel))


def _sox(args_in, data=None):
    raw = subprocess.run(["sox", "-R", "-V1"] + args_in + ["-t", "raw", "-e", "floating-point", "-b", "32",
                                                           "-c", "1", "-r", str(SR), "-"],
                         input=data, capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype="<f4").astype(np.float32)


def _gst(path):
    """Anything GStreamer can decode, as 16 kHz mono S16 (for formats sox lacks)."""
    raw = subprocess.run(["gst-launch-1.0", "-q", "filesrc", f"location={path}", "!", "decodebin", "!",
                          "audioconvert", "!", "audioresample", "!",
                          f"audio/x-raw,rate={SR},channels=1,format=S16LE", "!", "fdsink", "fd=1"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0


def decode(path_or_bytes, suffix=None, raw_rate=None, raw_encoding="signed"):
    """Decode to float32 mono 16 kHz (sox -R: no dither, repeatable). Bytes need a
    suffix (zip members); headerless files need raw_rate, and raw_encoding
    "signed" (16-bit) or "u-law" (8-bit, as a SPARCstation's /dev/audio took)."""
    if isinstance(path_or_bytes, (bytes, bytearray)):
        kind = (suffix or "wav").lstrip(".").lower()
        try:
            return _sox(["-t", kind, "-"], bytes(path_or_bytes))
        except subprocess.CalledProcessError:
            import tempfile
            with tempfile.NamedTemporaryFile(suffix="." + kind) as f:
                f.write(path_or_bytes)
                f.flush()
                return _gst(f.name)
    if raw_rate:
        bits = {"signed": "16", "u-law": "8"}[raw_encoding]
        return _sox(["-t", "raw", "-e", raw_encoding, "-b", bits, "-c", "1", "-r", str(raw_rate), path_or_bytes])
    try:
        return _sox([path_or_bytes])
    except subprocess.CalledProcessError:
        return _gst(path_or_bytes)


def digest(x):
    return hashlib.sha1(np.asarray(x, dtype=np.float32).tobytes()).hexdigest()[:16]


class Context:
    """What a source gets: packages (fetched once), the pocketsphinx helper, a log."""

    def __init__(self, debs, sphinx, log=print):
        self.debs, self.sphinx, self.log = debs, sphinx, log
        self.packages = {}

    def package(self, name, only=()):
        if name not in self.packages:
            self.packages[name] = Package(name, self.debs, self.log, only)
        return self.packages[name]


def files_clip(package, pkg, path, text, label, speaker, how, x=None, note=""):
    """A whole-file clip from an unpacked package path."""
    return Clip(decode(path) if x is None else x, text, label, speaker, package, pkg.rel(path), how, note)


def named_clips(package, pkg, paths, speaker, text_of, skip=None, **decode_args):
    """Whole-file clips whose text the file name gives (text_of(stem)). Stems in skip
    ({stem: reason}) are dropped with their reason, and texts that mix a keyword with other
    words by the text rules; decode_args go to decode() (headerless files).
    Returns (clips, drops)."""
    clips, drops = [], []
    for f in paths:
        stem, rel = os.path.splitext(os.path.basename(f))[0], pkg.rel(f)
        if skip and stem in skip:
            drops.append(Dropped(package, rel, skip[stem]))
            continue
        text = text_of(stem)
        label, why = label_for_text(text)
        if label is None:
            drops.append(Dropped(package, rel, why))
            continue
        x = decode(f, **decode_args) if decode_args else None
        clips.append(files_clip(package, pkg, f, text, label, speaker, "filename", x=x))
    return clips, drops


def split_at_pauses(x, max_s=4.0, min_s=1.0, dip_db=20.0):
    """Cut a long recording into pieces no longer than max_s at its quietest
    moments: greedily, each cut goes to the lowest (50 ms smoothed) energy
    frame between min_s and max_s after the previous cut -- a pause, or the
    dip between two words in continuous reading. A cut needs a dip at least
    dip_db under the loudest frame; returns [] when there is none."""
    from ..corpus.audio import frame_db
    hop = 160
    db = np.convolve(frame_db(x, 320, hop), np.ones(5) / 5, mode="same")
    limit = int(max_s * SR)
    cuts, start = [0], 0
    while len(x) - start > limit:
        lo, hi = (start + int(min_s * SR)) // hop, (start + limit) // hop
        if hi <= lo:
            return []
        k = lo + int(np.argmin(db[lo:hi]))
        if db[k] > db.max() - dip_db:
            return []
        start = k * hop + hop // 2
        cuts.append(start)
    cuts.append(len(x))
    return [x[a:b] for a, b in zip(cuts[:-1], cuts[1:])]
