"""The training side of gst-mega, one package so that every step imports its neighbours the same
way. Each step is a module run from the repository root with Debian's Python (it has torch):

    /usr/bin/python3 -m train.make_corpus    corpus   (make_real_set: the real recordings)
    /usr/bin/python3 -m train.make_streams   streams
    /usr/bin/python3 -m train.train          features (cached on first use), train, export
    /usr/bin/python3 -m train.evaluate       evaluate through the element
    /usr/bin/python3 -m train.make_report    report (models/REPORT.md)

train/README.md describes the steps and train/make_default_model.sh runs them in order.
"""
