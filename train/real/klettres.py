"""klettres-data (installed at /usr/share/klettres, also unpacked from the .deb):
only en/syllab/no.ogg and en_GB/syllab/no.ogg are used -- "no" from the two
English klettres voices. The other klettres recordings are already negatives in
the synthetic corpus (train/corpus/klettres.py), where en and en_GB are held-out
test speakers; so these two go to real-dev (see the split table)."""
from .common import Dropped, files_clip

PKG = "klettres-data"


def collect(ctx):
    pkg = ctx.package(PKG)
    clips = []
    for lang in ("en", "en_GB"):
        f = pkg.path(f"/usr/share/klettres/{lang}/syllab/no.ogg")
        clips.append(files_clip(PKG, pkg, f, "no", "no", "klettres-" + lang.lower().replace("_", ""), "filename"))
    return clips, [Dropped(PKG, "/usr/share/klettres/*/**/*.ogg (all but en*/syllab/no.ogg)",
                           "not keywords; already negatives of the synthetic corpus (train/corpus/klettres.py)")]
