"""Builds a Speech-Commands-v2-layout corpus from TTS engines + klettres."""
import collections
import json
import multiprocessing as mp
import os
import pathlib
import shutil
import tempfile
import time

import numpy as np

from .. import wav
from . import audio, klettres, noise, plan, speakers, synth, words

MAX_WORD = int(0.98 * audio.SR)
NOISE_SECONDS = 70
# Engines synthesised in batches before rendering (their start-up costs more than a word):
# _render reads their output from the temporary folder.
BATCHED = ("festival", "gnuspeech")
GNUSPEECH_BATCH = 200


def _render(job, fest_dir):
    """Synthesise + post-process one clip; returns (rel, samples of speech) or (rel, 0) on failure."""
    p = job["params"]
    speed = 1.0
    for _attempt in range(4):
        if job["engine"] == "espeak":
            x, rate = synth.espeak(job["word"], job["voice"], job["variant"], p, speed)
        elif job["engine"] == "flite":
            x, rate = synth.flite(job["word"], job["voice"], p, speed, tmpdir=fest_dir)
        else:
            x, rate = wav.read_wav(os.path.join(fest_dir, job["batch_wav"]))
        w = synth.finish(x, rate, p)
        if len(w) <= MAX_WORD:
            break
        if job["engine"] in BATCHED:  # no cheap re-synthesis: compress in time instead
            w = audio.warp(w, len(w) / (0.9 * audio.SR))[:MAX_WORD]
            break
        speed *= len(w) / (0.9 * audio.SR)
    if len(w) == 0:
        return job["rel"], 0
    rng = np.random.default_rng(job["seed"])
    x = audio.place_in_second(w[:MAX_WORD], rng)
    x = x + rng.standard_normal(len(x)).astype(np.float32) * 10 ** (-80 / 20)  # no digital silence
    wav.write_wav(os.path.join(job["out"], job["rel"]), x)
    return job["rel"], len(w)


def _render_star(args):
    return _render(*args)


def _festival_chunk(args):
    voice, items = args
    synth.festival_batch(items, voice, os.path.dirname(items[0][2]))
    return len(items)


def _gnuspeech_chunk(items):
    synth.gnuspeech_batch(items, os.path.dirname(items[0][3]))
    return len(items)


def _klettres_one(args):
    path, out, rel, seed = args
    x = klettres.clip(pathlib.Path(path), np.random.default_rng(seed))
    wav.write_wav(os.path.join(out, rel), x)
    return rel


def _log(msg, t0):
    print(f"[{time.time() - t0:7.1f}s] {msg}", flush=True)


