"""The synthetic corpus (train/make_corpus.py): word lists, speakers, the synthesizers and
klettres recordings, background noises, and the builder that lays them out in the Speech
Commands v2 layout."""
