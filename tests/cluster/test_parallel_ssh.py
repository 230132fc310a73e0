#!/usr/bin/python3
"""cluster/parallel-ssh.sh for real: a throwaway sshd (Debian's openssh-server) on
127.0.0.1 only, on two ports that play two hosts, a generated key, GNU parallel spreading
4 shards over both."""
import os
import re
import shutil
import subprocess
import tempfile
import time

from common import (CLI, CLI_OPTS, CLUSTER, check, check_cover, free_port, make_archive, run,
                    write_manifest)


def start_sshd(tmp, ports):
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(tmp, "host_key")], check=True)
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(tmp, "user_key")], check=True)
    shutil.copy(os.path.join(tmp, "user_key.pub"), os.path.join(tmp, "authorized_keys"))
    config = os.path.join(tmp, "sshd_config")
    with open(config, "w") as f:
        f.writelines(f"ListenAddress 127.0.0.1:{p}\n" for p in ports)
        f.write(f"HostKey {tmp}/host_key\nAuthorizedKeysFile {tmp}/authorized_keys\n"
                f"PidFile {tmp}/sshd.pid\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                "PubkeyAuthentication yes\nPermitRootLogin prohibit-password\nStrictModes no\n"
                "UsePAM no\nLogLevel VERBOSE\n")
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)   # sshd's privilege separation dir
    log = open(os.path.join(tmp, "sshd.log"), "w")
    sshd = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", config], stderr=log)
    client = os.path.join(tmp, "ssh_config")
    with open(client, "w") as f:
        for name, port in zip(("mega-a", "mega-b"), ports):
            f.write(f"Host {name}\n  HostName 127.0.0.1\n  Port {port}\n  IdentityFile {tmp}/user_key\n"
                    f"  IdentitiesOnly yes\n  StrictHostKeyChecking accept-new\n"
                    f"  UserKnownHostsFile {tmp}/known_hosts\n  BatchMode yes\n")
    for name in ("mega-a", "mega-b"):
        for _ in range(100):
            r = run(["ssh", "-F", client, name, "true"])
            if r.returncode == 0:
                break
            check(sshd.poll() is None, f"sshd died: {open(log.name).read()}")
            time.sleep(0.1)
        check(r.returncode == 0, f"ssh {name}: {r.stderr}")
    return sshd, client


def main(tmp):
    inputs, bad = make_archive(tmp, n_short=26, n_long=2)
    manifest = write_manifest(tmp, inputs)
    ports = [free_port(), free_port()]
    check(ports[0] != ports[1], "two ports")
    sshd, client = start_sshd(tmp, ports)
    try:
        outdir = os.path.join(tmp, "results")
        env = {"MEGA_CLASSIFY": CLI, "MEGA_ARGS": " ".join(CLI_OPTS + ["-j", "1"]),
               "PARALLEL_SSH": f"ssh -F {client}"}
        r = run([os.path.join(CLUSTER, "parallel-ssh.sh"), manifest, outdir, "4", "mega-a", "mega-b"],
                env=env, timeout=600)
        # Inputs 3 (missing) and 7 (corrupt) are both in shard 3: one shard reports failures.
        check(r.returncode == 1, f"parallel-ssh.sh exit {r.returncode}: {r.stdout} {r.stderr}")
        with open(outdir + ".joblog") as f:
            rows = [line.rstrip("\n").split("\t") for line in f][1:]
        hosts = {row[1] for row in rows}
        exits = sorted((re.search(r"--shard (\S+)", row[-1]).group(1), row[6]) for row in rows)
        check(hosts == {"mega-a", "mega-b"}, f"shards ran on {hosts}, want both hosts")
        check(exits == [("0/4", "0"), ("1/4", "0"), ("2/4", "0"), ("3/4", "1")], f"shards and exits: {exits}")
        check("shard 3\tmega-classify: 7 inputs (shard 3/4): 5 classified now, 0 done before, 2 failed"
              in r.stderr, r.stderr)
        with open(os.path.join(tmp, "sshd.log")) as f:
            accepted = f.read().count("Accepted publickey")
        check(accepted >= 4, f"{accepted} ssh logins, want one per shard at least")
        check_cover(outdir, inputs, bad, manifest)
        # Again: everything is done, nothing is redone; shard 3 still reports its failures.
        r = run([os.path.join(CLUSTER, "parallel-ssh.sh"), manifest, outdir, "4", "mega-a", "mega-b"],
                env=env, timeout=600)
        check(r.returncode == 1 and r.stderr.count(" 0 classified now") == 4, f"rerun: {r.stderr}")
        print(f"parallel over ssh ok: 4 shards on {sorted(hosts)}, {accepted} ssh logins, "
              f"{len(inputs)} inputs covered once")
    finally:
        sshd.terminate()
        sshd.wait(timeout=10)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="mega-ssh-test-") as tmp:
        main(tmp)
