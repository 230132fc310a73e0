#!/usr/bin/python3
"""Writes the model report (models/REPORT.md) from the model file, its evaluation and its
training log; every number is taken from those files, none is typed in.

  /usr/bin/python3 -m train.make_report --model models/default.safetensors \
      --eval models/eval-default.json --train-log models/default.train.json \
      [--loeo espeak=models/eval-loeo-espeak.json ...] [--extra NAME=eval.json ...] \
      [--notes notes.md] --out models/REPORT.md
"""
import argparse
import datetime
import hashlib
import json
import os
import shlex
import sys

from . import report_real, safetensors_io
from .element_cli import element_defaults
from .eval_plots import training_curve_png
from .mega_config import macs_per_frame
from .mega_ref import count_params
from .model_io import load_model
from .report_md import fmt, table

ENGINES = ("espeak", "flite", "festival")
LOEO_ENGINES = ENGINES + ("gnuspeech",)
NOTES_MARK = "<!-- WHAT WAS TRIED: replace this block, or pass --notes FILE -->"


def status(ok):
    return "n/a" if ok is None else ("**met**" if ok else "**MISSED**")


def pairs(items):
    out = []
    for it in items or []:
        name, _, path = it.partition("=")
        out.append((name, json.load(open(path))))
    return out


def loeo_row(engine, ev):
    """One leave-one-engine-out result, from train/evaluate.py --clips-only --engines ENGINE on a
    model trained with train.py --exclude-engine ENGINE."""
    g = ev["clips"]["element"]["per_group"].get(engine, {})
    t = ev["clips"].get("transfer", {}).get(engine, {})
    return {"model": os.path.basename(ev["model"]), "how": "element, test split", "keyword_clips": g.get("keyword_clips"),
            "keyword_accuracy": g.get("keyword_accuracy"), "unknown_clips": g.get("unknown_clips"),
            "unknown_exact": g.get("unknown_exact"), "keyword_identity": t.get("keyword_identity"),
            "auc": t.get("keyword_vs_unknown_auc")}


def read_train_log(path):
    """train.py's JSON log, or (a run still going or stopped) its stdout: JSON lines of the curve."""
    text = open(path).read()
    try:
        return json.loads(text)
    except ValueError:
        curve = []
        for line in text.splitlines():
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict) and "step" in obj:
                curve.append(obj)
        return {"curve": curve} if curve else None


def corpus_blocks(corpus):
    """The split tables of the corpus README, verbatim."""
    path = os.path.join(corpus, "README.txt")
    if not os.path.exists(path):
        return None
    lines = open(path).read().splitlines()
    keep, on = [], False
    for l in lines:
        if l.startswith(("clips per split", "speakers used", "klettres")):
            on = True
        elif l.startswith("clips per word"):
            on = False
        if on or l.startswith("keywords:"):
            keep.append(l)
    return "\n".join(keep)


def streams_summary(folder):
    path = os.path.join(folder, "manifest.json")
    if not os.path.exists(path):
        return None
    m = json.load(open(path))
    rows, total = [], {"s": 0.0, "kw": 0, "unk": 0}
    for s in m["streams"]:
        kw = sum(v for k, v in s["counts"].items() if not k.startswith("_"))
        unk = s["counts"].get("_unknown_", 0)
        rows.append([s["name"], f"{s['seconds']:.0f}", s["noise"], "clean" if s["snr_db"] is None else s["snr_db"], kw, unk])
        total["s"] += s["seconds"]
        total["kw"] += kw
        total["unk"] += unk
    return rows, total


