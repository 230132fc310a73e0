#!/usr/bin/python3
"""cluster/k8s-indexed-job.yaml: valid YAML, a batch/v1 Job with the fields the Job schema
requires and an Indexed completion mode whose shard count matches `completions`; then its
container command, run here once per index with JOB_COMPLETION_INDEX set as the kubelet
would (mega-classify and the archive paths swapped for the build tree's), covers the
manifest exactly once."""
import os
import tempfile

import yaml

from common import CLI, CLI_OPTS, CLUSTER, check, check_cover, make_archive, run, write_manifest


def validate(job):
    check(job.get("apiVersion") == "batch/v1" and job.get("kind") == "Job", "apiVersion/kind")
    check(isinstance(job.get("metadata", {}).get("name"), str), "metadata.name")
    spec = job["spec"]
    check(spec.get("completionMode") == "Indexed", "spec.completionMode: Indexed")
    check(isinstance(spec.get("completions"), int) and spec["completions"] > 0,
          "spec.completions: Indexed Jobs need a positive count")
    check(isinstance(spec.get("parallelism", 1), int) and isinstance(spec.get("backoffLimit", 6), int),
          "parallelism, backoffLimit: integers")
    pod = spec["template"]["spec"]
    check(pod.get("restartPolicy") in ("Never", "OnFailure"), "a Job's pods restart Never or OnFailure")
    containers = pod.get("containers")
    check(isinstance(containers, list) and len(containers) == 1, "one container")
    c = containers[0]
    check(isinstance(c.get("name"), str) and isinstance(c.get("image"), str), "container name and image")
    env = {e["name"]: e["value"] for e in c.get("env", [])}
    check(all(isinstance(v, str) for v in env.values()), "env values are strings")
    check(env.get("MEGA_SHARDS") == str(spec["completions"]), "MEGA_SHARDS == completions")
    mounts = {m["name"] for m in c.get("volumeMounts", [])}
    volumes = {v["name"] for v in pod.get("volumes", [])}
    check(mounts <= volumes, f"mounted volumes {mounts} are declared {volumes}")
    check(all(env[k].startswith(m["mountPath"]) for k in ("MANIFEST", "OUTDIR") for m in c["volumeMounts"]),
          "MANIFEST and OUTDIR are on the mounted archive")
    return c, env, spec["completions"]


def main(tmp):
    with open(os.path.join(CLUSTER, "k8s-indexed-job.yaml")) as f:
        docs = list(yaml.safe_load_all(f))
    check(len(docs) == 1, "one document")
    container, env, n = validate(docs[0])
    inputs, bad = make_archive(tmp, n_short=14, n_long=1)
    manifest = write_manifest(tmp, inputs)
    outdir = os.path.join(tmp, "results")
    script = container["args"][0].replace("mega-classify ", f"{CLI} {' '.join(CLI_OPTS)} ", 1)
    for k in range(n):
        r = run(container["command"] + [script],
                env=dict(env, MANIFEST=manifest, OUTDIR=outdir, JOB_COMPLETION_INDEX=str(k)), timeout=300)
        # Exit 1 (failed inputs, recorded) completes the pod; the indexes with bad inputs say so.
        check(r.returncode == 0, f"index {k}: exit {r.returncode}: {r.stderr}")
        check(f"(shard {k}/{n})" in r.stderr, f"index {k}: {r.stderr}")
    r = run(container["command"] + [script.replace("--output-dir", "--bogus-option")],
            env=dict(env, MANIFEST=manifest, OUTDIR=outdir, JOB_COMPLETION_INDEX="0"))
    check(r.returncode != 0, "a usage error still fails the pod")
    check_cover(outdir, inputs, bad, manifest)
    print(f"k8s Indexed Job ok: {n} indexes, {len(inputs)} inputs covered once")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="mega-k8s-test-") as tmp:
        main(tmp)
