#!/usr/bin/env python
# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""How zot_access_policy's engine scales with the number of repository globs.

For policies with 10, 1000 and 10000 globs: time and peak memory of validating the policy
(validate_access_control, what the role's preflight runs), of 10000 one-shot decide() calls
(what the verification checklist does per probe: each call loads the policy again), and of
10000 decisions against one LoadedPolicy (what `queries`, `require` and the summary do),
through plugins/module_utils/_policy/engine.py. Each phase runs in its own process (peak memory is
that process's maximum RSS) under a time cap: a phase that hits it is reported as timed out
(validation) or with how many queries it got through, never silently dropped.

    .venv/bin/python bench/policy_scaling.py [--sizes 10 1000 10000] [--queries 10000]
"""

import argparse
import functools
import json
import random
import resource
import subprocess
import sys
import time

import benchlib

TIME_CAP = 120.0  # seconds per phase


def make_policy(globs):
    """A realistic shape: one glob per team namespace, a few with app-level overrides."""
    repositories = {"**": {"anonymousPolicy": ["read"], "defaultPolicy": ["read"]}}
    for index in range(globs - 1):
        repositories["team%d/**" % index] = {
            "defaultPolicy": ["read"],
            "policies": [{"groups": ["team%d" % index], "actions": ["read", "create"]}],
        }
    groups = {"team%d" % index: {"users": ["user%d" % index]} for index in range(globs - 1)}
    return {
        "groups": groups,
        "repositories": repositories,
        "adminPolicy": {"users": ["admin"], "actions": ["read", "create", "update", "delete"]},
    }


def make_queries(globs, count, seed=7):
    rng = random.Random(seed)
    actions = ["read", "create", "update", "delete"]
    queries = []
    for _unused in range(count):
        team = rng.randrange(max(globs - 1, 1))
        who = rng.choice([{"anonymous": True}, {"user": "user%d" % team}, {"user": "admin"}])
        queries.append((who, "team%d/app%d" % (team, rng.randrange(50)), rng.choice(actions)))
    return queries


def measure_validate(globs):
    from ansible_collections.zotops.registry.plugins.module_utils._policy.engine import (
        validate_access_control,
    )

    policy = make_policy(globs)
    start = time.perf_counter()
    errors, _warnings = validate_access_control(policy, auth_methods={"htpasswd"}, zot_version="v2.1.20")
    return {"seconds": time.perf_counter() - start, "errors": len(errors)}


def measure_queries(globs, query_count, loaded):
    from ansible_collections.zotops.registry.plugins.module_utils._policy.engine import (
        LoadedPolicy,
        decide,
    )

    policy = make_policy(globs)
    queries = make_queries(globs, query_count)
    start = time.perf_counter()
    # Loading the policy is part of the measured time.
    answer = LoadedPolicy(policy).decide if loaded else functools.partial(decide, policy)
    done = 0
    for who, repo, action in queries:
        answer(who, repo, action)
        done += 1
        if time.perf_counter() - start > TIME_CAP:
            break
    elapsed = time.perf_counter() - start
    return {
        "requested": query_count,
        "done": done,
        "seconds": elapsed,
        "seconds_per_query": elapsed / done,
        "capped": done < query_count,
    }


def run_phase(phase, globs, query_count):
    """One phase for one size in a fresh process: its peak RSS is that phase's alone (it
    includes the interpreter and Ansible's imports, measured as baseline_rss_kib)."""
    argv = [sys.executable, __file__, "--phase", phase, "--globs", str(globs), "--queries", str(query_count)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=TIME_CAP + 30, check=True)
    except subprocess.TimeoutExpired:
        return {"timed_out_after_seconds": TIME_CAP + 30}
    return json.loads(done.stdout)


def run_phase_here(phase, globs, query_count):
    if phase == "baseline":
        from ansible_collections.zotops.registry.plugins.module_utils._policy import engine as access_policy  # noqa: F401

        result = {}
    elif phase == "validate":
        result = measure_validate(globs)
    else:
        result = measure_queries(globs, query_count, loaded=phase == "loaded_queries")
    result["peak_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1000, 10000])
    parser.add_argument("--queries", type=int, default=10000)
    parser.add_argument(
        "--phase", choices=["baseline", "validate", "queries", "loaded_queries"], help=argparse.SUPPRESS
    )
    parser.add_argument("--globs", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(run_phase_here(args.phase, args.globs, args.queries)))
        return
    baseline = run_phase("baseline", 0, 0)["peak_rss_kib"]
    rows = []
    for size in args.sizes:
        row = {"globs": size}
        for phase in ("validate", "queries", "loaded_queries"):
            row[phase] = run_phase(phase, size, args.queries)
        print(json.dumps(row), file=sys.stderr)
        rows.append(row)
    path = benchlib.write_result(
        "policy_scaling",
        {"time_cap_seconds": TIME_CAP, "baseline_rss_kib": baseline, "queries": args.queries, "sizes": rows},
    )
    print(path)


if __name__ == "__main__":
    main()
