# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Bounded floods against a real zot: wrong passwords, and what they do meanwhile to the
latency of anonymous pulls (for the flood test and bench/auth_overhead.py); anonymous
requests for made-up repository names, and what they add to zot's metrics (for the proxy
example's test and bench/metrics_growth.py)."""

import threading
import time

import requests
from requests.adapters import HTTPAdapter

from harness.oci_image import pull_image

# The flood comes from another loopback address than the pulls, as an attacker's would:
# zot's http.ratelimit counts per client IP.
FLOOD_SOURCE = "127.0.0.2"
RETRY_AFTER_429 = 0.1


class FromAddress(HTTPAdapter):
    """Sends from a given local address (another loopback IP than the default 127.0.0.1)."""

    def __init__(self, address):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def pull_latencies(url, repo, tag, seconds):
    """Seconds of each anonymous pull made one after the other for `seconds`, over one
    keep-alive connection."""
    session = requests.Session()
    session.get(f"{url}/v2/", timeout=30)  # open the connection outside the timing
    samples = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        start = time.perf_counter()
        pull_image(session, url, repo, tag)
        samples.append(time.perf_counter() - start)
    return samples


def _flood(url, repo, user, deadline, statuses, lock):
    session = requests.Session()
    session.mount("http://", FromAddress(FLOOD_SOURCE))
    session.auth = (user, "wrong-password")
    while time.monotonic() < deadline:
        status = session.get(f"{url}/v2/{repo}/tags/list", timeout=60).status_code
        with lock:
            statuses[status] = statuses.get(status, 0) + 1
        if status == 429:
            # Refused by a proxy's limit without reaching zot. Retrying at once would only
            # measure this process's own CPU use on the cores the registry shares.
            time.sleep(RETRY_AFTER_429)


def pulls_under_flood(url, repo, tag, user, clients=4, seconds=4.0):
    """Anonymous pull latencies idle and while `clients` connections send wrong passwords for
    `user` for `seconds`: {"idle": [...], "flood": [...], "flood_statuses": {status: count}}."""
    idle = pull_latencies(url, repo, tag, seconds)
    statuses, lock = {}, threading.Lock()
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=_flood, args=(url, repo, user, deadline, statuses, lock))
        for _unused in range(clients)
    ]
    for thread in threads:
        thread.start()
    time.sleep(min(0.5, seconds / 4))  # let the flood build up before measuring
    flood = pull_latencies(url, repo, tag, deadline - time.monotonic())
    for thread in threads:
        thread.join()
    return {"idle": idle, "flood": flood, "flood_statuses": statuses}


def percentile(samples, fraction):
    """The nearest-rank percentile of `samples` (fraction 0.5: the median)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def made_up_names(url, count, prefix="made-up", source=FLOOD_SOURCE):
    """`count` anonymous manifest requests, one after the other from `source`, each for a
    repository name no one pushed: {"statuses": {status: count}, "seconds": elapsed}."""
    session = requests.Session()
    session.mount("http://", FromAddress(source))
    statuses = {}
    started = time.monotonic()
    for number in range(count):
        status = session.get(f"{url}/v2/{prefix}-{number}/manifests/latest", timeout=30).status_code
        statuses[status] = statuses.get(status, 0) + 1
    return {"statuses": statuses, "seconds": time.monotonic() - started}


def metric_lines(url, auth, path="/metrics"):
    """How many sample lines (not comments) zot's Prometheus endpoint answers."""
    response = requests.get(url + path, auth=auth, timeout=30)
    response.raise_for_status()
    return sum(1 for line in response.text.splitlines() if line and not line.startswith("#"))
