#!/usr/bin/python3
"""Section 8 of bench/RESULTS.md from the JSON lines of one mega-soak run (bench/soak.c).
Writes bench/SOAK.md and puts the section into bench/RESULTS.md (bench/report.py keeps it
there when it regenerates the file).

    /usr/bin/python3 bench/soak_report.py soak.jsonl [--note "conditions"]
"""
import argparse
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
BEGIN, END = "<!-- soak (bench/soak_report.py) -->", "<!-- /soak -->"
AFTER = "<!-- /batch-throughput -->"   # section 7's end: section 8 follows it


def duration(seconds):
    h, rest = divmod(seconds, 3600)
    return f"{int(h)} h {int(rest // 60)} min {rest % 60:g} s"


def kb_h(v):
    return "n/a" if v is None else f"{v:+.1f} KB per audio hour"


def section(run, samples, checks, command, note):
    r = run
    hours = r["audio_s"] / 3600
    md = [BEGIN, f"## 8. Soak: {hours:.0f} hour{'s' if round(hours) != 1 else ''} of audio", "",
          f"`bench/soak.c` (`mega-soak`): {duration(r['audio_s'])} of audio through "
          "`appsrc ! megaclassify interval=1000000000 ! fakesink sync=false`, in "
          f"{r['buffer_ms']:g} ms S16 buffers, as fast as it goes, in three parts of "
          f"{r['part_s']:g} s: 16 kHz mono; a caps change to 48 kHz stereo; a flushing seek from "
          f"{r['seek_from_s']:g} s back to {r['seek_to_s']:g} s. The audio cycles every 60 s through "
          "30 s of speech, 15 s of digital silence and 15 s of white noise at -50 dBFS RMS; speech: "
          f"{r['speech']}. Model `{r['model']}`; {r['date']}, {r['cores']:.0f} x {r['cpu']}, kernel "
          f"{r['kernel']}, load average {r['load_before']} before / {r['load_after']} after.", "",
          "```", *command, "```", ""]
    if note:
        md += [note, ""]
    md += ["| time | value |", "|---|---|",
           f"| wall clock | {r['wall_s']:.0f} s: {r['audio_s'] / r['wall_s']:.0f}x real time "
           f"(RTF {r['rtf']:.4f}) |",
           f"| process CPU (generator, appsrc, element, fakesink) | {r['cpu_s']:.0f} s: "
           f"{r['cpu_per_audio_s']:.5f} s per audio second |",
           f"| megaclassify CPU (its thread's CPU time inside the element, per buffer) | "
           f"{r['element_cpu_s']:.0f} s: **{r['element_cpu_per_audio_s']:.5f} s per audio second** "
           f"({r['element_cpu_s'] / hours:.1f} s per audio hour) |",
           f"| the same, 16 kHz mono part / 48 kHz stereo parts | "
           f"{r['element_cpu_per_audio_s_16k_mono']:.5f} / "
           f"{r['element_cpu_per_audio_s_48k_stereo']:.5f} s per audio second |", ""]
    md += ["| audio h | wall s | RSS MB | heap in use MB |", "|---|---|---|---|"]
    md += [f"| {s['audio_h']:.2f} | {s['wall_s']:.0f} | {s['rss_kb'] / 1024:.2f} | "
           f"{s['heap_kb'] / 1024:.2f} |" for s in samples]
    md += ["", f"RSS: first sample {r['rss_first_kb'] / 1024:.2f} MB, peak {r['rss_peak_kb'] / 1024:.2f} MB, "
           f"final {r['rss_final_kb'] / 1024:.2f} MB; slope {kb_h(r['rss_slope_kb_per_h'])} over the run, "
           f"**{kb_h(r['rss_slope_after_caps_kb_per_h'])} after the caps change** (which allocates the "
           "larger input buffers of 48 kHz stereo once). Heap in use (`mallinfo2`, one malloc arena): "
           f"{r['heap_first_kb'] / 1024:.2f} / {r['heap_peak_kb'] / 1024:.2f} / "
           f"{r['heap_final_kb'] / 1024:.2f} MB, slope {kb_h(r['heap_slope_kb_per_h'])} / "
           f"{kb_h(r['heap_slope_after_caps_kb_per_h'])}. Both include the generator's speech "
           "(S16, held once).", ""]
    md += ["| stream | value |", "|---|---|",
           f"| `megaclassify-posteriors` messages | {r['posteriors']:.0f} ({r['posteriors_0']:.0f} + "
           f"{r['posteriors_1']:.0f} + {r['posteriors_2']:.0f}: one per whole second of each part) |",
           f"| detections (messages / downstream events) | {r['detections']:.0f} / "
           f"{r['detection_events']:.0f} (events dropped by the flush: {r['events_dropped_by_flush']:.0f}) |",
           f"| timestamp of the k-th message of a part - (part start + k s) | {r['drift_min_ms']:+.3f} to "
           f"{r['drift_max_ms']:+.3f} ms over every message; last message {r['drift_last_ms']:+.3f} ms |",
           f"| first message after the seek to {r['seek_to_s']:g} s | {r['first_after_seek_s']:.3f} s |",
           f"| last message / end of the audio | {r['last_posterior_s']:.3f} s / {r['end_of_audio_s']:.3f} s |",
           f"| frames in the EOS summary (since the seek) | {r['summary_frames']:.0f} |", ""]
    md += ["Checks of the run (`mega-soak` exits 1 when one fails):", ""]
    md += [f"- {'ok' if c['ok'] else '**FAILED**'}: {c['what']}" for c in checks]
    md += ["", "The half second in each part's length leaves the last whole second's message "
           "whatever the frame length and the resampler's delay; the constant +5 ms is where the "
           "frame grid (25 ms windows every 10 ms) first passes each second.", END, ""]
    return "\n".join(md)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results", help="mega-soak's stdout")
    ap.add_argument("--note", default="", help="a sentence on the conditions")
    ap.add_argument("--command", action="append",
                    help="the commands that made the results, one line each (default: the usual)")
    ap.add_argument("--out", default=os.path.join(HERE, "SOAK.md"))
    ap.add_argument("--results-md", default=os.path.join(HERE, "RESULTS.md"))
    a = ap.parse_args()
    rows = [json.loads(line) for line in open(a.results) if line.startswith("{")]
    run = next(r for r in rows if r["case"] == "soak")
    samples = [r for r in rows if r["case"] == "soak_sample"]
    checks = [r for r in rows if r["case"] == "soak_check"]
    command = a.command or [
        "meson setup build-bench --buildtype=release && ninja -C build-bench",
        f"GST_PLUGIN_PATH=build-bench/plugin nice -n 19 build-bench/bench/mega-soak --model "
        f"{run['model']} --hours {run['hours']:g} --speech-dir data/streams > soak.jsonl",
        "/usr/bin/python3 bench/soak_report.py soak.jsonl"]
    text = section(run, samples, checks, command, a.note)
    with open(a.out, "w") as f:
        f.write(text)
    with open(a.results_md) as f:
        results = f.read()
    if BEGIN in results:
        results = results[:results.index(BEGIN)] + text + results[results.index(END) + len(END) + 1:]
    elif AFTER in results:
        cut = results.index(AFTER) + len(AFTER) + 1
        results = results[:cut] + text + results[cut:]
    else:
        results = results.rstrip("\n") + "\n\n" + text
    with open(a.results_md, "w") as f:
        f.write(results)


if __name__ == "__main__":
    main()