def clip_section(ev, rel):
    c = ev.get("clips_at_recommended") or ev["clips"]
    e, t = c["element"], c["torch"]
    st = c.get("settings", ev["element_defaults_at_evaluation"])
    lines = [f"{c['clips']} clips: the corpus's test split (`testing_list.txt`: held-out synthetic speakers and "
             f"held-out klettres recordings) plus {c['silence_clips_from_streams']} one-second noise-only windows "
             "cut from the gaps of the test streams as `_silence_` (the corpus has no silence clips; the trainer "
             "makes silence from noise). Each clip is decided by the element's end-of-stream summary rule "
             "(`megaclassify-summary`: per label the peak smoothed posterior; the best keyword reaching the "
             "threshold, else `_unknown_` if it reaches it, else `_silence_`) at "
             + ("the recommended defaults below" if "clips_at_recommended" in ev else "the element's defaults")
             + f" (threshold {st['threshold']:g}, smoothing {st['smoothing_ms']:g} ms, minimum-count "
             f"{st['minimum_count']}), once by the PyTorch reference "
             "(`decision.clip_decision` on its posteriors) and once by the real element "
             "(`mega-classify --clip`, i.e. `uridecodebin ! audioconvert ! megaclassify`).", ""]
    rows = []
    for name, key in (("all (22 classes)", "all"), ("without klettres", "synthetic_and_noise")):
        rows.append([name, e[key]["clips"], fmt(e[key]["accuracy"], " %"), fmt(t[key]["accuracy"], " %")])
    lines.append(table(["set", "clips", "element", "PyTorch"], rows))
    lines += ["", f"Element minus PyTorch: {c['accuracy_difference_points']:+.2f} points; the two take the same "
              f"decision on {c['decision_agreement_percent']:.2f} % of clips; largest difference of any clip score "
              f"{c['max_abs_clip_score_difference']:.2e}.", ""]
    rows = []
    for g, b in e["per_group"].items():
        rows.append([g, b["clips"], fmt(b["accuracy"], " %"), fmt(b["keyword_accuracy"], " %"),
                     fmt(b["keyword_rejected"], " %"), fmt(b["unknown_rejection"], " %"), fmt(b["unknown_exact"], " %")])
    lines.append("Per engine (element). *keyword acc.*: keyword clips given their own label; *keyword rejected*: "
                 "keyword clips given a background label; *unknown rejected*: unknown-word clips given no keyword; "
                 "*unknown exact*: given `_unknown_`.")
    lines += ["", table(["group", "clips", "accuracy", "keyword acc.", "keyword rejected", "unknown rejected",
                         "unknown exact"], rows), ""]
    lines.append("Per class (element): " + ", ".join(f"{k} {v:.0f}%" for k, v in e["per_class_accuracy"].items()))
    lines += ["", f"![confusion matrix]({rel(c['confusion_png'])})", ""]
    if "clips_at_recommended" in ev:
        h = ev["clips"]
        lines += [f"At the element's defaults when evaluated (threshold {h['settings']['threshold']:g}, smoothing "
                  f"{h['settings']['smoothing_ms']:g} ms) the same clips give {fmt(h['element']['all']['accuracy'], ' %')} "
                  f"(element), {fmt(h['torch']['all']['accuracy'], ' %')} (PyTorch); klettres taken for a keyword "
                  f"{fmt(h['element']['klettres_as_keyword'], ' %')}.", ""]
    if c["disagreements"]:
        lines.append("Clips where element and PyTorch decide differently (file, PyTorch, element): " +
                     "; ".join(f"`{f}` {a}/{b}" for f, a, b in c["disagreements"][:10]))
        lines.append("")
    return lines


