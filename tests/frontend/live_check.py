#!/usr/bin/python3
"""Regenerates the fixtures with torchaudio in a temporary directory and runs the C test
against them, so the comparison does not rest only on the committed files.

Usage: live_check.py MAKE_FIXTURES TEST_EXE [GTest options]
"""
import subprocess
import sys
import tempfile


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    make_fixtures, exe, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
    with tempfile.TemporaryDirectory(prefix="mega-frontend-") as tmp:
        subprocess.run([sys.executable, make_fixtures, tmp], check=True)
        return subprocess.run([exe] + extra + [tmp]).returncode


if __name__ == "__main__":
    sys.exit(main())
