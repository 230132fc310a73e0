"""Sources and helpers of the real human-speech keyword set (train/make_real_set.py):
one module per Debian package (each has collect(ctx) -> (clips, dropped)), plus
common.py (text rules, packages, decoding), sphinx.py (pocketsphinx), cut.py
(cutting keywords out of phrases) and layout.py (the GSC-style writer)."""