def stream_section(ev, rel, streams_dir):
    s = ev["streaming"]
    r, k, rec = s["at_recommended"], s["klettres_at_recommended"], s["recommended_defaults"]
    lines = []
    summ = streams_summary(streams_dir)
    if summ:
        rows, tot = summ
        lines.append(f"Test streams (`{streams_dir}`, train/make_streams.py): {len(rows)} streams, "
                     f"{tot['s'] / 60:.0f} minutes, {tot['kw']} keywords and {tot['unk']} unknown words "
                     "(synthetic test speakers and held-out klettres recordings) at random times with random "
                     "pauses, clean or in noise at several SNRs:")
        lines += ["", table(["stream", "seconds", "noise", "SNR dB", "keywords", "unknown"], rows), ""]
    lines += [f"Each stream goes through the real element (`mega-classify --events`). Scoring: {s['matching']}. "
              f"The klettres-only streams ({s['klettres_streams']} streams, {fmt(k and k['hours'] * 60, ' min', 0)}) "
              "hold no keyword: every detection there is a false alarm.", "",
              f"**Recommended element defaults: threshold {rec['threshold']:g}, smoothing {rec['smoothing_ms']:g} ms, "
              f"suppression {rec['suppression_ms']:g} ms** (minimum-count {s['minimum_count']}). Why: {rec['reason']}.",
              "", "At these settings:", ""]
    rows = [["recall (all keywords)", f"{fmt(r['recall'], ' %')} ({r['hits']}/{r['keywords']})"],
            ["false alarms per hour, test streams", f"{fmt(r['false_alarms_per_hour'], nd=1)} ({r['false_alarms']} in "
             f"{r['hours'] * 60:.0f} min, {r['substitutions']} of them a wrong keyword on a keyword)"],
            ["false alarms per hour, klettres streams",
             "n/a" if not k else f"{fmt(k['false_alarms_per_hour'], nd=1)} ({k['false_alarms']} in {k['hours'] * 60:.0f} min)"],
            ["latency after the keyword's end, median", fmt(r["latency_median_ms"], " ms", 0)],
            ["latency after the keyword's end, 95th percentile", fmt(r["latency_p95_ms"], " ms", 0)]]
    lines += [table(["measure", "value"], rows), ""]
    lines += ["Per SNR: " + "; ".join(f"{n}: recall {fmt(v['recall'], ' %', 1)}, {v['false_alarms']} false alarms"
                                      for n, v in r["per_snr"].items()), "",
              "Recall per keyword: " + ", ".join(f"{w} {v:.0f}%" for w, v in r["recall_per_keyword"].items()), ""]
    lines.append(f"Resolution: {r['hours'] * 60:.0f} minutes of streams means one false alarm is "
                 f"{1 / max(r['hours'], 1e-9):.1f} per hour, so <= 1 per hour here means none at all.")
    lines += ["", f"![DET curve]({rel(s['det_png'])})", "",
              "The whole grid (each row one run of the element over all streams):", ""]
    rows = [[g["threshold"], f"{g['smoothing_ms']:g}", f"{g['suppression_ms']:g}", fmt(g["recall"], " %", 1),
             fmt(g["false_alarms_per_hour"], nd=1), fmt(g.get("klettres_false_alarms_per_hour"), nd=1),
             fmt(g["latency_median_ms"], " ms", 0)]
            for g in sorted(s["grid"], key=lambda g: (g["smoothing_ms"], g["suppression_ms"], g["threshold"]))]
    lines += [table(["threshold", "smoothing ms", "suppression ms", "recall", "FA/h", "klettres FA/h",
                     "median latency"], rows), ""]
    return lines


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--eval", required=True)
    ap.add_argument("--train-log")
    ap.add_argument("--phase2-log", help="train.json of a run continued from --train-log's best "
                    "checkpoint (e.g. on all speakers) whose final weights are the model file")
    ap.add_argument("--phase3-log", action="append", help="train.json of a run continued from phase 2's "
                    "final weights whose final weights are the model file (given once per run, like "
                    "--phase4-log)")
    ap.add_argument("--phase4-log", action="append", help="train.json of a run continued from phase 3's "
                    "weights whose weights are the model file; given for each of several runs (seeds) "
                    "whose averaged weights are the model file (train/average_weights.py)")
    ap.add_argument("--corpus", default="data/corpus")
    ap.add_argument("--streams", default="data/streams")
    ap.add_argument("--loeo", action="append", help="ENGINE=eval.json of a model trained without ENGINE")
    ap.add_argument("--extra", action="append", help="NAME=eval.json: an ablation row")
    ap.add_argument("--notes", help="markdown with what was tried (replaces the placeholder)")
    ap.add_argument("--shipped", help="CLIPS_EVAL.json: the element's shipped defaults differ from the "
                    "recommended point; report the targets at them: clips from this evaluation "
                    "(evaluate.py --clips-only at the shipped defaults), streams from the grid point "
                    "with the same threshold/smoothing/suppression")
    ap.add_argument("--real", default="data/real", help="the real-recordings set (for its counts)")
    ap.add_argument("--peer", help="peer_pocketsphinx.py's JSON on the same real-dev material")
    ap.add_argument("--looks-log", default="models/studies/real-dev-looks.jsonl")
    ap.add_argument("--real-ablation", action="append", help="NAME=eval.json: a row of the real-voices "
                    "ablation table (evaluate.py with --real)")
    ap.add_argument("--out", required=True)
    return ap.parse_args(argv)


