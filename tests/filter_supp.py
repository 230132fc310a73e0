"""Copies a valgrind suppression file without the entries valgrind 3.19 cannot parse.

Usage: filter_supp.py IN OUT. An entry is a `{ ... }` block; blocks whose kind line is
Memcheck:ReallocZero (added in valgrind 3.20) are dropped."""
import sys

UNSUPPORTED = {"Memcheck:ReallocZero"}

src, dst = sys.argv[1], sys.argv[2]
out, block = [], None
with open(src) as f:
    for line in f:
        stripped = line.strip()
        if block is None:
            if stripped == "{":
                block = [line]
            else:
                out.append(line)
            continue
        block.append(line)
        if stripped == "}":
            if not any(b.strip() in UNSUPPORTED for b in block):
                out.extend(block)
            block = None
with open(dst, "w") as f:
    f.writelines(out)
