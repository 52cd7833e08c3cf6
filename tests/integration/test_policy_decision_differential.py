# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The policy engine against real zot: seeded random policies and requests over HTTP.

For every policy (tests/differential/policy_cases.py) zot is started with it, every user
logs in once and creates an API key, and zot is restarted with the same policy but other
group memberships, so that the API keys carry groups stored under the first version. Then
random requests (anonymous, password, API key; read by tag or digest, blob upload, manifest
PUT to a new tag, an existing tag or a digest, DELETE, /metrics, whether /v2/_catalog lists
the repository) are sent. The engine is
given what zot's CEL conditions see of each request (reference, method, client address),
so it never answers "conditional". Its decision must match the status: allowed <=> neither
401 nor 403, and a denial's status.
Manifest bodies are invalid on purpose, so allowed writes fail after authorization (400)
and change nothing.

    ZOTOPS_POLICY_SEED=5 ZOTOPS_POLICY_COUNT=200 python -m pytest -q \\
        tests/integration/test_policy_decision_differential.py
"""

import json
import os
import random

import pytest
import requests

from ansible_collections.zotops.registry.plugins.module_utils._policy.engine import LoadedPolicy
from ansible_collections.zotops.registry.plugins.plugin_utils._zot.htpasswd import hash_password
from harness import zot as zot_process
from tests.differential.policy_cases import REPOS, USERS, random_policy, random_requests
from tests.support.oci_layout import make_oci_layout

pytestmark = pytest.mark.integration

SEED = int(os.environ.get("ZOTOPS_POLICY_SEED", "1220"))
POLICIES = int(os.environ.get("ZOTOPS_POLICY_COUNT", "30"))
REQUESTS = int(os.environ.get("ZOTOPS_POLICY_REQUESTS", "60"))
PASSWORD = "pw-0123456789"
MISSING_DIGEST = "sha256:" + "0" * 64
# operation -> (action, HTTP method, reference zot authorizes; None: the new tag's name)
OPERATIONS = {
    "read_tag": ("read", "GET", "seed"),
    "read_digest": ("read", "GET", MISSING_DIGEST),
    "upload": ("create", "POST", ""),
    "put_new_tag": ("create", "PUT", None),
    "put_existing_tag": ("update", "PUT", "seed"),
    "put_digest": ("create", "PUT", MISSING_DIGEST),
    "delete": ("delete", "DELETE", MISSING_DIGEST),
}


def config(access_control, root):
    return {
        "storage": {"rootDirectory": root},
        "http": {
            "auth": {"htpasswd": {"path": "{tmp}/htpasswd"}, "apikey": True},
            "accessControl": access_control,
        },
        "extensions": {"metrics": {"enable": True}},
        "log": {"level": "warn"},
    }


def send(url, request, auth):
    operation, repo = request["operation"], request["repo"]
    base = f"{url}/v2/{repo}"
    bad_manifest = {"data": b"{}", "headers": {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}}
    if operation == "metrics":
        return requests.get(f"{url}/metrics", auth=auth, timeout=30)
    if operation == "catalog":
        return requests.get(f"{url}/v2/_catalog", auth=auth, timeout=30)
    if operation == "read_tag":
        return requests.get(f"{base}/manifests/seed", auth=auth, timeout=30)
    if operation == "read_digest":
        return requests.get(f"{base}/manifests/{MISSING_DIGEST}", auth=auth, timeout=30)
    if operation == "upload":
        return requests.post(f"{base}/blobs/uploads/", auth=auth, timeout=30)
    if operation == "put_new_tag":
        return requests.put(f"{base}/manifests/{request['tag']}", auth=auth, timeout=30, **bad_manifest)
    if operation == "put_existing_tag":
        return requests.put(f"{base}/manifests/seed", auth=auth, timeout=30, **bad_manifest)
    if operation == "put_digest":
        return requests.put(f"{base}/manifests/{MISSING_DIGEST}", auth=auth, timeout=30, **bad_manifest)
    if operation == "delete":
        return requests.delete(f"{base}/manifests/{MISSING_DIGEST}", auth=auth, timeout=30)
    raise AssertionError(operation)


def expected(before, after, request):
    """The engine's decision: before = policy at the API keys' login, after = running policy."""
    who = request["who"]
    if who["kind"] == "anonymous":
        identity = {"anonymous": True}
    elif who["kind"] == "password":
        identity = {"user": who["user"]}
    else:
        login = before.effective_groups(
            {"user": who["user"], "groups": [], "oidc": False, "anonymous": False}
        )
        identity = {"user": who["user"], "login_groups": login}
    if request["operation"] == "metrics":
        return identity, after.decide_metrics(identity)
    if request["operation"] == "catalog":
        return identity, after.catalog_lists(identity, request["repo"])
    action, method, reference = OPERATIONS[request["operation"]]
    attributes = {"reference": request.get("tag", reference), "method": method, "client_ip": "127.0.0.1"}
    return identity, after.decide(identity, request["repo"], action, attributes)


def test_engine_decides_like_real_zot(tmp_path):
    rng = random.Random(SEED)
    counter = iter(range(10**9))
    htpasswd = "".join(f"{user}:{hash_password(PASSWORD, 4)}\n" for user in USERS)
    mismatches, checked, statuses, with_conditions = [], 0, set(), 0
    for number in range(POLICIES):
        access_control, changed = random_policy(rng)
        batch = random_requests(rng, REQUESTS)
        # API-key requests first: a password request would store the new groups.
        batch.sort(key=lambda r: r["who"]["kind"] != "api_key")
        root = str(tmp_path / f"storage-{number}")
        for repo in REPOS:
            make_oci_layout(os.path.join(root, repo), "seed", f"{repo} seed".encode())
        first = zot_process.start(tmp_path, config(access_control, root), {"htpasswd": htpasswd})
        keys = {}
        try:
            for user in USERS:
                answer = requests.post(
                    f"{first.url}/zot/auth/apikey",
                    auth=(user, PASSWORD),
                    json={"label": "diff", "scopes": []},
                    timeout=30,
                )
                assert answer.status_code == 201, (answer.status_code, answer.text, first.log_text()[-2000:])
                keys[user] = answer.json()["apiKey"]
        finally:
            first.stop()
        registry = zot_process.start(tmp_path, config(changed, root), {"htpasswd": htpasswd})
        before, after = LoadedPolicy(access_control), LoadedPolicy(changed)
        try:
            for request in batch:
                if request["operation"] == "put_new_tag":
                    request["tag"] = f"new-{next(counter)}"
                identity, decision = expected(before, after, request)
                if decision.get("tied_patterns"):
                    continue  # zot picks one of the tied globs at random
                who = request["who"]
                auth = None
                if who["kind"] == "password":
                    auth = (who["user"], PASSWORD)
                elif who["kind"] == "api_key":
                    auth = (who["user"], keys[who["user"]])
                answer = send(registry.url, request, auth)
                status = answer.status_code
                checked += 1
                statuses.add(status)
                with_conditions += bool(decision.get("conditions"))
                if request["operation"] == "catalog":
                    listed = status == 200 and request["repo"] in answer.json()["repositories"]
                    agrees = listed == decision["allowed"] and status == decision["status"]
                else:
                    agrees = status not in (401, 403) if decision["allowed"] else status == decision["status"]
                agrees = agrees and not decision.get("conditional")
                if not agrees:
                    mismatches.append(
                        "reproduce: start zot v2.1.20 with htpasswd users "
                        f"{list(USERS)} (API keys created under the first accessControl, then "
                        "restarted with the second)\n"
                        f"  accessControl at login: {json.dumps(access_control)}\n"
                        f"  accessControl running: {json.dumps(changed)}\n"
                        f"  request: {request['operation']} {request['repo']!r} {request.get('tag', '')}\n"
                        f"    as {identity} from 127.0.0.1\n"
                        f"  zot answered {status}; engine: allowed={decision['allowed']} "
                        f"status={decision['status']} ({decision['reason']})"
                    )
        finally:
            registry.stop()
    # Every kind of answer occurred, so a registry allowing or refusing all cannot pass.
    assert {401, 403} <= statuses and statuses - {401, 403}
    assert checked >= POLICIES * REQUESTS // 2
    assert with_conditions >= checked // 20, "too few decisions involved a CEL condition"
    assert not mismatches, f"{len(mismatches)} of {checked} requests disagree (seed {SEED}):\n" + "\n".join(
        mismatches[:5]
    )