def measured_point(a, ev):
    """The clip results and stream points the targets are judged at: the recommended defaults
    of the evaluation's grid, or with --shipped the element's shipped ones -> (clips, streams
    point, klettres-streams point, words for where)."""
    clips = ev.get("clips_at_recommended") or ev["clips"]
    st = ev.get("streaming")
    r = st["at_recommended"] if st else None
    k = st["klettres_at_recommended"] if st else None
    where = "recommended element defaults" if st else "element's defaults"
    if a.shipped:
        clips = json.load(open(a.shipped))["clips"]
        want = dict(clips["settings"], suppression_ms=element_defaults()["suppression_ms"])
        point = [g for g in st["grid"] if all(abs(g[x] - want[x]) < 1e-9 for x in
                                              ("threshold", "smoothing_ms", "suppression_ms"))]
        if len(point) != 1:
            raise SystemExit(f"{a.eval}: no stream grid point at the shipped settings {want}")
        r = point[0]
        k = {"false_alarms_per_hour": r["klettres_false_alarms_per_hour"]}
        where = "shipped element defaults"
    return clips, r, k, where


def header_section(a, ev, log):
    _, meta = safetensors_io.load(a.model)
    sha = hashlib.sha256(open(a.model, "rb").read()).hexdigest()
    return [f"# Model report: `{os.path.basename(a.model)}`", "",
            f"Generated by `train/make_report.py` on {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC from "
            f"`{a.eval}`{' and `' + a.train_log + '`' if log else ''}. Model sha256 `{sha[:16]}…`; "
            f"description: {meta.get('description', '(none)')}.", ""]


def targets_section(a, ev, peer, params, loeo):
    """Every target of the task against its measurement, real-dev first."""
    clips, r, k, where = measured_point(a, ev)
    e = clips["element"]
    loeo_acc = {name: row["keyword_accuracy"] for name, row in loeo}
    rows = [["clip accuracy, held-out speakers, 22 classes (element)", ">= 97 %", fmt(e["all"]["accuracy"], " %"),
             status(e["all"]["accuracy"] >= 97)],
            ["PyTorch vs element clip accuracy", "within 0.5 points",
             f"{clips['accuracy_difference_points']:+.2f} points",
             status(abs(clips["accuracy_difference_points"]) <= 0.5)],
            ["streaming recall at <= 1 false alarm/h", ">= 95 % at <= 1/h",
             "not measured" if not r else f"{fmt(r['recall'], ' %')} at {fmt(r['false_alarms_per_hour'], '/h', 1)}",
             None if not r else status(r["recall"] >= 95 and r["false_alarms_per_hour"] <= 1)],
            ["median latency after the keyword ends", "<= 400 ms", "n/a" if not r else fmt(r["latency_median_ms"], " ms", 0),
             None if not r or r["latency_median_ms"] is None else status(r["latency_median_ms"] <= 400)],
            ["parameters", "<= 500k", f"{params:,}", status(params <= 500_000)]]
    for eng in LOEO_ENGINES:
        v = loeo_acc.get(eng)
        rows.append([f"leave-one-engine-out keyword accuracy, held-out {eng}", ">= 90 %",
                     "not measured" if v is None else fmt(v, " %"), None if v is None else status(v >= 90)])
    kl = e.get("klettres_as_keyword")
    rows.append(["held-out klettres clips taken for a keyword", "<= 2 %", fmt(kl, " %"), None if kl is None else status(kl <= 2)])
    rows.append(["false alarms/h on klettres-only streams", "<= 1/h", "not measured" if not k else fmt(k["false_alarms_per_hour"], "/h", 1),
                 None if not k else status(k["false_alarms_per_hour"] <= 1)])
    rows = report_real.targets(ev, peer, status) + rows
    return ["## Targets against measurements", "", table(["target", "wanted", "measured", ""], rows), "",
            "Clip and streaming numbers are at the " + where
            + f" (threshold {clips['settings']['threshold']:g}, smoothing {clips['settings']['smoothing_ms']:g} ms); "
            "every measurement is described in its section.", ""]


