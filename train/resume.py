"""A training run that outlives its session: `train.py --session-minutes/--session-steps` stops
the run partway and `--resume` goes on with it, as if it had not stopped.

The state is one file next to the model (`OUT.resume.pt`, OUT without its extension), rewritten
at every validation point and when the session's share ends, so a run killed without warning
loses at most --eval-every steps. It holds what the next step depends on: the weights, AdamW's
moments, the step, the schedule's clock, the carried stream state, the random generators, the
best checkpoint and the training curve. With the training sequences built in the training
process (the CPU default) a resumed run is the same, bit for bit, as one that never stopped;
loader processes (GPU) are reseeded from the step instead, which changes which sequences follow
but not how they are drawn.
"""
import os

import torch

# Exit status of a run stopped for its session with its state written (sysexits' EX_TEMPFAIL:
# "try again later"), so that a script does not take it for a finished phase.
STOPPED = 75

# Options that may change between the sessions of one run: where and how fast it runs, not what
# it learns.
FREE_OPTIONS = frozenset({"resume", "session_minutes", "session_steps", "threads", "jobs", "loader_workers",
                          "device", "log"})


def resume_path(out):
    return os.path.splitext(out)[0] + ".resume.pt"


def changed_options(saved, args):
    """The options whose value differs from the stopped run's (None: all the same)."""
    now = vars(args)
    diff = sorted(k for k in set(saved) | set(now) if k not in FREE_OPTIONS and saved.get(k) != now.get(k))
    return diff or None


def save(path, **state):
    """Written beside, then renamed, so a kill mid-write leaves the previous state intact."""
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def load(path, args):
    """The stopped run's state, or SystemExit when the options say it is another run."""
    state = torch.load(path, map_location="cpu", weights_only=False)
    diff = changed_options(state["args"], args)
    if diff:
        detail = ", ".join(f"--{k.replace('_', '-')} {state['args'].get(k)!r} -> {getattr(args, k, None)!r}" for k in diff)
        raise SystemExit(f"--resume {path}: the stopped run had other options ({detail}); "
                         "give the same options, or remove the file to start again")
    return state


def remove(path):
    if os.path.exists(path):
        os.remove(path)
