"""The real-speech parts of the model report (make_report.py): targets, the real-dev section
with the peer beside our element, and the real-voices ablation table. Every number is read from
evaluate.py's `real_dev` / `real_dev_streams` results, peer_pocketsphinx.py's JSON, the real
set's manifest and the real-dev looks log."""
import json
import os

from .report_md import fmt, table


def best_stream_point(grid, max_fa):
    """Highest recall with at most max_fa false alarms per hour (None if no point qualifies)."""
    ok = [g for g in grid if g["false_alarms_per_hour"] is not None and g["false_alarms_per_hour"] <= max_fa]
    return max(ok, key=lambda g: (g["recall"] or 0, -g["threshold"])) if ok else None


def peer_best_clips(peer, max_trigger=None):
    """The peer's best clip result: kws thresholds and the generic LM, the most keyword clips
    detected (with at most max_trigger % non-keyword clips triggering when given)."""
    c = peer.get("clips", {})
    rows = [dict(r, mode=f"kws, threshold {r['threshold']:g}") for r in c.get("kws", [])]
    if c.get("generic_lm"):
        rows.append(dict(c["generic_lm"], mode="generic English LM"))
    if max_trigger is not None:
        rows = [r for r in rows if r["non_keyword_triggering"] <= max_trigger]
    return max(rows, key=lambda r: r["keyword_detected_exactly"], default=None)


def peer_best_streams(peer, max_fa=None):
    s = peer.get("streams", {})
    rows = [dict(r, mode=f"kws, threshold {r['threshold']:g}") for r in s.get("kws", [])]
    lm = s.get("generic_lm", {})
    if lm.get("utterance_end"):
        rows.append(dict(lm["utterance_end"], mode="generic English LM"))
    if max_fa is not None:
        rows = [r for r in rows if r["false_alarms_per_hour"] <= max_fa]
    return max(rows, key=lambda r: r["recall"] or 0, default=None)


def targets(ev, peer, status):
    """Rows for the report's target table."""
    r = ev.get("real_dev")
    if not r:
        return []
    e = r["element"]
    p = peer_best_clips(peer) if peer else None
    rows = [["real-dev keyword clips detected exactly (element)", ">= 90 %, and above pocketsphinx",
             f"{fmt(e['keyword_detected_exactly'], ' %')} (pocketsphinx best: "
             f"{fmt(p['keyword_detected_exactly'], ' %') if p else 'not measured'})",
             status(e["keyword_detected_exactly"] >= 90 and (p is None or e["keyword_detected_exactly"]
                                                            > p["keyword_detected_exactly"]))],
            ["real-dev non-keyword clips that trigger", "<= 3 %", fmt(e["non_keyword_triggering"], " %"),
             status(e["non_keyword_triggering"] <= 3)]]
    s = ev.get("real_dev_streams")
    if s:
        best = best_stream_point(s["grid"], 5.0)
        d = s["at_defaults"]
        rows.append(["real-dev streams", "recall >= 80 % at <= 5 false alarms/h",
                     (f"{fmt(best['recall'], ' %')} at {fmt(best['false_alarms_per_hour'], '/h', 1)} "
                      f"(threshold {best['threshold']:g})" if best else "no threshold reaches <= 5/h")
                     + f"; at the defaults {fmt(d['recall'], ' %')} at {fmt(d['false_alarms_per_hour'], '/h', 1)}",
                     status(best is not None and best["recall"] >= 80)])
    return rows


def looks(path):
    if not path or not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def data_section(real_dir):
    path = os.path.join(real_dir, "COUNTS.md")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [f"Real recordings from Debian packages (`train/make_real_set.py`, `{real_dir}/manifest.json`), "
                "split by speaker: real-train speakers may be used in training, real-dev speakers never are.", "",
                "\n".join(line for line in f.read().strip().splitlines() if not line.startswith("# ")).strip(), ""]