def real_sections(a, ev, peer):
    L = []
    real = report_real.section(ev, peer, a.looks_log, a.real)
    if real:
        L += ["## Real speech (real-dev)", ""] + real
    if a.real_ablation:
        L += ["## Real-voices ablations", "",
              "Each row a model evaluated on real-dev (clips and streams at the element's defaults) and on the "
              "held-out synthetic speakers (clips), through the element; what each row changed is in its name "
              "and in the notes above.", "",
              report_real.ablation_table(pairs(a.real_ablation)), "",
              "Leave-one-engine-out needs four trainings per arm, one per held-out engine, so it is measured "
              "for the shipped recipe only (*Leave-one-engine-out* below); the per-engine identity column shows "
              "how each arm treats each synthesizer's held-out speakers, all of them engines it trained on.", ""]
    return L


def notes_section(a):
    return ["## What was tried", "",
            open(a.notes).read().strip() if a.notes else NOTES_MARK + "\n\n(The lead's narrative goes here.)", ""]


def data_section(a):
    L = ["## Data", ""]
    blocks = corpus_blocks(a.corpus)
    if blocks:
        L += [f"Synthetic corpus `{a.corpus}` (train/make_corpus.py; speakers and their split in "
              f"`{a.corpus}/speakers.json`; test and validation speakers never occur in training):", "",
              "```", blocks, "```", ""]
    return L


def model_section(cfg, params):
    n = cfg.network
    macs_s = macs_per_frame(cfg) * 1000 / cfg.frontend.frame_shift_ms
    return ["## Model", "",
            f"Labels ({len(cfg.labels)}): {', '.join(cfg.labels)}.", "",
            f"Front end: {cfg.frontend.n_mels} log-mel bins, {cfg.frontend.frame_length_ms:g} ms frames every "
            f"{cfg.frontend.frame_shift_ms:g} ms at {cfg.frontend.sample_rate} Hz.", "",
            table(["setting", "value"], [[f, getattr(n, f)] for f in n.__dataclass_fields__]), "",
            f"**{params:,} parameters; {macs_s / 1e6:.2f} M multiply-adds per second of audio** "
            "(network in steady state, `mega_config.macs_per_frame` × frames per second; front end excluded).", ""]


def later_phase_text(number, logs):
    """One later phase: one run, or several runs from the same start whose weights were averaged."""
    log = logs[0]
    runs = "" if len(logs) == 1 else (
        f" {({2: 'twice'}).get(len(logs), f'{len(logs)} times')}, with seeds "
        f"{', '.join(str(x['args'].get('seed')) for x in logs)}, each")
    return (f"its final weights were continued in phase {number}{runs}: {log['curve'][-1]['step']} steps in "
            f"{log.get('train_minutes', log['curve'][-1]['minutes']):.1f} minutes on "
            f"{log['args'].get('device', '?')} at batch {log['args'].get('batch')}, peak lr "
            f"{log['args'].get('lr')}, with {100 * log['args'].get('p_real', 0):.0f} % of the words "
            f"from the real-train speakers of `{log['args'].get('real')}`"
            + {"val": f", its best validation checkpoint (step {log.get('selected_step')}) kept",
               "last": ", its last weights kept"}.get(log.get("selection"), "")
            + ("" if len(logs) == 1 else ", and the runs' weights averaged") + "; ")


