#!/usr/bin/python3
"""cluster/slurm-array.sh on a real single-node Slurm (Debian's slurm-wlm and munge, started
in a temporary directory on free ports, as root), as a 3-task array over one manifest. When
the daemons cannot be started here (not root, no slurm-wlm, or they do not come up within
60 s), or MEGA_SLURM_BY_HAND=1, the same script runs three times with SLURM_ARRAY_TASK_ID/COUNT
set by hand, and the output says so."""
import os
import subprocess
import tempfile
import time

from common import CLI, CLI_OPTS, CLUSTER, check, check_cover, free_port, make_archive, run, write_manifest

SCRIPT = os.path.join(CLUSTER, "slurm-array.sh")
TASKS = 3


class Slurm:
    """munged, slurmctld and slurmd of a one-node cluster in directory d."""

    def __init__(self, d):
        self.d = d
        self.pidfiles = [f"{d}/slurmd.pid", f"{d}/slurmctld.pid", f"{d}/munged.pid"]
        for sub in ("state", "spool"):
            os.makedirs(f"{d}/{sub}")
        with open(f"{d}/munge.key", "wb") as f:
            f.write(os.urandom(1024))
        os.chmod(f"{d}/munge.key", 0o600)
        cpus = min(os.cpu_count() or 1, 2)
        with open(f"{d}/slurm.conf", "w") as f:
            f.write(f"""ClusterName=megatest
SlurmctldHost=localhost
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={d}/munge.sock
CredType=cred/munge
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmctldLogFile={d}/slurmctld.log
SlurmdLogFile={d}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
NodeName=localhost CPUs={cpus} State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
""")
        self.env = {"SLURM_CONF": f"{d}/slurm.conf"}

    def start(self):
        """None when the cluster is up, else why not."""
        d = self.d
        steps = [["munged", "--force", f"--socket={d}/munge.sock", f"--key-file={d}/munge.key",
                  f"--log-file={d}/munged.log", f"--pid-file={d}/munged.pid", f"--seed-file={d}/munged.seed"],
                 ["slurmctld", "-f", f"{d}/slurm.conf", "-c", "-i"],
                 ["slurmd", "-f", f"{d}/slurm.conf", "-N", "localhost", "-c"]]
        for cmd in steps:
            r = run(cmd, env=self.env)
            if r.returncode != 0:
                return f"{cmd[0]} failed: {r.stderr.strip()}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            r = run(["sinfo", "-h", "-o", "%t"], env=self.env)
            if r.returncode == 0 and r.stdout.strip() == "idle":
                return None
            time.sleep(0.5)
        return f"the node is not idle after 60 s: sinfo says {r.stdout.strip()!r} {r.stderr.strip()!r}"

    def stop(self):
        pids = []
        for path in self.pidfiles:
            try:
                with open(path) as f:
                    pid = int(f.read().strip())
                os.kill(pid, 15)
                pids.append(pid)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + 15
        while pids and time.monotonic() < deadline:
            pids = [p for p in pids if running(p)]
            time.sleep(0.1)


def running(pid):
    """Alive and not a zombie (the daemons are not our children, so nobody may reap them)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def by_hand(env, tmp):
    """The array's tasks, one after another, with the variables Slurm would set."""
    status = []
    for k in range(TASKS):
        r = run([SCRIPT], env=dict(env, SLURM_ARRAY_TASK_ID=str(k), SLURM_ARRAY_TASK_COUNT=str(TASKS),
                                   SLURM_CPUS_PER_TASK="1"), timeout=300, cwd=tmp)
        status.append(r.returncode)
        with open(os.path.join(tmp, f"mega-classify-byhand_{k}.log"), "w") as f:
            f.write(r.stdout + r.stderr)
    return status


def main(tmp):
    inputs, bad = make_archive(tmp, n_short=20, n_long=2)
    manifest = write_manifest(tmp, inputs)
    outdir = os.path.join(tmp, "results")
    env = {"MANIFEST": manifest, "OUTDIR": outdir, "MEGA_CLASSIFY": CLI, "MEGA_ARGS": " ".join(CLI_OPTS)}
    # Missing input at index 3 and the corrupt one at 7: tasks 0 and 1 of 3 report failures.
    want_status = [1, 1, 0]

    reason = None
    if os.environ.get("MEGA_SLURM_BY_HAND"):
        reason = "MEGA_SLURM_BY_HAND is set"
    elif os.geteuid() != 0:
        reason = "not root"
    elif subprocess.run(["sh", "-c", "command -v slurmctld slurmd munged sbatch"], capture_output=True).returncode:
        reason = "slurm-wlm or munge is not installed"
    slurm = None
    if reason is None:
        os.makedirs(os.path.join(tmp, "slurm"))
        slurm = Slurm(os.path.join(tmp, "slurm"))
        reason = slurm.start()
    try:
        if reason is None:
            r = run(["sbatch", "--wait", f"--array=0-{TASKS - 1}", "--cpus-per-task=1", SCRIPT],
                    env=dict(env, **slurm.env), timeout=600, cwd=tmp)
            check("Submitted batch job" in r.stdout, f"sbatch: {r.stdout} {r.stderr}")
            check(r.returncode != 0, "sbatch --wait: tasks with failed inputs fail")
            job = r.stdout.split()[-1]
            logs = {k: open(os.path.join(tmp, f"mega-classify-{job}_{k}.log")).read() for k in range(TASKS)}
            how = f"real Slurm (job {job}, {TASKS} array tasks)"
        else:
            status = by_hand(env, tmp)
            check(status == want_status, f"task exits {status}, want {want_status}")
            logs = {k: open(os.path.join(tmp, f"mega-classify-byhand_{k}.log")).read() for k in range(TASKS)}
            how = f"SLURM_ARRAY_TASK_ID set by hand, NOT a real Slurm ({reason})"
        for k in range(TASKS):
            n = len(range(k, len(inputs), TASKS))
            failed = sum(1 for i in (3, 7) if i % TASKS == k)
            want = f"mega-classify: {n} inputs (shard {k}/{TASKS}): {n - failed} classified now, 0 done before, {failed} failed"
            check(want in logs[k], f"task {k} log lacks {want!r}: {logs[k]}")
        check_cover(outdir, inputs, bad, manifest)
        print(f"slurm array ok via {how}: {len(inputs)} inputs covered once")
    finally:
        if slurm is not None:
            slurm.stop()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="mega-slurm-test-", ignore_cleanup_errors=True) as tmp:
        main(tmp)
