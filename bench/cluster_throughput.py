#!/usr/bin/env python
# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Pull throughput through HAProxy: a zot cluster of 3 members against 1 member, as a ratio.

Both set-ups run side by side in one process, on one S3 server (versitygw, posix backend,
$ZOTOPS_VERSITYGW_BINARY) and one Redis (Debian's redis-server), all on 127.0.0.1: zot
members from harness/zot.py ($ZOT_BINARY), configured with the collection's own cluster
helpers, and HAProxy rendered from the zot_load_balancer role's template. Images are spread
over repositories so that each member owns some. For each set-up, `--clients` threads pull
(GET manifest by tag + GET config and layer blobs, keep-alive) for `--seconds`; the set-ups
alternate in rounds so that load from other processes hits both alike.

Caveat: every process shares this machine's cores (2 here), so 3 members cannot get more CPU
than 1; the ratio shows what the proxying between members costs, not what 3 hosts would give.

    source scripts/env.sh && python bench/cluster_throughput.py [--seconds 10] [--rounds 3]
"""

import argparse
import os
import pathlib
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time

import benchlib
import jinja2
import requests
import yaml

from ansible_collections.zotops.registry.plugins.plugin_utils._zot import cluster as zot_cluster
from harness import zot as zot_process
from harness.oci_image import push_image
from harness.process import Process, free_port

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
S3_KEYS = {"access_key": "benchaccess", "secret_key": "bench-secret-key-0123"}
BUCKET = "zot"
ROLE = benchlib.ROOT / "roles" / "zot_load_balancer"


def wait_for_port(port, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def start_shared(tmp):
    """Redis and the S3 server; returns (processes, redis_url, s3_endpoint)."""
    redis_port, s3_port = free_port(), free_port()
    redis = subprocess.Popen(  # noqa: S603 - fixed argv
        [
            "redis-server",
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_for_port(redis_port)
    (pathlib.Path(tmp) / "s3" / BUCKET).mkdir(parents=True)
    os.environ.update(ROOT_ACCESS_KEY=S3_KEYS["access_key"], ROOT_SECRET_KEY=S3_KEYS["secret_key"])
    versitygw = Process(
        [os.environ["ZOTOPS_VERSITYGW_BINARY"], "--port", f"127.0.0.1:{s3_port}", "posix", f"{tmp}/s3"],
        tmp,
        f"{tmp}/versitygw.log",
        f"http://127.0.0.1:{s3_port}/",
    ).start()
    return [redis, versitygw], f"redis://127.0.0.1:{redis_port}", f"http://127.0.0.1:{s3_port}"


def start_members(tmp, count, redis_url, s3_endpoint, prefix):
    """`count` zot members on the shared bucket (under `prefix`) and Redis (database per set-up)."""
    ports = [free_port() for _ in range(count)]
    members = [f"127.0.0.1:{port}" for port in ports]
    cache_driver, session_driver = zot_cluster.redis_drivers(f"{redis_url}/{count}")
    storage = {
        "dedupe": False,  # as the zot role deploys on S3
        "remoteCache": True,
        "storageDriver": zot_cluster.s3_storage_driver(
            {
                "bucket": BUCKET,
                "region": "us-east-1",
                "endpoint": s3_endpoint,
                "secure": False,
                "root_directory": prefix,
            }
        ),
        "cacheDriver": cache_driver,
    }
    os.environ.update(zot_cluster.s3_environment(S3_KEYS))
    hash_key = secrets.token_hex(8)
    registries = []
    for port in ports:
        config = {
            "http": {"port": str(port), "auth": {"sessionDriver": session_driver}},
            "storage": dict(storage, rootDirectory=f"{tmp}/{prefix.strip('/')}-{port}"),
            "log": {"level": "error"},
        }
        if count > 1:
            config["cluster"] = zot_cluster.cluster_config(members, hash_key)
        registries.append(zot_process.start(pathlib.Path(tmp), config))
    return registries, members, hash_key


def start_haproxy(tmp, members, name):
    """HAProxy with the role's own template and defaults."""
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    port = free_port()
    defaults.update(
        ansible_managed="bench",
        zot_load_balancer_members=members,
        zot_load_balancer_address="127.0.0.1",
        zot_load_balancer_port=port,
    )
    text = (
        jinja2.Environment(  # noqa: S701 - a config file, as Ansible renders it
            loader=jinja2.FileSystemLoader(str(ROLE / "templates")), undefined=jinja2.StrictUndefined
        )
        .get_template("haproxy.cfg.j2")
        .render(**defaults)
    )
    # Foreground, no log socket, no privilege drop: a process of this benchmark.
    text = text.replace("    daemon\n", "").replace("    user haproxy\n    group haproxy\n", "")
    text = text.replace("    log /dev/log local0\n", "").replace("    log global\n", "")
    path = pathlib.Path(tmp) / f"haproxy-{name}.cfg"
    path.write_text(text)
    haproxy = Process(
        ["haproxy", "-db", "-f", str(path)],
        tmp,
        f"{tmp}/haproxy-{name}.log",
        f"http://127.0.0.1:{port}/readyz",
    )
    haproxy.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while requests.get(url + "/readyz", timeout=5).status_code != 200:
        if time.monotonic() > deadline:
            raise SystemExit(f"HAProxy {name} has no ready member")
        time.sleep(0.5)
    return haproxy, url


def pulls_per_second(url, repos, clients, seconds):
    counts, failures, stop = [0] * clients, [0] * clients, threading.Event()

    def client(index):
        session = requests.Session()
        n = index
        while not stop.is_set():
            repo = repos[n % len(repos)]
            n += 1
            manifest = session.get(
                f"{url}/v2/{repo}/manifests/v1", headers={"Accept": OCI_MANIFEST}, timeout=30
            )
            ok = manifest.status_code == 200
            if ok:
                body = manifest.json()
                for blob in [body["config"], *body["layers"]]:
                    ok = (
                        ok
                        and session.get(f"{url}/v2/{repo}/blobs/{blob['digest']}", timeout=30).status_code
                        == 200
                    )
            counts[index] += ok
            failures[index] += not ok

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return sum(counts) / elapsed, sum(failures)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="pull time per set-up and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8, help="concurrent pulling clients")
    parser.add_argument("--repos", type=int, default=12, help="repositories (spread over the owners)")
    args = parser.parse_args()

    processes = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            shared, redis_url, s3_endpoint = start_shared(tmp)
            processes += shared
            setups = {}
            for count in (1, 3):
                registries, members, hash_key = start_members(
                    tmp, count, redis_url, s3_endpoint, f"/zot-{count}"
                )
                processes += registries
                haproxy, url = start_haproxy(tmp, members, str(count))
                processes.append(haproxy)
                repos = [f"bench/app-{n}" for n in range(args.repos)]
                for repo in repos:
                    push_image(requests.Session(), url, repo, "v1", layers=1, layer_size=64 * 1024)
                owners = sorted(zot_cluster.owner(hash_key, members, repo)[0] for repo in repos)
                setups[count] = {"url": url, "repos": repos, "owners": owners}
            samples = {count: [] for count in setups}
            failed = {count: 0 for count in setups}
            for _unused in range(args.rounds):
                for count, setup in setups.items():
                    rate, failures = pulls_per_second(
                        setup["url"], setup["repos"], args.clients, args.seconds
                    )
                    samples[count].append(rate)
                    failed[count] += failures
        finally:
            for process in reversed(processes):
                if isinstance(process, Process):
                    process.stop()
                else:
                    process.terminate()
                    process.wait(timeout=10)

    results = {
        f"{count}_members": dict(benchlib.summary(values), failed_pulls=failed[count])
        for count, values in samples.items()
    }
    ratio = results["3_members"]["median"] / results["1_members"]["median"]
    for name, result in results.items():
        print(
            f"{name:10} median {result['median']:8.1f} pulls/s  (failed {result['failed_pulls']})",
            file=sys.stderr,
        )
    print(f"3 members / 1 member: x{ratio:.2f}", file=sys.stderr)
    path = benchlib.write_result(
        "cluster_throughput",
        {
            "zot": zot_process.binary(),
            "zot_version": zot_process.version_line(zot_process.binary()),
            "versitygw": os.environ["ZOTOPS_VERSITYGW_BINARY"],
            "pull": "GET manifest by tag, GET config and 64 KiB layer via HAProxy, keep-alive, 127.0.0.1",
            "clients": args.clients,
            "seconds_per_round": args.seconds,
            "repositories_per_owner": {
                count: {i: s["owners"].count(i) for i in set(s["owners"])} for count, s in setups.items()
            },
            "setups": results,
            "ratio_3_to_1": ratio,
            "caveat": "all processes share this machine's cores; 3 members get no more CPU than 1",
        },
    )
    print(path)


if __name__ == "__main__":
    main()
