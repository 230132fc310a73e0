#!/usr/bin/python3
"""A small gnuspeech-only sample to listen to before a full corpus build: every keyword by every
gnuspeech voice in a few tract variants, rendered as corpus clips (1 s, 16 kHz, placed and
levelled like train/make_corpus.py), with the time per clip and, where pocketsphinx is installed,
how many clips it recognises (default English model, and with a grammar of the keywords).

  /usr/bin/python3 -m train.make_gnuspeech_sample --out data/gnuspeech-sample [--variants 2] [--asr 20]
"""
import argparse
import json
import os
import pathlib
import random
import resource
import shutil
import subprocess
import tempfile
import time

from .corpus import build, plan, speakers, synth, words


def jobs_for(out, variants, seed):
    spk = [s for s in speakers.all_speakers(seed)
           if s["engine"] == "gnuspeech" and int(s["variant"][1:]) < variants]
    jobs = []
    for w in words.read_list("keywords.txt"):
        for s in spk:
            rng = plan.item_rng(seed, "gnuspeech-sample", w, s["id"])
            jobs.append(dict(word=w, engine="gnuspeech", voice=s["voice"], variant=s["variant"],
                             speaker=s["id"], seed=int(rng.integers(0, 2 ** 31)), out=str(out),
                             params=synth.draw_params(rng, "gnuspeech", s["voice"], s),
                             rel=f"{w}/{s['id']}_nohash_0.wav"))
    return jobs


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def asr(out, rels, keywords):
    """(correct with the default model, correct with a keyword grammar) over rels."""
    gram = tempfile.NamedTemporaryFile("w", suffix=".gram", delete=False)
    gram.write("#JSGF V1.0;\ngrammar kw;\npublic <kw> = " + " | ".join(keywords) + ";\n")
    gram.close()
    lm = gr = 0
    for rel in rels:
        cmd = ["pocketsphinx_continuous", "-infile", str(out / rel), "-logfn", "/dev/null"]
        said = subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
        said_g = subprocess.run(cmd + ["-jsgf", gram.name], capture_output=True, text=True).stdout.strip()
        word = rel.split("/")[0]
        lm += said == word
        gr += said_g == word
        print(f"  {rel}: {said!r} / grammar {said_g!r}")
    os.unlink(gram.name)
    return lm, gr


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="data/gnuspeech-sample")
    ap.add_argument("--variants", type=int, default=2, help="tract variants per voice")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--asr", type=int, default=20, help="clips checked with pocketsphinx (0: none)")
    a = ap.parse_args()
    out = pathlib.Path(a.out)
    if out.exists():
        shutil.rmtree(out)
    synth.ensure_gnuspeech()
    jobs = jobs_for(out, a.variants, a.seed)
    for w in {j["word"] for j in jobs}:
        (out / w).mkdir(parents=True)
    tmp = tempfile.mkdtemp(prefix="gnuspeech-sample-")
    for i, j in enumerate(jobs):
        j["batch_wav"] = f"g{i:04d}.wav"
    t0, c0 = time.time(), cpu_children()
    synth.gnuspeech_batch([(j["word"], j["voice"], j["params"], os.path.join(tmp, j["batch_wav"]))
                           for j in jobs], tmp)
    t1, c1 = time.time(), cpu_children()
    lengths = [build._render(j, tmp)[1] for j in jobs]
    t2 = time.time()
    shutil.rmtree(tmp)
    # Who is who, for listening: one line per speaker.
    spk = sorted({j["speaker"]: j for j in jobs}.items(), key=lambda kv: (kv[1]["voice"], kv[1]["variant"]))
    (out / "speakers.txt").write_text("".join(
        f"{i} {j['voice']} {j['variant']} {json.dumps(dict(tract=j['params']['tract'], trm=j['params']['trm']))}\n"
        for i, j in spk))
    n = len(jobs)
    print(f"{n} clips ({len({j['speaker'] for j in jobs})} speakers) in {out}; "
          f"{sum(1 for x in lengths if x == 0)} failed")
    print(f"synthesis: {(t1 - t0) / n:.2f} s/clip wall, {(c1 - c0) / n:.2f} s/clip CPU "
          f"(one node process); post-processing {(t2 - t1) / n:.3f} s/clip")
    print(f"speech per clip: {min(lengths) / 16000:.2f}-{max(lengths) / 16000:.2f} s")
    if a.asr and shutil.which("pocketsphinx_continuous"):
        # A seeded pick across words and speakers (every n-th clip would be one speaker's).
        rels = sorted(random.Random(a.seed).sample([j["rel"] for j in jobs], min(a.asr, n)))
        lm, gr = asr(out, rels, words.read_list("keywords.txt"))
        print(f"pocketsphinx: {lm}/{len(rels)} recognised with the default English model, "
              f"{gr}/{len(rels)} with a grammar of the 20 keywords")


if __name__ == "__main__":
    main()
