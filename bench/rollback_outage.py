#!/usr/bin/env python
# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The outage of a failed change: how long the registry does not answer /readyz when a
converge makes a change zot cannot come up with and the zot role rolls it back.

On a fresh podman systemd host (converge_cost.py's zotops-bench, real zot on 127.0.0.1:5095),
converged once: per run, a converge with a TLS certificate file that holds no certificate
(zot verify accepts it, zot serve exits) and the given zot_ready_timeout, while a thread
asks /readyz every 0.1 s. The outage is from the first unanswered probe to the first answer
of the rolled-back registry. Needs scripts/setup.sh and `source scripts/env.sh`.

    python bench/rollback_outage.py [--timeouts 10 60] [--repeat 2]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

import benchlib
import requests
from converge_cost import CONTAINER, INVENTORY, PORT, RUN_TIMEOUT, fresh_host, podman

from harness.zot import version_line as zot_version

JUNK_TLS = "/etc/zotops-rollback-tls"
PROBE_INTERVAL = 0.1


def playbook(inventory, extra_vars=None):
    argv = [
        "ansible-playbook",
        "-i",
        inventory,
        str(benchlib.ROOT / "playbooks" / "site.yml"),
        "--tags",
        "zot",
    ]
    if extra_vars:
        argv += ["-e", json.dumps(extra_vars)]
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    return subprocess.run(
        argv, cwd=benchlib.ROOT, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False
    )


class ReadyProbe(threading.Thread):
    """Asks /readyz until stopped; keeps (monotonic time, answered 200)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples, self.stopped = [], threading.Event()

    def run(self):
        session = requests.Session()
        while not self.stopped.is_set():
            try:
                ok = session.get("http://127.0.0.1:%d/readyz" % PORT, timeout=1).status_code == 200
            except requests.RequestException:
                ok = False
            self.samples.append((time.monotonic(), ok))
            time.sleep(PROBE_INTERVAL)

    def outage(self):
        """Seconds from the first unanswered probe to the next answered one."""
        down = next((t for t, ok in self.samples if not ok), None)
        if down is None:
            return 0.0
        up = next((t for t, ok in self.samples if ok and t > down), None)
        if up is None:
            raise SystemExit("the registry did not answer again after the failed change")
        return up - down


def failed_change(inventory, ready_timeout):
    """(outage seconds, playbook seconds) of one rolled-back change."""
    probe = ReadyProbe()
    probe.start()
    start = time.monotonic()
    done = playbook(
        inventory,
        {
            "zot_tls_cert": JUNK_TLS + "/cert.pem",
            "zot_tls_key": JUNK_TLS + "/key.pem",
            "zot_ready_timeout": ready_timeout,
        },
    )
    seconds = time.monotonic() - start
    time.sleep(1)
    probe.stopped.set()
    probe.join()
    if done.returncode == 0 or "rolled back: the previous state is serving again" not in done.stdout:
        raise SystemExit("the change was not rolled back:\n" + done.stdout[-3000:])
    return probe.outage(), seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeouts", type=int, nargs="+", default=[10, 60])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        inventory = os.path.join(tmp, "hosts.yml")
        with open(inventory, "w", encoding="utf-8") as handle:
            handle.write(INVENTORY)
        os.symlink(benchlib.ROOT / "tests" / "inventory" / "group_vars", os.path.join(tmp, "group_vars"))
        try:
            fresh_host()
            first = playbook(inventory)
            if first.returncode != 0:
                raise SystemExit("the first converge failed:\n" + first.stdout[-3000:])
            junk = "mkdir -p {0} && echo junk > {0}/cert.pem && echo junk > {0}/key.pem && chmod 644 {0}/*"
            podman("exec", CONTAINER, "sh", "-c", junk.format(JUNK_TLS))
            for timeout in args.timeouts:
                samples = [failed_change(inventory, timeout) for _ in range(args.repeat)]
                runs["zot_ready_timeout=%d" % timeout] = {
                    "outage_seconds": benchlib.summary([s[0] for s in samples]),
                    "playbook_seconds": benchlib.summary([s[1] for s in samples]),
                }
                print(
                    "zot_ready_timeout %d: outage %s s" % (timeout, [round(s[0], 1) for s in samples]),
                    file=sys.stderr,
                )
        finally:
            podman("rm", "-f", CONTAINER, check=False)
    print(
        benchlib.write_result(
            "rollback_outage",
            {
                "host": "podman systemd container " + os.environ["ZOTOPS_TEST_IMAGE"],
                "zot_version": zot_version(os.environ["ZOTOPS_ZOT_BINARY"]),
                "runs": runs,
            },
        )
    )


if __name__ == "__main__":
    main()