def phases_text(log, phase2, later):
    """What became of phase 1's best checkpoint: the model file, or the start of phase 2 and of
    the later phases (each continued from the one before)."""
    if not phase2:
        return "the best checkpoint is the model file."
    return (f"the best checkpoint (step {max(log['curve'], key=lambda c: c['val_clip_accuracy'])['step']}) "
            f"was continued in phase 2: {phase2['curve'][-1]['step']} steps in "
            f"{phase2.get('train_minutes', phase2['curve'][-1]['minutes']):.1f} minutes on "
            f"{phase2['args'].get('device', '?')}, speakers of splits `{phase2['args'].get('train_splits')}`, "
            f"peak lr {phase2['args'].get('lr')}; "
            + "".join(later_phase_text(n, p) for n, p in enumerate(later, start=3))
            + "the result is the model file"
            + " (the validation speakers are in phase 2's training data, so only the test numbers below "
            "are held out).")


def training_section(a, ev, log, phase2, later, outdir):
    if not log:
        return []
    png = os.path.join(outdir, f"training-{ev['tag']}.png")
    training_curve_png(png, log["curve"], f"{os.path.basename(a.model)}: training")
    args = log.get("args", {})
    keys = ("steps", "minutes", "batch", "seq_frames", "carry_steps", "lr", "weight_decay", "label_smoothing",
            "versions", "train_splits", "exclude_engine", "seed", "device")
    best = log.get("best_val_clip_accuracy", max(c["val_clip_accuracy"] for c in log["curve"]))
    return ["## Training", "",
            f"{'Phase 1: ' if phase2 else ''}{log['curve'][-1]['step']} steps in "
            f"{log.get('train_minutes', log['curve'][-1]['minutes']):.1f} minutes on {args.get('device', '?')}; "
            f"best validation clip accuracy {100 * best:.2f} % "
            "(validation speakers, the summary rule at the trainer's clip settings); "
            + phases_text(log, phase2, later), "",
            table(["argument", "value"], [[x, args[x]] for x in keys if x in args]) if args else
            "(No `.train.json` yet: the curve is read from the run's output.)", "",
            f"![training curve]({os.path.relpath(png, outdir)})", ""]


def streaming_sections(a, ev, rel):
    st = ev.get("streaming")
    if not st:
        return []
    L = ["## Streaming detection", ""] + stream_section(ev, rel, a.streams)
    hdr = st.get("at_header_defaults")
    if hdr:
        L += [f"At the element's defaults when evaluated (threshold {hdr['threshold']:g}, smoothing "
              f"{hdr['smoothing_ms']:g} ms, suppression {hdr['suppression_ms']:g} ms): recall "
              f"{fmt(hdr['recall'], ' %')}, {fmt(hdr['false_alarms_per_hour'], '/h', 1)} false alarms, klettres "
              f"{fmt(hdr.get('klettres_false_alarms_per_hour'), '/h', 1)}, median latency "
              f"{fmt(hdr['latency_median_ms'], ' ms', 0)}.", ""]
    return L


def loeo_section(loeo):
    if not loeo:
        return []
    rows = [[name, r2["model"], r2["how"], r2["keyword_clips"], fmt(r2["keyword_accuracy"], " %"),
             r2["unknown_clips"], fmt(r2["unknown_exact"], " %"), fmt(r2["keyword_identity"], " %"),
             "n/a" if r2["auc"] is None else f"{r2['auc']:.3f}"] for name, r2 in loeo]
    return ["## Leave-one-engine-out", "",
            "A model trained without any speaker of one engine (`train.py --exclude-engine`), tested on that "
            "engine's clips by the element's summary rule at its defaults: the best proxy for voices the model "
            "has never heard.", "",
            "Two threshold-free columns (`eval_clips.transfer_metrics`) tell recognition from calibration: "
            "*keyword identity* is the share of keyword clips whose best-scoring keyword is the right one, "
            "and the AUC is how well the best keyword score separates keyword clips from unknown-word clips "
            "(0.5 = chance).", "",
            table(["held-out engine", "model", "measured by", "keyword clips", "keyword acc.", "unknown clips",
                   "given `_unknown_`", "keyword identity", "keyword vs unknown AUC"], rows), ""]


