"""The table of bench/element_cost.sh: what the element adds to a file pipeline, in share of one
core, against the engine alone on the same audio. Lowest CPU of the repeats (a shared machine
only ever adds time).

    /usr/bin/python3 bench/element_cost.py OUT_DIR [--check]   (reads OUT_DIR/element_cost.jsonl)

--check (the smoke test) fails unless every pipeline ran, each build's element added CPU, and the
engine's own costs are positive and finite.
"""
import math
import json
import os
import sys


def lowest(rows, case, prefix, key):
    vals = [key(r) for r in rows if r["case"] == case and r.get("label", "").startswith(prefix)]
    if not vals:
        raise SystemExit(f"element_cost.py: no '{case}' rows labelled {prefix}*")
    return min(vals), len(vals)


def summary(rows):
    """[(what, CPU s, share of one core in %)] and the audio length in s."""
    audio_s = next(r for r in rows if r["case"] == "setup")["minutes"] * 60.0
    for r in rows:
        if r["case"] == "run" and r["exit"] != 0:
            raise SystemExit(f"element_cost.py: pipeline {r['label']} exited with {r['exit']}")
    cpu = lambda r: r["user_s"] + r["sys_s"]
    without, _ = lowest(rows, "run", "without/", cpu)
    names = sorted({r["label"].split("/")[0][len("with:"):] for r in rows
                    if r["case"] == "run" and r["label"].startswith("with:")})
    out = []
    for name in names:
        with_, n = lowest(rows, "run", f"with:{name}/", cpu)
        out.append((f"element ({name}): pipeline with it minus without", with_ - without,
                    100.0 * (with_ - without) / audio_s, n))
    st, n = lowest(rows, "stream", "engine-stream-128ms/", lambda r: r["cpu_rtf"] * audio_s)
    out.append(("engine alone, streaming 128 ms buffers (mega-bench stream)", st, 100.0 * st / audio_s, n))
    off, n = lowest(rows, "offline", "engine-offline/", lambda r: r["cpu_seconds"])
    out.append(("engine alone, offline, one thread (mega-bench offline)", off, 100.0 * off / audio_s, n))
    return out, audio_s, without


def check(table):
    for what, s, share, n in table:
        if not (math.isfinite(s) and s > 0 and n > 0):
            raise SystemExit(f"element_cost.py --check: {what}: {s} CPU s over {n} repeats")


def main():
    out_dir = sys.argv[1]
    with open(os.path.join(out_dir, "element_cost.jsonl")) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    table, audio_s, without = summary(rows)
    if "--check" in sys.argv[2:]:
        check(table)
    print(f"{audio_s / 60:g} min of speech; pipeline without the element: {without:.2f} CPU s "
          f"(lowest of the repeats)\n")
    print("| what | CPU s | share of one core | repeats |")
    print("|---|---|---|---|")
    for what, s, share, n in table:
        print(f"| {what} | {s:.2f} | **{share:.3f} %** | {n} |")


if __name__ == "__main__":
    main()