def section(ev, peer, looks_log, real_dir):
    r = ev.get("real_dev")
    if not r:
        return []
    e, t = r["element"], r["transfer"]
    L = data_section(real_dir)
    L += [f"Real-dev clips through the element at its defaults (threshold {r['settings']['threshold']:g}, "
          f"smoothing {r['settings']['smoothing_ms']:g} ms), each decided by the end-of-stream summary rule: "
          f"**{fmt(e['keyword_detected_exactly'], ' %')} of {e['keyword_clips']} keyword clips detected as exactly "
          f"their keyword; {fmt(e['non_keyword_triggering'], ' %')} of {e['non_keyword_clips']} non-keyword clips "
          f"trigger a keyword.** PyTorch gives {fmt(r['torch']['keyword_detected_exactly'], ' %')} / "
          f"{fmt(r['torch']['non_keyword_triggering'], ' %')} ({fmt(r['decision_agreement_percent'], ' %')} of "
          f"decisions the same). Threshold-free: keyword identity {fmt(t['keyword_identity'], ' %')}, "
          f"keyword-vs-non-keyword AUC {fmt(t['keyword_vs_unknown_auc'], nd=3)}; mean p(`_unknown_`) over the "
          f"frames of real keyword clips {fmt(r['mean_unknown_posterior_on_keyword_clips'], nd=3)}.", ""]
    L += [table(["keyword", "detected"], [[k, fmt(v, " %")] for k, v in r["per_keyword_detected"].items()]), ""]
    L += [table(["speaker", "keyword clips", "detected", "non-keyword clips", "triggering"],
                [[s, v["keyword_clips"], fmt(v["keyword_detected"], " %"), v["non_keyword_clips"],
                  fmt(v["non_keyword_triggering"], " %")] for s, v in r["per_speaker"].items()]), ""]
    L += ["Threshold sweep (PyTorch, summary rule):", "",
          table(["threshold", "keyword clips detected", "non-keyword clips triggering"],
                [[f"{x['threshold']:g}", fmt(x["keyword_detected_exactly"], " %"),
                  fmt(x["non_keyword_triggering"], " %")] for x in r["torch_threshold_sweep"]]), ""]
    s = ev.get("real_dev_streams")
    if s:
        L += [f"Real-dev streams: {s['streams']} streams, {s['hours'] * 60:.0f} min of real-dev words over "
              "noise (`make_streams.py --real`), element events scored like the synthetic streams:", "",
              table(["threshold", "recall", "false alarms/h", "median latency"],
                    [[f"{g['threshold']:g}", fmt(g["recall"], " %"), fmt(g["false_alarms_per_hour"], "/h", 1),
                      fmt(g["latency_median_ms"], " ms", 0)] for g in s["grid"]]), ""]
    if peer:
        L += peer_rows(peer)
    n = looks(looks_log)
    if n:
        L += [f"Real-dev was read {len(n)} times (`{os.path.relpath(looks_log)}`: one line per evaluation, "
              f"models of the ablation study included) while this model and its defaults were chosen.", ""]
    return L


def peer_rows(peer):
    c, s = peer.get("clips", {}), peer.get("streams", {})
    L = [f"**The peer:** {peer['peer']} on the same real-dev material (`train/peer_pocketsphinx.py`), "
         "scored by the same rules:", ""]
    rows = [[f"kws, threshold {x['threshold']:g}", fmt(x["keyword_detected_exactly"], " %"),
             fmt(x["non_keyword_triggering"], " %")] for x in c.get("kws", [])]
    if c.get("generic_lm"):
        rows.append(["generic English LM", fmt(c["generic_lm"]["keyword_detected_exactly"], " %"),
                     fmt(c["generic_lm"]["non_keyword_triggering"], " %")])
    L += [table(["pocketsphinx, clips", "keyword clips detected", "non-keyword clips triggering"], rows), ""]
    rows = [[f"kws, threshold {x['threshold']:g}", fmt(x["recall"], " %"), fmt(x["false_alarms_per_hour"], "/h", 1)]
            for x in s.get("kws", [])]
    lm = s.get("generic_lm", {}).get("utterance_end")
    if lm:
        rows.append(["generic English LM (utterance end)", fmt(lm["recall"], " %"),
                     fmt(lm["false_alarms_per_hour"], "/h", 1)])
    if rows:
        L += [table(["pocketsphinx, streams", "recall", "false alarms/h"], rows), ""]
    cpu = s.get("cpu_like_bench")
    if cpu:
        L += [f"Peer CPU (gst-launch, as bench/RESULTS.md measures ours): `{json.dumps(cpu)}`.", ""]
    return L


def ablation_table(rows):
    """rows: [(name, eval dict)] -> markdown table of the real-voices ablations."""
    out = []
    for name, ev in rows:
        r, s, c = ev.get("real_dev"), ev.get("real_dev_streams"), ev.get("clips", {}).get("element", {})
        d = s["at_defaults"] if s else None
        out.append([name,
                    fmt(r["element"]["keyword_detected_exactly"], " %") if r else "n/a",
                    fmt(r["element"]["non_keyword_triggering"], " %") if r else "n/a",
                    fmt(r["transfer"]["keyword_identity"], " %") if r else "n/a",
                    fmt(r["transfer"]["keyword_vs_unknown_auc"], nd=3) if r else "n/a",
                    f"{fmt(d['recall'], ' %', 1)} @ {fmt(d['false_alarms_per_hour'], '/h', 0)}" if d else "n/a",
                    fmt(c.get("all", {}).get("accuracy"), " %"),
                    engine_identities(ev.get("clips", {}).get("transfer", {})),
                    fmt(c.get("klettres_as_keyword"), " %")])
    return table(["model (what changed)", "real-dev kw detected", "real-dev non-kw triggering",
                  "real-dev kw identity", "real-dev AUC", "real-dev streams recall @ FA/h",
                  "synthetic held-out clip acc.", "synthetic kw identity espeak / festival / flite",
                  "klettres as kw"], out)


def engine_identities(transfer):
    """Each synthesizer's held-out speakers apart: an arm that helps one engine's voices at
    another's expense shows here, where the pooled accuracy hides it."""
    vals = [transfer.get(e, {}).get("keyword_identity") for e in ("espeak", "festival", "flite")]
    return "n/a" if None in vals else " / ".join(f"{v:.1f}" for v in vals) + " %"
