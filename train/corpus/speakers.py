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
# Engines a corpus build only uses when asked (make_corpus.py --engines): planned after ENGINES
# so the clips of ENGINES stay the same with or without them.
OPT_IN_ENGINES = ("gnuspeech",)
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
    """List of dicts {id, engine, voice, variant, split}, deterministic in seed; gnuspeech
    speakers also carry their tract ("tract", "trm")."""
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
    speakers += gnuspeech_speakers(seed)
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


# Gnuspeech (articulatory synthesis, train/corpus/gnuspeech). Kept out of the module docstring,
# which speakers.json quotes, so corpora without gnuspeech keep their metadata byte for byte.
GNUSPEECH_POLICY = """gnuspeech: a speaker is one of the engine's voices (male, female,
large_child) with its own tract: vocal tract length, glottal pitch, pulse shape, breathiness, tube
radii, nasal and lip openings and tube losses drawn once per variant (speakers.gnuspeech_tract).
Split by variant as for espeak-ng: per voice, one variant is validation, one test, the rest train,
so every voice is in every split but no tract is heard in two. small_child and baby are left out:
pocketsphinx recognises 1/20 keywords on them (male 17/20), and 4-5/20 once their formants are
warped down to adult size (large_child: 9/20)."""
GNUSPEECH_VOICES = ("male", "female", "large_child")
GNUSPEECH_VARIANTS = 8
# Vocal tract length (cm) range per voice around the package's own (17.5, 15, 12.5); the child's
# sits above its default, where recognition holds up (11.5 cm: 7/20, 12.5: 10/20, 14: 13/20).
GNUSPEECH_LENGTH = {"male": (16.0, 19.0), "female": (13.8, 16.4), "large_child": (12.0, 14.0)}
# The voice files' reference_glottal_pitch (semitones); each variant moves it by up to 3.
GNUSPEECH_PITCH = {"male": -12.0, "female": 0.0, "large_child": 2.5}


def gnuspeech_tract(voice, k):
    """The fixed tract of variant k of a voice: overrides of its voice file ("tract") and of
    trm.txt ("trm"). Each range was tried alone at (or past) its ends on the 20 keywords with
    pocketsphinx and a keyword grammar: 12-18/20 recognised, as with the voices' defaults (male
    17, female 12, large_child 10/20); beyond them (tract 20.5 cm, breathiness 8 %, child tract
    11.5 cm) recognition drops.
    Seeded by name, not by the corpus seed: a speaker id always means the same voice."""
    rng = random.Random(f"gnuspeech/{voice}/{k}")
    u = rng.uniform
    tn = u(18, 34)
    tract = dict(vocal_tract_length=round(u(*GNUSPEECH_LENGTH[voice]), 2),
                 reference_glottal_pitch=round(GNUSPEECH_PITCH[voice] + u(-3, 3), 2),
                 glottal_pulse_tp=round(u(32, 48), 1),
                 glottal_pulse_tn_min=round(tn, 1),
                 glottal_pulse_tn_max=round(tn + u(0, 8), 1),
                 breathiness=round(u(0.3, 4.0), 2),
                 global_radius_coef=round(u(0.92, 1.08), 3),
                 global_nose_radius_coef=round(u(0.8, 1.25), 3),
                 aperture_radius=round(3.05 * u(0.9, 1.1), 3))
    trm = dict(temperature=round(u(27, 37), 1),
               loss_factor=round(u(0.6, 1.3), 2),
               mouth_coefficient=round(u(3500, 7500)),
               throat_volume=round(u(2, 14), 1),
               mix_offset=round(u(44, 54), 1))
    return tract, trm


def gnuspeech_speakers(seed):
    """Gnuspeech speakers (without ids) and their split; the split follows the corpus seed."""
    rng = random.Random(f"gnuspeech-speakers-{seed}")
    out = []
    for voice in GNUSPEECH_VOICES:
        order = list(range(GNUSPEECH_VARIANTS))
        rng.shuffle(order)
        split_of = {order[0]: "test", order[1]: "validation"}
        for k in range(GNUSPEECH_VARIANTS):
            tract, trm = gnuspeech_tract(voice, k)
            out.append(dict(engine="gnuspeech", voice=voice, variant=f"t{k}",
                            split=split_of.get(k, "train"), tract=tract, trm=trm))
    return out
