# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: converge N buckets (versioning + tags + policy + CORS + lifecycle) on one real SeaweedFS,
then re-run with nothing to change; with metalstore.platform.bucket (one task looped over the buckets), with
metalstore.platform.buckets (one task for all of them), and with amazon.aws.s3_bucket plus community.aws.s3_cors /
s3_lifecycle doing the same work. Prints wall times, the ratios against amazon.aws from the same run, and S3
requests per bucket (counted by a botocore hook in every process, see callcount/sitecustomize.py).

  make bench            (or: python tests/benchmarks/bucket_bench.py --buckets 50)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import seaweedfs_server  # noqa: E402  pylint: disable=wrong-import-position
import playbook_runs  # noqa: E402  pylint: disable=wrong-import-position

LIFECYCLE = [
    {"id": "expire-logs", "prefix": "logs/", "expiration_days": 30},
    {"id": "cleanup", "noncurrent_version_expiration_days": 7, "abort_incomplete_multipart_upload_days": 2},
]


def policy(bucket):
    return {"Version": "2012-10-17", "Statement": [{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
                                                    "Action": ["s3:GetObject"], "Resource": [f"arn:aws:s3:::{bucket}/*"]}]}


def playbooks(info, n):
    conn = {"endpoint_url": info["endpoint"], "access_key": info["admin"][0], "secret_key": info["admin"][1],
            "region": "us-east-1"}
    common = {"hosts": "localhost", "gather_facts": False, "connection": "local"}
    settings = dict(versioning="enabled", tags={"team": "bench", "tier": "gold"},
                    cors_rules=[{"allowed_methods": ["GET", "HEAD"], "allowed_origins": ["https://app.example.test"],
                                 "max_age_seconds": 300}],
                    lifecycle_rules=LIFECYCLE)
    ours = dict(common, name="metalstore.platform.bucket", vars={"names": [f"ms-bench-{i:03d}" for i in range(n)]},
                tasks=[{"name": "Bucket", "metalstore.platform.bucket": dict(
                    conn, name="{{ item }}", policy="{{ lookup('ansible.builtin.template', 'policy.j2') }}",
                    **settings), "loop": "{{ names }}"}])
    many_names = [f"ms-many-{i:03d}" for i in range(n)]
    many = dict(common, name="metalstore.platform.buckets", tasks=[{"name": "Buckets", "metalstore.platform.buckets": dict(
        conn, buckets=[dict(settings, name=b, policy=policy(b)) for b in many_names])}])
    theirs_tasks = [
        {"name": "Bucket", "amazon.aws.s3_bucket": dict(
            conn, name="{{ item }}", versioning=True, tags={"team": "bench", "tier": "gold"},
            policy="{{ lookup('ansible.builtin.template', 'policy.j2') }}", ceph=True),
         "loop": "{{ names }}"},
        {"name": "CORS", "community.aws.s3_cors": dict(
            conn, name="{{ item }}", state="present",
            rules=[{"allowed_methods": ["GET", "HEAD"], "allowed_origins": ["https://app.example.test"],
                    "max_age_seconds": 300}]), "loop": "{{ names }}"},
    ]
    for rule in LIFECYCLE:
        args = dict(conn, name="{{ item }}", rule_id=rule["id"], prefix=rule.get("prefix", ""), status="enabled",
                    wait=False)
        for k in ("expiration_days", "noncurrent_version_expiration_days", "abort_incomplete_multipart_upload_days"):
            if k in rule:
                args[k] = rule[k]
        theirs_tasks.append({"name": f"Lifecycle {rule['id']}", "community.aws.s3_lifecycle": args,
                             "loop": "{{ names }}"})
    theirs = dict(common, name="amazon.aws", vars={"names": [f"aws-bench-{i:03d}" for i in range(n)]},
                  tasks=theirs_tasks)
    return ours, many, theirs


def run(playbook_path, call_log, env):
    open(call_log, "w", encoding="utf-8").close()
    wall, changed = playbook_runs.timed_run(playbook_path, env)
    with open(call_log, encoding="utf-8") as f:
        calls = [line.strip() for line in f if line.strip()]
    return wall, changed, calls


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--buckets", type=int, default=50)
    ap.add_argument("--json", help="also write the numbers here")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="ms-bench-")
    info = seaweedfs_server.start(work)
    try:
        with open(os.path.join(work, "policy.j2"), "w", encoding="utf-8") as f:
            f.write(json.dumps(policy("BUCKET")).replace("BUCKET", "{{ item }}"))
        env = dict(os.environ, METALSTORE_CALL_LOG=os.path.join(work, "calls.log"),
                   PYTHONPATH=os.pathsep.join(filter(None, [os.path.join(HERE, "callcount"),
                                                            os.environ.get("PYTHONPATH")])),
                   ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default", ANSIBLE_CALLBACK_RESULT_FORMAT="json")
        results = {}
        for name, play in zip(("bucket", "buckets", "amazon.aws"), playbooks(info, args.buckets)):
            path = os.path.join(work, f"{name}.yml")
            with open(path, "w", encoding="utf-8") as f:
                json.dump([play], f)
            results[name] = {phase: run(path, env["METALSTORE_CALL_LOG"], env) for phase in ("converge", "noop")}
    finally:
        seaweedfs_server.stop(work)
    n = args.buckets
    print(f"\nBuckets: {n}; settings: versioning, tags, policy, CORS, 2 lifecycle rules; SeaweedFS on loopback")
    print(f"{'tool':<12} {'run':<9} {'wall s':>8} {'changed':>8} {'S3 calls':>9} {'calls/bucket':>13}")
    for tool, phases in results.items():
        for phase, (wall, changed, calls) in phases.items():
            print(f"{tool:<12} {phase:<9} {wall:>8.1f} {changed:>8} {len(calls):>9} {len(calls) / n:>13.1f}")
    theirs = results["amazon.aws"]
    for tool in ("bucket", "buckets"):
        ours = results[tool]
        print(f"\n{tool}: speed-up against amazon.aws, no-op {theirs['noop'][0] / ours['noop'][0]:.1f}x, "
              f"converge {theirs['converge'][0] / ours['converge'][0]:.1f}x; no-op calls per bucket "
              f"{len(ours['noop'][2]) / n:.1f} (amazon.aws: {len(theirs['noop'][2]) / n:.1f})")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({t: {p: {"wall_s": round(w, 2), "changed": c, "calls": len(cl)} for p, (w, c, cl) in ph.items()}
                       for t, ph in results.items()}, f, indent=2)
    for tool in ("bucket", "buckets"):
        if results[tool]["noop"][1] != 0:
            sys.exit(f"{tool}: the no-op run reported changes: idempotence broken")


if __name__ == "__main__":
    main()