def ablations_section(ev, extra):
    if not extra:
        return []
    rows = []
    for name, ev2 in [(ev["tag"] + " (this model)", ev)] + extra:
        # Every row at the element's defaults (the grid's recommended point can detect nothing).
        c2 = ev2["clips"]["element"]
        s2 = ev2.get("streaming", {}).get("at_header_defaults")
        k2 = None if not s2 else {"false_alarms_per_hour": s2.get("klettres_false_alarms_per_hour")}
        rows.append([name, fmt(c2["all"]["accuracy"], " %")] +
                    [fmt(c2["per_group"].get(g, {}).get("keyword_accuracy"), " %") for g in ENGINES] +
                    [fmt(c2.get("klettres_as_keyword"), " %"),
                     "n/a" if not s2 else f"{fmt(s2['recall'], ' %', 1)} @ {fmt(s2['false_alarms_per_hour'], '/h', 1)}",
                     "n/a" if not k2 else fmt(k2["false_alarms_per_hour"], "/h", 1)])
    return ["## Ablations", "", "Each row a separately trained model, evaluated the same way, at the element's "
            "defaults (threshold and smoothing of plugin/megaclassify-defaults.h); streaming columns only "
            "for models evaluated on the streams.", "",
            table(["model", "clip acc.", "kw acc. espeak", "kw acc. flite", "kw acc. festival", "klettres as kw",
                   "recall @ FA/h", "klettres FA/h"], rows), ""]


def reproduce_section(a, ev, evdir, argv):
    return ["## How to reproduce", "", "```sh",
            f"/usr/bin/python3 -m train.evaluate --model {a.model} --out {os.path.relpath(evdir)} --tag {ev['tag']}",
            # The whole command, so the notes, studies and ablation rows are reproduced too.
            "/usr/bin/python3 -m train.make_report " + shlex.join(argv if argv is not None else sys.argv[1:]),
            "```", "",
            f"Evaluation time: {ev['seconds']:.0f} s on this machine.", ""]


def main(argv=None):
    a = parse_args(argv)
    outdir = os.path.dirname(os.path.abspath(a.out))
    evdir = os.path.dirname(os.path.abspath(a.eval))

    def rel(name):
        return os.path.relpath(os.path.join(evdir, name), outdir)

    ev = json.load(open(a.eval))
    model = load_model(a.model)
    params = count_params(model)
    log = read_train_log(a.train_log) if a.train_log and os.path.exists(a.train_log) else None
    phase2 = read_train_log(a.phase2_log) if a.phase2_log else None
    later = [[read_train_log(p) for p in paths] for paths in (a.phase3_log, a.phase4_log) if paths]
    loeo = [(name, loeo_row(name, ev2)) for name, ev2 in pairs(a.loeo)]
    peer = json.load(open(a.peer)) if a.peer else None

    L = (header_section(a, ev, log) + targets_section(a, ev, peer, params, loeo) + real_sections(a, ev, peer)
         + notes_section(a) + data_section(a) + model_section(model.config, params)
         + training_section(a, ev, log, phase2, later, outdir)
         # With --shipped the clip section, like the targets, is at the element's shipped defaults.
         + ["## Clip accuracy", ""] + clip_section(json.load(open(a.shipped)) if a.shipped else ev, rel)
         + streaming_sections(a, ev, rel) + loeo_section(loeo) + ablations_section(ev, pairs(a.extra))
         + reproduce_section(a, ev, evdir, argv))
    with open(a.out, "w") as f:
        f.write("\n".join(L))
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
