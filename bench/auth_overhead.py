#!/usr/bin/env python
# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""What authentication costs per pull and per push on real zot, as ratios to anonymous, and
what a flood of wrong passwords does to anonymous pull latency.

One zot (harness/zot.py: $ZOT_BINARY, see scripts/get-zot.sh) with htpasswd, OpenID Connect
(a real provider on loopback, tests/support/oidc_provider.py) and API keys, the role's
default failDelay, all on 127.0.0.1. Per mode, over one keep-alive connection: pulls of a
5-layer image (manifest, config, 5 layers: 7 requests) and pushes of a new 5-layer image
(HEAD, POST, PUT per blob, then the manifest: 19 requests). Modes: anonymous; htpasswd
basic auth of a person (bcrypt cost 10) and of a machine identity (generated 256-bit secret,
cost 4, as the role writes it); API keys (zak_...) of both htpasswd users; an API key of an
OIDC identity that is not in htpasswd; zot's own LDAP login (slapd on loopback, LDAPS) and an
API key of that LDAP identity. The floor: anonymous and the machine identity again against a
second zot whose storage root (and with it the metadata database) is in memory (/dev/shm),
each to its own anonymous baseline, to show what the disk's fsync adds to every
authenticated request. A client certificate (mTLS, no bcrypt): a third zot on TLS that
verifies client certificates if given, anonymous over TLS as its baseline. Modes are
interleaved in rounds so that load from other processes hits all of them alike. Then the
flood: 4 and 32 connections sending wrong passwords for the cost-10 user (from 127.0.0.2)
while anonymous pulls run, and the 32 through the example proxy config
(docs/examples/nginx-zot.conf, Debian's nginx).

    source scripts/env.sh && python bench/auth_overhead.py [--pulls 10] [--pushes 3] [--rounds 3]
"""

import argparse
import functools
import itertools
import json
import os
import secrets
import shutil
import string
import sys
import tempfile
import time

import benchlib
import requests

from ansible_collections.zotops.registry.plugins.plugin_utils._zot.htpasswd import render_htpasswd
from harness import flood, nginx
from harness import zot as zot_process
from harness.oci_image import pull_image, push_image
from harness.process import free_port
from harness.tls import client_session, make_certificates
from harness.role_defaults import zot_role_default
from tests.support import ldap_directory as ldap
from tests.support.oidc_browser import SESSION_HEADERS, browser_login
from tests.support.oidc_provider import start_oidc_provider

REPO = "bench/app"
ADMIN = {"name": "admin", "password": "bench-admin-password"}
PERSON = {"name": "person", "password": "bench-person-password"}
# What the role generates for a machine identity: 43 of 62 characters, 256 bits.
MACHINE = {
    "name": "ci",
    "machine": True,
    "password": "".join(secrets.choice(string.ascii_letters + string.digits) for _unused in range(43)),
}
OIDC_USER = {"sub": "ci-bot", "email": "ci-bot@example.test"}
# (mode, label, the anonymous mode it is compared with)
MODES = [
    ("anonymous", "anonymous", "anonymous"),
    ("basic_person_bcrypt_10", "htpasswd basic, person, bcrypt cost 10", "anonymous"),
    ("basic_machine_bcrypt_4", "htpasswd basic, machine identity (generated secret), cost 4", "anonymous"),
    ("api_key_person_bcrypt_10", "API key of the cost-10 htpasswd user", "anonymous"),
    ("api_key_machine_bcrypt_4", "API key of the cost-4 machine user", "anonymous"),
    ("api_key_oidc", "API key of an OIDC identity (not in htpasswd)", "anonymous"),
    ("basic_ldap", "LDAP password (zot's own LDAP login, LDAPS to slapd on loopback)", "anonymous"),
    ("api_key_ldap", "API key of an LDAP identity (not in htpasswd)", "anonymous"),
    ("anonymous_in_memory", "anonymous, metadata in memory", "anonymous_in_memory"),
    ("basic_machine_bcrypt_4_in_memory", "machine identity, metadata in memory", "anonymous_in_memory"),
    ("anonymous_tls", "anonymous over TLS", "anonymous_tls"),
    ("mtls_client_certificate", "client certificate (mTLS, CommonName as the identity)", "anonymous_tls"),
]
PROOF_REPO = "only-the-certificate/app"
LDAP_USER = "ci-runner"  # in tests/support/ldap_directory.py's seed
FLOOD_CLIENTS = (4, 32)


def start(tmp, issuer, directory, storage_root=None):
    """zot with every identity source; storage_root: where its images and metadata database
    go (default: under tmp)."""
    port = free_port()
    ldap_section, ldap_files = ldap.zot_ldap_auth(directory.zot_ldap_settings())
    config = {
        "http": {
            "port": str(port),
            "externalUrl": f"http://127.0.0.1:{port}",
            "auth": {
                "htpasswd": {"path": "{tmp}/htpasswd"},
                "openid": {
                    "providers": {
                        "oidc": {
                            "name": "IdP",
                            "issuer": issuer,
                            "credentialsFile": "{tmp}/oidc.json",
                            "scopes": ["email"],
                        }
                    }
                },
                "ldap": ldap_section,
                "apikey": True,
                "sessionKeysFile": "{tmp}/keys.json",
                "failDelay": zot_role_default("zot_auth_fail_delay"),
            },
            # Anonymous may push here so that pushes have an anonymous baseline too.
            "accessControl": {
                "repositories": {
                    "**": {"anonymousPolicy": ["read", "create"], "defaultPolicy": ["read", "create"]}
                },
                "adminPolicy": {"users": [ADMIN["name"]], "actions": ["read", "create", "update", "delete"]},
            },
        },
        "log": {"level": "error"},
    }
    if storage_root:
        config["storage"] = {"rootDirectory": storage_root}
    files = {
        "htpasswd": render_htpasswd([ADMIN, PERSON, MACHINE]),
        "oidc.json": json.dumps({"clientid": "zot", "clientsecret": "bench"}),
        "keys.json": json.dumps({"hashKey": secrets.token_hex(32), "encryptKey": secrets.token_hex(16)}),
        **ldap_files,
    }
    return zot_process.start(tmp, config, files)


def create_api_key(session, url, headers=None):
    answer = session.post(f"{url}/zot/auth/apikey", json={"label": "bench"}, headers=headers, timeout=30)
    answer.raise_for_status()
    return answer.json()["apiKey"]


def start_tls(tmp, certificates):
    """zot on TLS that takes a client certificate's CommonName as the identity; no passwords."""
    config = {
        "http": {
            "tls": {"cert": certificates["cert"], "key": certificates["key"], "cacert": certificates["ca"]},
            "auth": {"mtls": {"identityAttributes": ["CommonName"]}},
            "accessControl": {
                "repositories": {
                    "**": {"anonymousPolicy": ["read", "create"], "defaultPolicy": ["read", "create"]},
                    # Only the certificate's identity may read here: proves zot took it.
                    f"{PROOF_REPO}": {"policies": [{"users": [MACHINE["name"]], "actions": ["read"]}]},
                }
            },
        },
        "log": {"level": "error"},
    }
    return zot_process.start(tmp, config)


def check_identity(url, certificates):
    """zot knows the client certificate's CommonName: it may read PROOF_REPO (404, nothing
    there), anonymous may not."""
    for cert, expected in ((certificates["clients"][MACHINE["name"]], 404), (None, 401)):
        session = client_session(certificates["ca"], cert)
        status = session.get(f"{url}/v2/{PROOF_REPO}/tags/list", timeout=30).status_code
        if status != expected:
            raise SystemExit(f"mTLS identity not taken: {status} with certificate {cert}")


def basic_session(auth):
    session = requests.Session()
    session.auth = auth
    return session


def credentials(url, in_memory_url, tls_url, certificates):
    """{mode: (registry URL, a function that opens the client's session)}."""
    person, machine = (PERSON["name"], PERSON["password"]), (MACHINE["name"], MACHINE["password"])
    ldap_person = (LDAP_USER, ldap.PEOPLE[LDAP_USER][0])
    person_session, machine_session, ldap_session = requests.Session(), requests.Session(), requests.Session()
    person_session.auth, machine_session.auth, ldap_session.auth = person, machine, ldap_person
    browser, _unused = browser_login(url, OIDC_USER["sub"])
    on_disk = {
        "anonymous": None,
        "basic_person_bcrypt_10": person,
        "basic_machine_bcrypt_4": machine,
        "api_key_person_bcrypt_10": (PERSON["name"], create_api_key(person_session, url)),
        "api_key_machine_bcrypt_4": (MACHINE["name"], create_api_key(machine_session, url)),
        "api_key_oidc": (OIDC_USER["email"], create_api_key(browser, url, SESSION_HEADERS)),
        "basic_ldap": ldap_person,
        "api_key_ldap": (LDAP_USER, create_api_key(ldap_session, url)),
    }
    modes = {mode: (url, functools.partial(basic_session, auth)) for mode, auth in on_disk.items()}
    modes["anonymous_in_memory"] = (in_memory_url, functools.partial(basic_session, None))
    modes["basic_machine_bcrypt_4_in_memory"] = (in_memory_url, functools.partial(basic_session, machine))
    ca, certificate = certificates["ca"], certificates["clients"][MACHINE["name"]]
    modes["anonymous_tls"] = (tls_url, functools.partial(client_session, ca))
    modes["mtls_client_certificate"] = (tls_url, functools.partial(client_session, ca, certificate))
    return modes


def timed(action, count):
    samples = []
    for _unused in range(count):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return samples


def measure(url, open_session, pulls, pushes, tags):
    session = open_session()
    session.get(f"{url}/v2/", timeout=30)  # open the connection outside the timing
    pull = timed(lambda: pull_image(session, url, REPO, "v1"), pulls)
    push = timed(lambda: push_image(session, url, REPO, next(tags)), pushes)
    return pull, push


def flood_effect(url, tmp):
    """The flood straight at zot with each of FLOOD_CLIENTS connections, then with the most
    through docs/examples/nginx-zot.conf (pulls through it too)."""
    targets = [(f"{clients}_clients", url, clients) for clients in FLOOD_CLIENTS]
    targets.append((f"{FLOOD_CLIENTS[-1]}_clients_via_example_proxy", None, FLOOD_CLIENTS[-1]))
    results = {}
    for name, target, clients in targets:
        proxy = nginx.start(tmp, url) if target is None else None
        try:
            run = flood.pulls_under_flood(
                target or proxy.url, REPO, "v1", PERSON["name"], clients=clients, seconds=5
            )
        finally:
            if proxy:
                proxy.stop()
        idle, busy = run["idle"], run["flood"]
        results[name] = {
            "idle_p50": flood.percentile(idle, 0.5),
            "idle_p99": flood.percentile(idle, 0.99),
            "flood_p50": flood.percentile(busy, 0.5),
            "flood_p99": flood.percentile(busy, 0.99),
            "p50_ratio": flood.percentile(busy, 0.5) / flood.percentile(idle, 0.5),
            "pulls_idle": len(idle),
            "pulls_flood": len(busy),
            "flood_statuses": run["flood_statuses"],
        }
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pulls", type=int, default=10, help="pulls per mode and round")
    parser.add_argument("--pushes", type=int, default=3, help="pushes per mode and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    tags = (f"push-{n}" for n in itertools.count())
    with tempfile.TemporaryDirectory() as tmp:
        idp = start_oidc_provider(tmp, [OIDC_USER])
        directory = ldap.start_ldap_directory(os.path.join(tmp, "ldap"))
        certificates = make_certificates(tmp, clients=[MACHINE["name"]])
        registry = in_memory = on_tls = None
        try:
            registry = start(tmp, idp.issuer, directory)
            in_memory = start(tmp, idp.issuer, directory, tempfile.mkdtemp(dir="/dev/shm"))
            on_tls = start_tls(tmp, certificates)
            for url in (registry.url, in_memory.url, on_tls.url):
                push_image(client_session(certificates["ca"]), url, REPO, "v1")
            check_identity(on_tls.url, certificates)
            modes = credentials(registry.url, in_memory.url, on_tls.url, certificates)
            pulls, pushes = {mode: [] for mode in modes}, {mode: [] for mode in modes}
            for _unused in range(args.rounds):
                for mode, (url, open_session) in modes.items():
                    pull, push = measure(url, open_session, args.pulls, args.pushes, tags)
                    pulls[mode] += pull
                    pushes[mode] += push
            flooded = flood_effect(registry.url, tmp)
        finally:
            for zot in (registry, in_memory, on_tls):
                if zot:
                    zot.stop()
            if in_memory:
                shutil.rmtree(in_memory.config["storage"]["rootDirectory"], ignore_errors=True)
            directory.stop()
            idp.stop()

    results = {}
    for mode, label, baseline in MODES:
        results[mode] = {
            "label": label,
            "pull": benchlib.summary(pulls[mode]),
            "push": benchlib.summary(pushes[mode]),
        }
        for kind in ("pull", "push"):
            result = results[mode][kind]
            result["ratio_to_anonymous"] = result["median"] / results[baseline][kind]["median"]
        pull, push = results[mode]["pull"], results[mode]["push"]
        print(
            f"{mode:32} pull {pull['median'] * 1000:8.1f} ms x{pull['ratio_to_anonymous']:5.1f}"
            f"   push {push['median'] * 1000:8.1f} ms x{push['ratio_to_anonymous']:5.1f}",
            file=sys.stderr,
        )
    for name, run in flooded.items():
        print(
            f"flood {name:12} anonymous pull p50 {run['idle_p50'] * 1000:.1f}"
            f" -> {run['flood_p50'] * 1000:.1f} ms,"
            f" p99 {run['idle_p99'] * 1000:.1f} -> {run['flood_p99'] * 1000:.1f} ms,"
            f" flood answers {run['flood_statuses']}",
            file=sys.stderr,
        )
    path = benchlib.write_result(
        "auth_overhead",
        {
            "zot": zot_process.binary(),
            "zot_version": zot_process.version_line(zot_process.binary()),
            "pull": "GET manifest by tag, config and 5 layers of 1 KiB (7 requests), keep-alive, 127.0.0.1",
            "push": "HEAD + POST + PUT per blob (config, 5 new 1 KiB layers), PUT manifest (19 requests)",
            "fail_delay": zot_role_default("zot_auth_fail_delay"),
            "pulls_per_mode": args.pulls * args.rounds,
            "pushes_per_mode": args.pushes * args.rounds,
            "modes": results,
            "flood": {
                "what": "N connections from 127.0.0.2 sending wrong passwords for the cost-10 user for 5 s, "
                "anonymous pulls from 127.0.0.1 meanwhile, against 5 s of idle pulls just before; "
                "via_example_proxy: flood and pulls through docs/examples/nginx-zot.conf",
                "runs": flooded,
            },
        },
    )
    print(path)


if __name__ == "__main__":
    main()
