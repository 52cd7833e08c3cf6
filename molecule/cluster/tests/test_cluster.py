# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Verify the converged zot cluster: three members behind HAProxy on one bucket and one Redis.

Probes run from the controller over loopback. Which member owns a repository is computed the
way zot does (plugins/plugin_utils/_zot/cluster.py) and checked against the owner's journal.
What a stopped member and a rolling change cost is measured and printed (docs/how-to/scale-out.md
quotes it); the assertions are what zot's ownership model implies.
"""

import json
import os
import pathlib
import subprocess
import threading
import time
import uuid

import pytest
import requests
import yaml

from ansible_collections.zotops.registry.plugins.plugin_utils._zot import cluster as zot_cluster
from tests.support.oci_layout import make_oci_layout
from tests.support.oidc_browser import browser_login, upload_status_with_session
from tests.support.playbook import REPO_ROOT, run_module, run_tasks
from tests.support.policies import role_default_access_control
from tests.support.vault import load_test_secrets, load_vault

SCENARIO = pathlib.Path(__file__).resolve().parents[1]
MEMBERS = ["127.0.0.1:5100", "127.0.0.1:5101", "127.0.0.1:5102"]
CONTAINERS = ["zotops-cluster-1", "zotops-cluster-2", "zotops-cluster-3"]
LB = "http://127.0.0.1:5105"
LAYOUT_TAG = "v1.0.0"
MANIFEST_TYPES = "application/vnd.oci.image.manifest.v1+json"

SECRETS = load_test_secrets()
SCENARIO_VARS = yaml.safe_load((SCENARIO / "inventory" / "group_vars" / "all" / "cluster.yml").read_text())
HASH_KEY = load_vault(SCENARIO / "inventory" / "group_vars" / "all" / "vault.yml")[
    "vault_zot_cluster_hash_key"
]
CI = ("ci", SECRETS["vault_zot_ci_password"])
ADMIN = ("admin", SECRETS["vault_zot_admin_password"])
PROMETHEUS = ("prometheus", SECRETS["vault_zot_prometheus_password"])


def url_of(member):
    return "http://" + MEMBERS[member]


def podman_exec(container, *argv):
    return subprocess.run(
        ["podman", "exec", container, *argv], capture_output=True, text=True, timeout=120, check=False
    )


def pull(base, repo, tag=LAYOUT_TAG):
    """Anonymous pull of repo:tag (manifest, then every blob): the HTTP status that failed, or 200."""
    try:
        manifest = requests.get(
            "%s/v2/%s/manifests/%s" % (base, repo, tag), headers={"Accept": MANIFEST_TYPES}, timeout=10
        )
        if manifest.status_code != 200:
            return manifest.status_code
        body = manifest.json()
        for blob in [body["config"], *body["layers"]]:
            answer = requests.get("%s/v2/%s/blobs/%s" % (base, repo, blob["digest"]), timeout=10)
            if answer.status_code != 200:
                return answer.status_code
    except requests.RequestException:
        return 0
    return 200


def push(layout, repo, tag, base=LB):
    return subprocess.run(
        [
            "skopeo",
            "--insecure-policy",
            "copy",
            "--dest-tls-verify=false",
            "--dest-creds=%s:%s" % CI,
            "oci:%s:%s" % (layout, LAYOUT_TAG),
            "docker://%s/%s:%s" % (base.split("://")[1], repo, tag),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def wait_for(predicate, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(1)
    return False


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    path = tmp_path_factory.mktemp("layout") / "image"
    make_oci_layout(path, LAYOUT_TAG, b"cluster build")
    return path


@pytest.fixture(scope="module")
def owned(layout):
    """One repository owned by each member (index -> name), pushed through the load balancer."""
    run = uuid.uuid4().hex[:8]
    repos = {}
    for n in range(200):
        repo = "team/cluster-%s-%d" % (run, n)
        repos.setdefault(zot_cluster.owner(HASH_KEY, MEMBERS, repo)[0], repo)
        if len(repos) == len(MEMBERS):
            break
    for repo in repos.values():
        result = push(layout, repo, LAYOUT_TAG)
        assert result.returncode == 0, result.stderr
    return repos


def test_the_checklist_passes_through_the_load_balancer(tmp_path):
    args = {
        "url": LB,
        "access_control": role_default_access_control(
            {"artifact-workloads": ["ci"], "artifact-admins": ["admin"]}
        ),
        "pusher": {"username": CI[0], "password": CI[1]},
        "admin": {"username": ADMIN[0], "password": ADMIN[1]},
        "metrics": {"username": PROMETHEUS[0], "password": PROMETHEUS[1]},
        "fail_delay": 1,
    }
    result, _unused = run_module(tmp_path, "zot_registry_check", args)
    assert not result.get("failed"), json.dumps(result["checks"], indent=1)
    passed = {check["name"] for check in result["checks"] if check["status"] == "passed"}
    assert {"pusher_push", "anonymous_pull", "pusher_overwrite", "admin_delete"} <= passed


def test_every_member_serves_every_repository_and_the_owner_answers(owned):
    for owner, repo in owned.items():
        assert pull(LB, repo) == 200, repo
        for member in range(len(MEMBERS)):
            assert pull(url_of(member), repo) == 200, (repo, member)
        # Requests another member proxied reach the owner marked with zot's hop header.
        journal = podman_exec(CONTAINERS[owner], "journalctl", "-u", "zot", "--no-pager", "-o", "cat").stdout
        proxied = [
            line for line in journal.splitlines() if repo in line and "X-Zot-Cluster-Hop-Count" in line
        ]
        assert proxied, "owner %s of %s saw no proxied request" % (MEMBERS[owner], repo)


def test_an_api_key_created_through_one_member_works_through_all(tmp_path):
    key_args = {
        "url": url_of(0),
        "username": CI[0],
        "password": CI[1],
        "label": "cluster-%s" % uuid.uuid4().hex[:6],
    }
    (created,), run = run_tasks(tmp_path, [{"zotops.registry.zot_api_key": key_args}])
    key = created["api_key"]
    assert key.startswith("zak_") and key not in run.output
    for base in [url_of(m) for m in range(len(MEMBERS))] + [LB]:
        assert requests.get(base + "/v2/", auth=("ci", key), timeout=10).status_code == 200, base
    removed, _unused = run_module(tmp_path, "zot_api_key", dict(key_args, url=url_of(2), state="absent"))
    assert removed["changed"]
    for base in [url_of(m) for m in range(len(MEMBERS))] + [LB]:
        assert requests.get(base + "/v2/", auth=("ci", key), timeout=10).status_code == 401, base


def test_people_log_in_through_the_load_balancer_and_every_member_knows_their_session():
    """zot signs a login's OpenID state with a key each member makes for itself (the Redis
    session store takes no session keys), so only the member that started a login can finish
    it: the load balancer pins login and callback to one member. Logins start on each member
    in turn; the session they end with is in Redis, so every member accepts it."""
    person = SCENARIO_VARS["cluster_oidc_person"]
    for _login in range(2 * len(MEMBERS)):
        browser, _hops = browser_login(LB, person["sub"])
        session = browser.cookies["session"]
        for member in range(len(MEMBERS)):
            assert upload_status_with_session(url_of(member), "team/cluster-login", session) == 202, member


def test_a_stopped_member_takes_its_repositories_with_it(owned, layout):
    stopped = 1
    assert podman_exec(CONTAINERS[stopped], "systemctl", "stop", "zot").returncode == 0
    try:
        # HAProxy takes the member out after two failed /readyz checks (2 s apart).
        time.sleep(6)
        observed = {
            owner: {
                "pulls": [pull(LB, repo) for _ in range(6)],
                "push": push(layout, repo, "while-%d-down" % stopped).returncode,
            }
            for owner, repo in owned.items()
        }
        login = requests.get(LB + "/v2/", auth=CI, timeout=10).status_code
        catalog = requests.get(LB + "/v2/_catalog", timeout=10).status_code
        print("\nmember %s stopped: %s; login %s; catalog %s" % (MEMBERS[stopped], observed, login, catalog))
        for owner, seen in observed.items():
            if owner == stopped:
                # Its repositories are unreachable through every member: they proxy to it.
                assert all(status != 200 for status in seen["pulls"]) and seen["push"] != 0, seen
            else:
                assert seen["pulls"] == [200] * 6 and seen["push"] == 0, (owner, seen)
        assert login == 200 and catalog == 200
    finally:
        assert podman_exec(CONTAINERS[stopped], "systemctl", "start", "zot").returncode == 0
    assert wait_for(lambda: pull(LB, owned[stopped]) == 200), "pulls did not come back"


def service_on_the_load_balancer_host(action, service):
    assert podman_exec("zotops-cluster-lb", "systemctl", action, service).returncode == 0


def readiness_of_every_member():
    return [requests.get(url_of(m) + "/readyz", timeout=5).status_code for m in range(len(MEMBERS))]


def every_member_serves(repos):
    return all(pull(url_of(member), repo) == 200 for repo in repos for member in range(len(MEMBERS)))


def test_an_s3_outage_stops_images_and_loses_none(owned, layout):
    """With the bucket away no image can be read or written; people still log in. Pushes
    tried during the outage must not cost anything afterwards: with dedupe on S3 they would
    (zot drops the shared copy's record when its blob check fails), which is why the role
    turns dedupe off on S3."""
    service_on_the_load_balancer_host("stop", "versitygw")
    try:
        started = time.monotonic()
        observed = {
            "pulls": [pull(LB, repo) for repo in owned.values()],
            "pushes": [push(layout, repo, "during-s3-outage").returncode for repo in owned.values()],
            "login": requests.get(LB + "/v2/", auth=CI, timeout=15).status_code,
            "catalog": requests.get(LB + "/v2/_catalog", timeout=15).status_code,
            "readyz": readiness_of_every_member(),
        }
        print("\nS3 stopped (%.0f s to observe): %s" % (time.monotonic() - started, observed))
        assert 200 not in observed["pulls"] and 0 not in observed["pushes"], observed
        assert observed["login"] == 200, observed
        # zot's readiness does not look at the bucket: HAProxy keeps every member in.
        assert observed["readyz"] == [200] * len(MEMBERS), observed
    finally:
        service_on_the_load_balancer_host("start", "versitygw")
    assert wait_for(lambda: every_member_serves(owned.values())), "images did not come back"


def test_a_redis_outage_stops_logins_and_pulls_until_it_is_back(owned):
    """Redis holds zot's metadata, API keys and sessions: without it logins and pulls fail on
    every member (each pull updates metadata), and they come back with Redis, zot untouched."""
    service_on_the_load_balancer_host("stop", "redis-server")
    try:
        started = time.monotonic()
        observed = {
            "pulls": [pull(LB, repo) for repo in owned.values()],
            "login": requests.get(LB + "/v2/", auth=CI, timeout=30).status_code,
            "readyz": readiness_of_every_member(),
        }
        print("\nRedis stopped (%.0f s to observe): %s" % (time.monotonic() - started, observed))
        assert 200 not in observed["pulls"] and observed["login"] != 200, observed
        assert observed["readyz"] == [200] * len(MEMBERS), observed
    finally:
        service_on_the_load_balancer_host("start", "redis-server")
    assert wait_for(lambda: every_member_serves(owned.values())), "pulls did not come back"
    assert requests.get(LB + "/v2/", auth=CI, timeout=15).status_code == 200


def log_level(member):
    config = podman_exec(CONTAINERS[member], "cat", "/etc/zot/config.json").stdout
    return json.loads(config)["log"]["level"]


def test_a_rolling_change_keeps_the_cluster_serving(owned):
    """Change every member's log level one member at a time (serial: 1) with pulls running."""
    level = "info" if log_level(0) == "debug" else "debug"
    samples, stop = [], threading.Event()

    def pull_loop():
        while not stop.is_set():
            for owner, repo in owned.items():
                samples.append((time.monotonic(), owner, pull(LB, repo)))
            time.sleep(0.05)

    loop = threading.Thread(target=pull_loop)
    loop.start()
    try:
        command = [
            str(REPO_ROOT / ".venv" / "bin" / "ansible-playbook"),
            "-i",
            os.environ["MOLECULE_INVENTORY_FILE"],
            str(REPO_ROOT / "playbooks" / "site.yml"),
            "--limit",
            "zot_registries",
            "-e",
            "zot_serial=1",
            "-e",
            "zot_log_level=" + level,
            "-e",
            "zot_verify=false",
        ]
        env = dict(os.environ, ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"))
        converge = subprocess.run(
            command, capture_output=True, text=True, timeout=1800, cwd=REPO_ROOT, env=env
        )
    finally:
        stop.set()
        loop.join()
        failed = [(at, owner, status) for at, owner, status in samples if status != 200]
        windows = {}
        for at, owner, _status in failed:
            first, last = windows.get(owner, (at, at))
            windows[owner] = (min(first, at), max(last, at))
        summary = {
            "pulls": len(samples),
            "failed": len(failed),
            "failed_per_owner": {owner: sum(1 for f in failed if f[1] == owner) for owner in owned},
            "window_seconds_per_owner": {
                owner: round(last - first, 1) for owner, (first, last) in windows.items()
            },
            "statuses": sorted({status for _at, _owner, status in failed}),
        }
        print("\nrolling change to log level %s: %s" % (level, summary))
    assert converge.returncode == 0, converge.stdout[-3000:]
    assert [log_level(member) for member in range(len(MEMBERS))] == [level] * len(MEMBERS)
    assert len(samples) > 100
    # zot's ownership model: while a member restarts, pulls of the repositories it owns fail
    # through every member; the window is one restart (generous bound), never the whole run.
    assert all(seconds < 60 for seconds in summary["window_seconds_per_owner"].values()), summary
    assert len(failed) < len(samples) / 3, summary
