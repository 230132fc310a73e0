"""Synthetic speakers = (engine, voice, variant), and their speaker-disjoint split.

Split policy (documented in speakers.json too):
- espeak-ng: split by *variant* (the formant/pitch table): a test variant is never
  heard in training in any accent. Accents are spread over every split.
- flite and festival share recordings of the same humans (kal in flite kal/kal16
  and festival kal_diphone; slt in flite slt and festival slt HTS). Voices of one
  human go to one split, so no human voice leaks from training into test:
  train = slt (flite slt, festival slt HTS) + awb (flite);
  validation = ked (festival) + rms (flite);
  test = kal (flite kal, flite kal16, festival kal_diphone).
  Every engine thus has speakers in every split without pitch/rate sub-speakers.
- flite awb_time is a limited-domain voice (it can only say clock times) and the
  mbrola espeak voices need the absent mbrola binary: both are left out.
"""
import hashlib
import random
import re
import subprocess

ENGINES = ("espeak", "flite", "festival")
SPLITS = ("train", "validation", "test")

FLITE_SPLIT = {"slt": "train", "awb": "train", "rms": "validation", "kal": "test", "kal16": "test"}
FESTIVAL_SPLIT = {"cmu_us_slt_arctic_hts": "train", "ked_diphone": "validation",
                  "kal_diphone": "test"}
# Mean F0 (Hz) each voice is built around; per-clip pitch is drawn around it.
BASE_F0 = {"slt": 170, "cmu_us_slt_arctic_hts": 170}
ESPEAK_ACCENTS_PER_VARIANT = 3


def gsc_split(speaker_id):
    """The split TensorFlow's which_set() would give a clip of this speaker."""
    h = int(hashlib.sha1(speaker_id.encode()).hexdigest(), 16)
    pct = (h % (2 ** 27)) * (100.0 / (2 ** 27 - 1))
    return "validation" if pct < 10 else "test" if pct < 20 else "train"


def speaker_id(desc, split):
    """8 hex digits like GSC, chosen so which_set() hashing agrees with our lists."""
    for salt in range(10000):
        sid = hashlib.sha1(f"{desc}#{salt}".encode()).hexdigest()[:8]
        if gsc_split(sid) == split:
            return sid
    raise RuntimeError("no id found")


def espeak_voices():
    out = subprocess.run(["espeak-ng", "--voices=en"], capture_output=True, text=True).stdout
    voices = set()
    for line in out.splitlines()[1:]:
        f = line.split()
        if len(f) >= 5 and not f[4].startswith("mb/") and f[1] != "variant":
            voices.add(f[1])
    return sorted(voices)


def espeak_variants():
    out = subprocess.run(["espeak-ng", "--voices=variant"], capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines()[1:]:
        m = re.search(r"!v/(\S+)\s*(\(|$)", line)
        if m and "!v/" + m.group(1) + " " in line + " " and not re.search(r"!v/\S+ \S+\s*$", line.strip() + "  x"):
            names.add(m.group(1))
    # "Mr serious" has a space in its file name: espeak cannot address it with voice+variant.
    return sorted(names)


def flite_voices():
    out = subprocess.run(["flite", "-lv"], capture_output=True, text=True).stdout
    return sorted(v for v in out.split(":", 1)[1].split() if v != "awb_time")


def all_speakers(seed):
    """List of dicts {id, engine, voice, variant, split}, deterministic in seed."""
    rng = random.Random(f"speakers-{seed}")
    variants = ["none"] + espeak_variants()
    rng.shuffle(variants)
    n = len(variants)
    n_val = n_test = max(1, round(0.15 * n))
    split_of = {v: "test" for v in variants[:n_test]}
    split_of.update({v: "validation" for v in variants[n_test:n_test + n_val]})
    accents = espeak_voices()
    speakers = []
    for i, v in enumerate(sorted(variants)):
        # Rotate through accents so each variant gets a different trio.
        for j in range(ESPEAK_ACCENTS_PER_VARIANT):
            a = accents[(i * ESPEAK_ACCENTS_PER_VARIANT + j) % len(accents)]
            speakers.append(dict(engine="espeak", voice=a, variant=v, split=split_of.get(v, "train")))
    for v in flite_voices():
        speakers.append(dict(engine="flite", voice=v, variant="none", split=FLITE_SPLIT.get(v, "train")))
    for v in sorted(FESTIVAL_SPLIT):
        speakers.append(dict(engine="festival", voice=v, variant="none", split=FESTIVAL_SPLIT[v]))
    for s in speakers:
        s["id"] = speaker_id(f"{s['engine']}/{s['voice']}/{s['variant']}", s["split"])
    return speakers


def pools(speakers):
    """{(engine, split): [speaker, ...]} sorted by id."""
    p = {}
    for s in speakers:
        p.setdefault((s["engine"], s["split"]), []).append(s)
    for k in p:
        p[k].sort(key=lambda s: s["id"])
    return p
