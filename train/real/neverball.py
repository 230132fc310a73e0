"""neverball-common: /usr/share/games/neverball/snd/*.ogg, the announcer of
Neverball/Neverputt (one voice): go.ogg = "go" (keyword, file name);
player1..4.ogg = "player one".."player four" and time.ogg = "time's up" get
the keyword cut out by forced alignment; ready, set, birdie, bogey, "double
bogey", eagle, par, penalty, "game over", "new record", "fall out", success,
select are non-keywords (texts written out below, checked against
pocketsphinx transcripts while building this list). one.ogg's content is
unclear ("one"? pocketsphinx hears "hold on one") so it is not used; the snd/gd/
set is another voice whose words do not match the file names (not used).
"""
import glob
import os

from .common import UNKNOWN, Dropped, decode, files_clip
from .cut import cut_clips

PKG = "neverball-common"
ROOT = "/usr/share/games/neverball/snd"
SPEAKER = "neverball-voice"
WORDS = {"ready": "ready", "set": "set", "birdie": "birdie", "bogey": "bogey", "double": "double bogey",
         "eagle": "eagle", "par": "par", "penalty": "penalty", "over": "game over", "record": "new record",
         "fall": "fall out", "success": "success", "select": "select"}
CUT = {"player1": "player one", "player2": "player two", "player3": "player three", "player4": "player four",
       "time": "time's up"}
UNCLEAR = {"one": "content unclear (pocketsphinx hears 'hold on one'); not used"}


def collect(ctx):
    pkg = ctx.package(PKG)
    clips, drops, jobs = [], [], []
    for f in sorted(glob.glob(pkg.path(ROOT) + "/*.ogg")):
        stem, rel = os.path.basename(f)[:-4], pkg.rel(f)
        if stem == "go":
            clips.append(files_clip(PKG, pkg, f, "go", "go", SPEAKER, "filename"))
        elif stem in WORDS:
            clips.append(files_clip(PKG, pkg, f, WORDS[stem], UNKNOWN, SPEAKER, "filename"))
        elif stem in CUT:
            jobs.append((rel, decode(f), CUT[stem]))
        elif stem in UNCLEAR:
            drops.append(Dropped(PKG, rel, UNCLEAR[stem]))
        else:
            drops.append(Dropped(PKG, rel, "not speech (sound effect)"))
    drops.append(Dropped(PKG, ROOT + "/gd/*.ogg", "other voice set whose words do not match the file names "
                                                 "(pocketsphinx); 8 files not used"))
    c, d = cut_clips(ctx, PKG, jobs, SPEAKER, keep_rest=True)
    return clips + c, drops + d
