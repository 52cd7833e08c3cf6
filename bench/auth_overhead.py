#!/usr/bin/env python
"""What authentication costs per pull on real zot, as a ratio to anonymous pulls.

One zot (harness/zot.py: $ZOT_BINARY, see scripts/get-zot.sh), one small image (config +
1 KiB layer), then for each mode N pulls (GET manifest by tag + GET layer blob) over one
keep-alive connection, all on 127.0.0.1: anonymous, htpasswd basic auth with a bcrypt cost
10 hash, with a cost 12 hash, and an API key (zak_...) of the cost-10 user. The modes are
interleaved in rounds so that load from other processes hits all of them alike.

    source scripts/env.sh && python bench/auth_overhead.py [--pulls 40] [--rounds 5]
"""

import argparse
import hashlib
import json
import sys
import tempfile
import time

import benchlib
import requests

from ansible_collections.zotops.registry.plugins.plugin_utils.htpasswd import hash_password
from harness import zot as zot_process

REPO = "bench/app"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
USERS = {"cost10": ("bench10", "bench-password-10", 10), "cost12": ("bench12", "bench-password-12", 12)}
ADMIN = ("admin", "bench-admin-password")


def start(tmp):
    lines = [f"{ADMIN[0]}:{hash_password(ADMIN[1], 10)}"]
    lines += [f"{name}:{hash_password(password, cost)}" for name, password, cost in USERS.values()]
    config = {
        "http": {
            "auth": {"htpasswd": {"path": "{tmp}/htpasswd"}, "apikey": True, "failDelay": 0},
            "accessControl": {
                "repositories": {"**": {"anonymousPolicy": ["read"], "defaultPolicy": ["read"]}},
                "adminPolicy": {"users": [ADMIN[0]], "actions": ["read", "create", "update", "delete"]},
            },
        },
        "log": {"level": "error"},
    }
    return zot_process.start(tmp, config, {"htpasswd": "\n".join(lines) + "\n"})


def push_image(url):
    session = requests.Session()
    session.auth = ADMIN
    blobs = [json.dumps({"architecture": "amd64", "os": "linux"}).encode(), b"x" * 1024]
    descriptors = []
    for data in blobs:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        started = session.post(f"{url}/v2/{REPO}/blobs/uploads/", timeout=30)
        started.raise_for_status()
        location = requests.compat.urljoin(url, started.headers["Location"])
        session.put(location, params={"digest": digest}, data=data, timeout=30).raise_for_status()
        descriptors.append({"digest": digest, "size": len(data)})
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": dict(descriptors[0], mediaType="application/vnd.oci.image.config.v1+json"),
        "layers": [dict(descriptors[1], mediaType="application/vnd.oci.image.layer.v1.tar")],
    }
    session.put(
        f"{url}/v2/{REPO}/manifests/v1",
        data=json.dumps(manifest),
        headers={"Content-Type": OCI_MANIFEST},
        timeout=30,
    ).raise_for_status()
    return descriptors[1]["digest"]


def create_api_key(url, user):
    response = requests.post(
        f"{url}/zot/auth/apikey", auth=user, json={"label": "bench", "scopes": []}, timeout=30
    )
    response.raise_for_status()
    return response.json()["apiKey"]


def pull_seconds(url, auth, layer, pulls):
    """Seconds per pull, each pull timed on its own."""
    session = requests.Session()
    session.auth = auth
    session.get(f"{url}/v2/", timeout=30)  # open the connection outside the timing
    samples = []
    for _unused in range(pulls):
        start = time.perf_counter()
        manifest = session.get(f"{url}/v2/{REPO}/manifests/v1", headers={"Accept": OCI_MANIFEST}, timeout=30)
        blob = session.get(f"{url}/v2/{REPO}/blobs/{layer}", timeout=30)
        samples.append(time.perf_counter() - start)
        if manifest.status_code != 200 or blob.status_code != 200:
            raise SystemExit(
                f"pull failed with {auth and auth[0]}: {manifest.status_code} {blob.status_code}"
            )
    return samples


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pulls", type=int, default=40, help="pulls per mode and round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        registry = start(tmp)
        try:
            layer = push_image(registry.url)
            name, password, _cost = USERS["cost10"]
            modes = {
                "anonymous": None,
                "basic_bcrypt_10": (name, password),
                "basic_bcrypt_12": USERS["cost12"][:2],
                "api_key": (name, create_api_key(registry.url, (name, password))),
            }
            samples = {mode: [] for mode in modes}
            for _unused in range(args.rounds):
                for mode, auth in modes.items():
                    samples[mode] += pull_seconds(registry.url, auth, layer, args.pulls)
        finally:
            registry.stop()

    results = {mode: benchlib.summary(values) for mode, values in samples.items()}
    anonymous = results["anonymous"]["median"]
    for mode, result in results.items():
        result["ratio_to_anonymous"] = result["median"] / anonymous
        print(
            f"{mode:18} median {result['median'] * 1000:8.2f} ms/pull  x{result['ratio_to_anonymous']:.1f}",
            file=sys.stderr,
        )
    path = benchlib.write_result(
        "auth_overhead",
        {
            "zot": zot_process.binary(),
            "zot_version": zot_process.version_line(zot_process.binary()),
            "pull": "GET manifest by tag + GET 1 KiB layer blob, keep-alive, 127.0.0.1",
            "pulls_per_mode": args.pulls * args.rounds,
            "modes": results,
        },
    )
    print(path)


if __name__ == "__main__":
    main()
