#!/usr/bin/env python
# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""What a converge of the zot role costs on the local podman test host.

Per repetition: a fresh systemd container (zotops-bench, real zot on 127.0.0.1:5095), then
wall time and task count of the first converge, an idempotent re-run, a --check run, and
Ansible's floor: a play that gathers facts and runs as many trivial tasks (ping) as the
re-run ran on the hosts, over the same connection. The re-run / floor ratio is the work the
role does beyond Ansible's own per-task cost. Reports median and spread over the
repetitions. The container is removed at the end. Needs scripts/setup.sh (the test image
and zot) and `source scripts/env.sh`.

    python bench/converge_cost.py [--repeat 3]
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import benchlib

from harness.zot import version_line as zot_version

CONTAINER = "zotops-bench"
PORT = 5095
RUN_TIMEOUT = 600  # seconds per playbook run
INVENTORY = f"""zot_registries:
  hosts:
    {CONTAINER}:
      ansible_connection: podman
      ansible_python_interpreter: /usr/bin/python3
      zot_http_port: {PORT}
"""


def podman(*args, check=True):
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=check, timeout=120)


def fresh_host():
    podman("rm", "-f", CONTAINER, check=False)
    podman(
        "run",
        "-d",
        "--name",
        CONTAINER,
        "--privileged",
        "--network",
        "host",
        "--systemd=always",
        "--ulimit",
        "nofile=20000:20000",
        "--ulimit",
        "nproc=4096:4096",
        os.environ["ZOTOPS_TEST_IMAGE"],
        "/lib/systemd/systemd",
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = podman("exec", CONTAINER, "systemctl", "is-system-running", check=False).stdout.strip()
        if state in ("running", "degraded"):
            return
        time.sleep(1)
    raise SystemExit(f"{CONTAINER} did not boot")


def timed_playbook(inventory, playbook, *extra):
    """(seconds, tasks run, changed count) of one playbook run; fails loudly on failure."""
    argv = ["ansible-playbook", "-i", inventory, playbook, *extra]
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    start = time.perf_counter()
    done = subprocess.run(
        argv, cwd=benchlib.ROOT, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stdout[-3000:]}")
    recaps = re.findall(r"ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=\d+", done.stdout)
    ran = sum(int(ok) for ok, _changed in recaps)  # tasks that ran on a host, facts included
    return seconds, ran, sum(int(changed) for _ok, changed in recaps)


def write_floor_play(path, tasks):
    """Ansible's floor for a run of `tasks` tasks: facts gathered as site.yml's zot play does,
    then trivial tasks, all against the registry host over the same connection."""
    pings = "".join(f"    - name: Trivial task {n}\n      ansible.builtin.ping:\n" for n in range(1, tasks))
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(f"- name: Floor\n  hosts: zot_registries\n  become: true\n  tasks:\n{pings}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    site = str(benchlib.ROOT / "playbooks" / "site.yml")
    runs = {"first_converge": [], "rerun": [], "check": [], "floor": []}
    with tempfile.TemporaryDirectory() as tmp:
        inventory = os.path.join(tmp, "hosts.yml")
        with open(inventory, "w", encoding="utf-8") as handle:
            handle.write(INVENTORY)
        os.symlink(benchlib.ROOT / "tests" / "inventory" / "group_vars", os.path.join(tmp, "group_vars"))
        try:
            for number in range(args.repeat):
                fresh_host()
                runs["first_converge"].append(timed_playbook(inventory, site, "--tags", "zot"))
                runs["rerun"].append(timed_playbook(inventory, site, "--tags", "zot"))
                runs["check"].append(timed_playbook(inventory, site, "--tags", "zot", "--check"))
                floor = os.path.join(tmp, "floor.yml")
                write_floor_play(floor, runs["rerun"][-1][1])
                runs["floor"].append(timed_playbook(inventory, floor))
                print(
                    f"repetition {number + 1}: " + ", ".join(f"{k} {v[-1][0]:.1f}s" for k, v in runs.items()),
                    file=sys.stderr,
                )
        finally:
            podman("rm", "-f", CONTAINER, check=False)

    result = {}
    for name, samples in runs.items():
        result[name] = {
            "seconds": benchlib.summary([s[0] for s in samples]),
            "tasks_run": benchlib.summary([s[1] for s in samples]),
            "changed": benchlib.summary([s[2] for s in samples]),
        }
    median = {name: result[name]["seconds"]["median"] for name in runs}
    result["rerun_to_floor_ratio"] = median["rerun"] / median["floor"]
    print(
        benchlib.write_result(
            "converge_cost",
            {
                "host": "podman systemd container " + os.environ["ZOTOPS_TEST_IMAGE"],
                "zot": os.environ["ZOTOPS_ZOT_BINARY"],
                "zot_version": zot_version(os.environ["ZOTOPS_ZOT_BINARY"]),
                "runs": result,
            },
        )
    )


if __name__ == "__main__":
    main()
