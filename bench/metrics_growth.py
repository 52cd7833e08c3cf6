#!/usr/bin/env python
# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""What anonymous requests for made-up repository names add to real zot's metrics and memory,
straight at zot and through the example proxy config (docs/examples/nginx-zot.conf,
Debian's nginx) from an address outside its own networks.

Two zots (harness/zot.py) with the role's default policy and metrics; each request is an
anonymous GET of a manifest in a repository no one pushed (404), sent one after the other
from 127.0.0.2 (harness/flood.py). After each step: the sample lines of /metrics and zot's
resident memory (VmRSS).

    source scripts/env.sh && python bench/metrics_growth.py [--requests 20000] [--steps 4]
"""

import argparse
import tempfile

import benchlib

from harness import flood, nginx
from harness import zot as zot_process
from harness.role_defaults import zot_role_default
from tests.support.policies import role_default_access_control

SCRAPER = ("prometheus", "bench-scraper-password")
METRICS_PATH = zot_role_default("zot_metrics_path")


def start_zot(tmp):
    config = {
        "http": {
            "auth": {"htpasswd": {"path": "{tmp}/htpasswd"}, "failDelay": 0},
            "accessControl": role_default_access_control(),
        },
        "extensions": {"metrics": {"enable": True, "prometheus": {"path": METRICS_PATH}}},
        "log": {"level": "error"},
    }
    return zot_process.start(tmp, config, {"htpasswd": zot_process.htpasswd_line(*SCRAPER) + "\n"})


def resident_mib(registry):
    with open("/proc/%d/status" % registry.process.pid, encoding="utf-8") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS for zot")


def measure(registry, target_url, total, steps):
    """Rows after 0, total/steps, ... total requests sent to target_url."""
    rows, sent, statuses = [], 0, {}

    def row():
        rows.append(
            {
                "requests": sent,
                "metric_lines": flood.metric_lines(registry.url, SCRAPER, METRICS_PATH),
                "zot_rss_mib": round(resident_mib(registry), 1),
                "statuses": dict(statuses),
            }
        )
        print(rows[-1], flush=True)

    row()
    for step in range(steps):
        count = total // steps
        run = flood.made_up_names(target_url, count, prefix="made-up-%d" % step)
        for status, number in run["statuses"].items():
            statuses[status] = statuses.get(status, 0) + number
        sent += count
        row()
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--steps", type=int, default=4)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as straight, tempfile.TemporaryDirectory() as proxied:
        registry = start_zot(straight)
        try:
            print("straight at zot", flush=True)
            results["straight"] = measure(registry, registry.url, args.requests, args.steps)
        finally:
            registry.stop()
        registry = start_zot(proxied)
        proxy = nginx.start(proxied, registry.url)
        try:
            print("through docs/examples/nginx-zot.conf", flush=True)
            results["via_example_proxy"] = measure(registry, proxy.url, args.requests, args.steps)
        finally:
            proxy.stop()
            registry.stop()
    rate, burst = nginx.anonymous_rate_limit()
    path = benchlib.write_result(
        "metrics_growth",
        {
            "zot": zot_process.version_line(zot_process.binary()),
            "what": "anonymous GET /v2/<made-up name>/manifests/latest from 127.0.0.2, one after the other; "
            "via_example_proxy: through docs/examples/nginx-zot.conf (anonymous rate %d r/s, burst %d "
            "per address outside its networks)" % (rate, burst),
            "results": results,
        },
    )
    print("wrote", path)


if __name__ == "__main__":
    main()
