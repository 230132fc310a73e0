#!/usr/bin/python3
"""libmega.so: the soname, exactly mega.h's functions exported, and examples/c/engine.c (built
against the shared library) streams the bundled recording with the default model.

test_exports.py LIBMEGA MEGA_H ENGINE_EXAMPLE MODEL WAV EXPECTED"""
import re
import subprocess
import sys
import wave


def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    sys.exit(1)


def main(lib, header, engine, model, wav, expected):
    with open(header) as f:
        text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    declared = set(re.findall(r"^[A-Za-z][\w \t\*]*?\b(mega_\w+)\s*\(", text, flags=re.M))
    if len(declared) < 10:
        fail(f"found only {sorted(declared)} in {header}")
    nm = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True, check=True)
    exported = {line.split()[-1].split("@")[0] for line in nm.stdout.splitlines() if " T " in line}
    others = {line.split()[-1] for line in nm.stdout.splitlines()
              if line.split()[-2] not in ("T", "A")}
    if exported != declared:
        fail(f"exported but not in mega.h: {sorted(exported - declared)}; "
             f"in mega.h but not exported: {sorted(declared - exported)} (edit model/libmega.map)")
    if others:
        fail(f"data symbols exported: {sorted(others)}")
    od = subprocess.run(["objdump", "-p", lib], capture_output=True, text=True, check=True).stdout
    if "SONAME               libmega.so.0\n" not in od:
        fail(f"soname: {[line for line in od.splitlines() if 'SONAME' in line]}")
    print(f"libmega.so.0 exports exactly the {len(declared)} functions of mega.h")

    r = subprocess.run([engine, model, wav], capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"engine example: {r.stderr}")
    lines = r.stdout.splitlines()
    with wave.open(wav) as w:
        n = w.getnframes()
    frames = (n - 400) // 160 + 1      # 25 ms windows every 10 ms at 16 kHz (the default model)
    if lines[0] != f"{wav}: {n / 16000:.2f} s, {frames} frames":
        fail(f"header {lines[0]!r}, want {frames} frames")
    rows = [(x.split()[0], float(x.split()[1])) for x in lines[1:]]
    scores = [s for _, s in rows]
    if len(rows) != 22 or scores != sorted(scores, reverse=True) or not all(0 < s <= 1 for s in scores):
        fail(f"labels and peaks: {rows}")
    with open(expected) as f:
        said = f.read().split()
    best = next(label for label, _ in rows if not label.startswith("_"))
    if best not in said:
        fail(f"best keyword {best} is not one of the recording's {said}")
    print(f"engine example: {frames} frames, best keyword {best} {dict(rows)[best]:.3f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