def build(out, seed=1, per_word=180, jobs=2, tiny=False, held_per_word=None, engines=speakers.ENGINES):
    """engines: any of speakers.ENGINES + OPT_IN_ENGINES; the default three give the same corpus
    as before opt-in engines existed."""
    t0 = time.time()
    engines = tuple(engines)
    unknown_engines = set(engines) - set(speakers.ENGINES + speakers.OPT_IN_ENGINES)
    if unknown_engines:
        raise SystemExit(f"unknown engines {sorted(unknown_engines)}")
    if "gnuspeech" in engines:
        synth.ensure_gnuspeech()
    out = pathlib.Path(out)
    if out.exists():
        if not (out / "speakers.json").exists() and any(out.iterdir()):
            raise SystemExit(f"{out} exists and is not a corpus made by this tool; not overwriting")
        shutil.rmtree(out)
    out.mkdir(parents=True)

    keywords, aux, unknown, near, removed = words.word_sets()
    if not tiny:
        words.write_removed(removed)
    spk = speakers.all_speakers(seed)
    pools = {k: v for k, v in speakers.pools(spk).items() if k[0] in engines}
    if tiny:
        keywords, aux = keywords[:2], []
        unknown = ["yet", "nose", "table"]
        near = {"yet", "nose"}
        pools = {k: v[:2] for k, v in pools.items()}
        sizes = {"keyword": {"train": 6, "validation": 3, "test": 3},
                 "near_miss": {"train": 3, "validation": 1, "test": 1},
                 "unknown": {"train": 3, "validation": 1, "test": 1}}
    else:
        sizes = plan.default_sizes(per_word, held_per_word)
    used_ids = {s["id"] for v in pools.values() for s in v}
    word_kinds = ([(w, "keyword") for w in keywords] + [(w, "auxiliary") for w in aux]
                  + [(w, "near_miss" if w in near else "unknown") for w in unknown])
    jobs_list = plan.make_plan(seed, word_kinds, pools, sizes, engines)
    for w, _ in word_kinds:
        (out / w).mkdir()
    _log(f"{len(jobs_list)} TTS clips planned, {len(word_kinds)} words", t0)

    tmp = tempfile.mkdtemp(prefix="corpus-")
    ctx = mp.get_context("fork")
    with ctx.Pool(jobs) as pool:
        # Festival: one process per chunk of one voice (start-up costs ~0.5 s).
        fest = collections.defaultdict(list)
        gs = []
        for i, j in enumerate(jobs_list):
            j["out"] = str(out)
            if j["engine"] == "festival":
                j["batch_wav"] = f"f{i:06d}.wav"
                fest[j["voice"]].append((j["word"], j["params"], os.path.join(tmp, j["batch_wav"])))
            elif j["engine"] == "gnuspeech":
                j["batch_wav"] = f"g{i:06d}.wav"
                gs.append((j["word"], j["voice"], j["params"], os.path.join(tmp, j["batch_wav"])))
        if fest:
            chunks = [(v, items[k:k + 150]) for v, items in sorted(fest.items()) for k in range(0, len(items), 150)]
            n = sum(pool.imap_unordered(_festival_chunk, chunks))
            _log(f"festival: {n} utterances in {len(chunks)} batches", t0)
        if gs:
            # Even chunks, so both workers finish together.
            n_chunks = max(jobs, -(-len(gs) // GNUSPEECH_BATCH))
            chunks = [c for c in (gs[k::n_chunks] for k in range(n_chunks)) if c]
            n = sum(pool.imap_unordered(_gnuspeech_chunk, chunks))
            _log(f"gnuspeech: {n} utterances in {len(chunks)} batches", t0)
        lengths = dict(pool.imap_unordered(_render_star, [(j, tmp) for j in jobs_list], chunksize=8))
        _log("TTS clips rendered", t0)

        # klettres: language folder = speaker, held-out languages -> test.
        kl_meta, kl_jobs, kl_excluded = [], [], []
        for lang, items in klettres.files(limit_per_lang=3 if tiny else None).items():
            if tiny and lang not in ("es", "en"):
                continue
            split = "test" if lang in klettres.TEST_LANGS else "train"
            sid = speakers.speaker_id(f"klettres/{lang}", split)
            k = 0
            for path, why in items:
                if why:
                    kl_excluded.append((f"{lang}/{path.relative_to(klettres.ROOT / lang)}", why))
                    continue
                rel = f"klettres/{sid}_nohash_{k}.wav"
                k += 1
                kl_jobs.append((str(path), str(out), rel, int(plan.item_rng(seed, "klettres", rel).integers(2 ** 31))))
            kl_meta.append(dict(id=sid, engine="klettres", voice=lang, variant="human recording",
                                split=split, clips=k))
        (out / "klettres").mkdir()
        list(pool.imap_unordered(_klettres_one, kl_jobs, chunksize=8))
        _log(f"klettres: {len(kl_jobs)} clips", t0)
    shutil.rmtree(tmp)

    failed = sorted(rel for rel, n in lengths.items() if n == 0)
    jobs_list = [j for j in jobs_list if lengths.get(j["rel"], 0) > 0]
    kl_split = {m["id"]: m["split"] for m in kl_meta}

    # Background noise from training material only.
    nd = out / "_background_noise_"
    nd.mkdir()
    nrng = np.random.default_rng(seed)
    n = (6 if tiny else NOISE_SECONDS) * audio.SR
    wav.write_wav(nd / "white_noise.wav", noise.white(n, nrng))
    wav.write_wav(nd / "pink_noise.wav", noise.pink(n, nrng))
    wav.write_wav(nd / "brown_noise.wav", noise.brown(n, nrng))
    wav.write_wav(nd / "hum_50hz.wav", noise.hum(n, nrng, 50))
    wav.write_wav(nd / "hum_60hz.wav", noise.hum(n, nrng, 60))
    train_rel = [j["rel"] for j in jobs_list if j["split"] == "train"]
    pick = sorted(nrng.choice(len(train_rel), size=min(400, len(train_rel)), replace=False))
    tts = [wav.read_wav(str(out / train_rel[i]))[0] for i in pick]
    wav.write_wav(nd / "babble_tts.wav", noise.babble(tts, n, nrng))
    kl_train = [r for _, _, r, _ in kl_jobs if kl_split[r.split("/")[1].split("_")[0]] == "train"]
    kl_clips = [wav.read_wav(str(out / r))[0] for r in kl_train]
    if kl_clips:
        wav.write_wav(nd / "babble_klettres.wav", noise.babble(kl_clips, n, nrng, talkers=4))
    (nd / "README.md").write_text(
        "Synthetic noises (white, pink, brown, 50/60 Hz hum) and babble made only from\n"
        "training speakers (TTS train split; klettres train languages). Seeded, 16 kHz mono.\n")
    _log("background noise written", t0)

    # Lists, metadata, summary.
    val = sorted(j["rel"] for j in jobs_list if j["split"] == "validation")
    test = sorted([j["rel"] for j in jobs_list if j["split"] == "test"]
                  + [r for _, _, r, _ in kl_jobs if kl_split[r.split("/")[1].split("_")[0]] == "test"])
    kl_test = sorted(r for r in test if r.startswith("klettres/"))
    (out / "validation_list.txt").write_text("".join(r + "\n" for r in val))
    (out / "testing_list.txt").write_text("".join(r + "\n" for r in test))
    (out / "klettres_test_list.txt").write_text("".join(r + "\n" for r in kl_test))
    policy = speakers.__doc__.strip()
    if "gnuspeech" in engines:
        policy += "\n" + speakers.GNUSPEECH_POLICY
    meta = dict(
        seed=seed, tiny=tiny, keywords=keywords,
        split_policy=policy,
        klettres_policy=(f"language folder = one speaker; held-out test languages {list(klettres.TEST_LANGS)}; "
                         f"recordings whose text sounds like a keyword removed: "
                         f"{sorted(set(w for _, w in kl_excluded))} -> {[p for p, _ in kl_excluded]}"),
        speakers=[dict(s, clips=sum(1 for j in jobs_list if j["speaker"] == s["id"]))
                  for s in spk if s["id"] in used_ids] + kl_meta,
        failed_clips=failed)
    (out / "speakers.json").write_text(json.dumps(meta, indent=1) + "\n")
    write_readme(out, jobs_list, kl_meta, keywords, aux, unknown, near, removed, failed, time.time() - t0,
                 engines)
    _log(f"done: {len(jobs_list)} TTS clips ({len(failed)} failed), {len(kl_jobs)} klettres clips", t0)
    return out


def write_readme(out, jobs_list, kl_meta, keywords, aux, unknown, near, removed, failed, secs,
                 engines=speakers.ENGINES):
    c = collections.Counter
    by_split_engine = c((j["split"], j["engine"]) for j in jobs_list)
    by_word_split = c((j["word"], j["split"]) for j in jobs_list)
    spk_split = c((j["engine"], j["split"]) for j in {(j["speaker"], j["engine"], j["split"]): j
                                                       for j in jobs_list}.values())
    L = [f"Synthetic Speech-Commands-style corpus (train/make_corpus.py), built in {secs:.0f} s.", "",
         f"keywords: {len(keywords)}; auxiliary SC words: {len(aux)}; other unknown words: {len(unknown)} "
         f"({len(near)} near-misses get more clips); removed candidates: {len(removed)} "
         f"(train/words/removed_homophones.txt); failed clips: {len(failed)}", "",
         "clips per split and engine:"]
    for s in speakers.SPLITS:
        L.append(f"  {s:10s} " + "  ".join(f"{e}={by_split_engine[(s, e)]}" for e in engines)
                 + f"  total={sum(by_split_engine[(s, e)] for e in engines)}")
    L.append("speakers used per split and engine:")
    for s in speakers.SPLITS:
        L.append(f"  {s:10s} " + "  ".join(f"{e}={spk_split[(e, s)]}" for e in engines))
    L.append("klettres (real human, language folder = speaker):")
    for s in ("train", "test"):
        ms = [m for m in kl_meta if m["split"] == s]
        L.append(f"  {s:10s} speakers={len(ms)} clips={sum(m['clips'] for m in ms)} "
                 f"({', '.join(m['voice'] for m in ms)})")
    L.append("clips per word (train/validation/test):")
    for w in keywords + aux:
        L.append(f"  {w:10s} " + "/".join(str(by_word_split[(w, s)]) for s in speakers.SPLITS))
    unk = [j for j in jobs_list if j["kind"] in ("unknown", "near_miss")]
    L.append("  other unknown words total: " + "/".join(str(sum(1 for j in unk if j["split"] == s))
                                                      for s in speakers.SPLITS))
    (out / "README.txt").write_text("\n".join(L) + "\n")
