"""Verify a converged test host: hardened host state and real registry behaviour.

Registry probes run from the controller over loopback with real skopeo; expected answers
follow the role's default three-tier policy (anonymous read, artifact-workloads
read+create, artifact-admins everything).
"""

import json
import os
import pathlib
import re
import subprocess
import threading
import time
import uuid

import pytest
import requests
import yaml

from tests.support.oci_layout import make_oci_layout
from tests.support.playbook import run_module, run_tasks
from tests.support.vault import load_test_secrets

REGISTRY = "127.0.0.1:5050"
URL = "http://" + REGISTRY
# Tag of the image inside the local OCI layouts the tests push from.
LAYOUT_TAG = "v1.0.0"
# Exposure score systemd-analyze reports for the unit; see docs/security-model.md.
MAX_EXPOSURE = 2.5

SECRETS = load_test_secrets()
CI = ("ci", SECRETS["vault_zot_ci_password"])
ADMIN = ("admin", SECRETS["vault_zot_admin_password"])
PROMETHEUS = ("prometheus", SECRETS["vault_zot_prometheus_password"])
VIEWER = ("viewer", SECRETS["vault_zot_viewer_password"])


# --------------------------------------------------------------------------- host state


def test_zot_user_is_an_unprivileged_system_user(host):
    user = host.user("zot")
    assert user.exists
    assert user.uid < 1000
    assert user.shell == "/usr/sbin/nologin"
    assert user.group == "zot"


@pytest.mark.parametrize(
    "path, owner, group, mode",
    [
        ("/usr/local/bin/zot", "root", "root", 0o755),
        ("/etc/zot", "root", "zot", 0o750),
        ("/etc/zot/config.json", "root", "zot", 0o640),
        ("/etc/zot/htpasswd", "root", "zot", 0o640),
        ("/etc/zot/session-keys.json", "root", "zot", 0o640),
        ("/var/lib/zot", "zot", "zot", 0o750),
        ("/var/log/zot", "zot", "zot", 0o750),
        ("/var/log/zot/audit.log", "zot", "zot", 0o640),
        ("/etc/logrotate.d/zot", "root", "root", 0o644),
    ],
)
def test_file_ownership_and_modes(host, path, owner, group, mode):
    f = host.file(path)
    assert f.exists
    assert (f.user, f.group, f.mode) == (owner, group, mode)


def test_vaulted_values_reach_the_rendered_files(host):
    import bcrypt

    entries = dict(
        line.split(":", 1) for line in host.file("/etc/zot/htpasswd").content_string.splitlines() if line
    )
    assert sorted(entries) == ["admin", "ci", "prometheus", "viewer"]
    for user, password in (CI, ADMIN, PROMETHEUS, VIEWER):
        assert bcrypt.checkpw(password.encode(), entries[user].replace("$2y$", "$2b$", 1).encode())
    keys = json.loads(host.file("/etc/zot/session-keys.json").content_string)
    assert keys == {
        "hashKey": SECRETS["vault_zot_session_hash_key"],
        "encryptKey": SECRETS["vault_zot_session_encrypt_key"],
    }


def test_config_carries_the_effective_policy(host):
    config = json.loads(host.file("/etc/zot/config.json").content_string)
    access = config["http"]["accessControl"]
    assert access["groups"]["artifact-workloads"]["users"] == ["ci"]
    assert access["groups"]["artifact-admins"]["users"] == ["admin"]
    assert access["repositories"]["**"]["policies"] == [
        {"groups": ["artifact-workloads"], "actions": ["read", "create"]}
    ]
    assert "output" not in config["log"]
    # No secret value is written into config.json itself.
    text = host.file("/etc/zot/config.json").content_string
    assert not [value for value in SECRETS.values() if value in text]


def test_service_runs_sandboxed_as_zot(host):
    service = host.service("zot")
    assert service.is_running
    assert service.is_enabled
    pid = host.check_output("systemctl show -p MainPID --value zot")
    status = host.file("/proc/%s/status" % pid).content_string
    assert re.search(r"^NoNewPrivs:\s+1$", status, re.M)
    assert re.search(r"^CapEff:\s+0+$", status, re.M)
    uid = host.user("zot").uid
    assert re.search(r"^Uid:\s+%d\s" % uid, status, re.M)
    props = host.check_output("systemctl show -p ProtectSystem -p PrivateTmp -p NoNewPrivileges zot")
    assert "ProtectSystem=strict" in props
    assert "PrivateTmp=yes" in props


def test_systemd_exposure_score_is_low(host):
    out = host.run("systemd-analyze security zot.service --no-pager").stdout
    score = float(re.search(r"Overall exposure level for zot\.service: ([0-9.]+)", out).group(1))
    assert score <= MAX_EXPOSURE, out


# --------------------------------------------------------------------- registry behaviour


def skopeo(*args):
    return subprocess.run(
        ["skopeo", "--insecure-policy", *args], capture_output=True, text=True, timeout=120, check=False
    )


def push(layout, tag, repo, creds=None):
    """Copy the layout's image (tagged LAYOUT_TAG) to repo:tag."""
    args = ["copy", "--dest-tls-verify=false"]
    if creds:
        args.append("--dest-creds=%s:%s" % creds)
    return skopeo(*args, "oci:%s:%s" % (layout, LAYOUT_TAG), "docker://%s/%s:%s" % (REGISTRY, repo, tag))


@pytest.fixture(scope="module")
def repo():
    return "team/verify-%s" % uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def layouts(tmp_path_factory):
    base = tmp_path_factory.mktemp("layouts")
    first, second = base / "first", base / "second"
    make_oci_layout(first, LAYOUT_TAG, b"first build")
    make_oci_layout(second, LAYOUT_TAG, b"second build")
    return first, second


def test_ci_pushes_a_new_version_tag(repo, layouts):
    result = push(layouts[0], "v1.0.0", repo, CI)
    assert result.returncode == 0, result.stderr


def test_tag_guard_refuses_an_existing_release_tag(repo, tmp_path):
    args = {
        "url": URL,
        "repository": repo,
        "tags": ["v1.0.0", "sha-feedbee"],
        "username": CI[0],
        "password": CI[1],
    }
    result, _unused = run_module(tmp_path, "oci_tag_guard", args)
    assert result["failed"]
    assert result["refused"] == ["v1.0.0"]
    assert result["allowed"] == ["sha-feedbee"]


def test_ci_api_key_pushes_new_tags_but_cannot_move_them(repo, layouts, tmp_path):
    key_args = {"url": URL, "username": CI[0], "password": CI[1], "label": "molecule-ci"}
    (created, again), run = run_tasks(
        tmp_path, [{"zotops.registry.zot_api_key": key_args}, {"zotops.registry.zot_api_key": key_args}]
    )
    key = created["api_key"]
    assert key.startswith("zak_") and key not in run.output
    assert not again["changed"] and "api_key" not in again
    try:
        assert push(layouts[0], "sha-with-key", repo, ("ci", key)).returncode == 0
        refused = push(layouts[1], "sha-with-key", repo, ("ci", key))
        assert refused.returncode != 0 and "denied" in refused.stderr.lower()
    finally:
        removed, _unused = run_module(tmp_path, "zot_api_key", dict(key_args, state="absent"))
        assert removed["changed"]
    assert requests.get(URL + "/v2/", auth=("ci", key), timeout=10).status_code == 401


def test_anonymous_pull(repo, layouts, tmp_path):
    result = skopeo(
        "copy", "--src-tls-verify=false", "docker://%s/%s:v1.0.0" % (REGISTRY, repo), "oci:%s:got" % tmp_path
    )
    assert result.returncode == 0, result.stderr


def test_anonymous_push_is_refused_with_401(repo, layouts):
    result = push(layouts[1], "v1.0.0", repo + "-anon")
    assert result.returncode != 0
    assert "authentication required" in result.stderr or "401" in result.stderr, result.stderr
    manifest = requests.put(URL + "/v2/%s/manifests/anon" % repo, data=b"{}", timeout=10)
    assert manifest.status_code == 401
    assert manifest.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize("which", [0, 1], ids=["same-content", "different-content"])
def test_ci_cannot_move_an_existing_tag(repo, layouts, which):
    result = push(layouts[which], "v1.0.0", repo, CI)
    assert result.returncode != 0
    assert "denied" in result.stderr.lower() or "403" in result.stderr, result.stderr


def test_user_outside_the_ci_group_cannot_push(repo, layouts):
    result = push(layouts[1], "sha-viewer", repo, VIEWER)
    assert result.returncode != 0
    assert "denied" in result.stderr.lower() or "403" in result.stderr, result.stderr


def test_ci_pushes_a_new_sha_tag(repo, layouts):
    result = push(layouts[1], "sha-0a1b2c3", repo, CI)
    assert result.returncode == 0, result.stderr


def test_ci_cannot_delete_but_admin_can(repo):
    ref = "docker://%s/%s:sha-0a1b2c3" % (REGISTRY, repo)
    refused = skopeo("delete", "--tls-verify=false", "--creds=%s:%s" % CI, ref)
    assert refused.returncode != 0
    deleted = skopeo("delete", "--tls-verify=false", "--creds=%s:%s" % ADMIN, ref)
    assert deleted.returncode == 0, deleted.stderr
    gone = requests.get(URL + "/v2/%s/manifests/sha-0a1b2c3" % repo, timeout=10)
    assert gone.status_code == 404


@pytest.mark.parametrize(
    "creds, status",
    [(None, 401), (PROMETHEUS, 200), (CI, 403), (ADMIN, 403)],
    ids=["anonymous", "scraper", "ci", "admin-not-implied"],
)
def test_metrics_access_follows_the_policy(creds, status):
    response = requests.get(URL + "/metrics", auth=creds, timeout=10)
    assert response.status_code == status


# --------------------------------------------------------------------------- live policy change

ROOT = pathlib.Path(__file__).resolve().parents[3]
# A policy-only change: reload-probe/** becomes private (anonymous: 404 -> 401).
PROBE = URL + "/v2/reload-probe/app/manifests/v1"


def converge(tmp_path, access_control):
    """playbooks/site.yml --tags zot against the scenario's host with this zot_access_control."""
    tmp_path.mkdir(parents=True)
    (tmp_path / "group_vars").symlink_to(ROOT / "tests" / "inventory" / "group_vars")
    hosts = tmp_path / "hosts.yml"
    hosts.write_text(
        "zot_registries:\n  hosts:\n    zotops-default:\n"
        "      ansible_connection: containers.podman.podman\n"
        "      ansible_python_interpreter: /usr/bin/python3\n"
    )
    argv = ["ansible-playbook", "-i", str(hosts), str(ROOT / "playbooks" / "site.yml"), "--tags", "zot"]
    argv += ["-e", json.dumps({"zot_access_control": access_control})]
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_VAULT_PASSWORD_FILE=str(ROOT / "tests" / "inventory" / "vault-password.txt"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
    )
    run = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False, env=env, cwd=ROOT)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    return re.sub(r"\x1b\[[0-9;]*m", "", run.stdout)  # molecule's environment forces colour


def zot_pid(host):
    return host.check_output("systemctl show -p MainPID --value zot")


def poll(url, stop, answers, drops):
    """Anonymous GETs of url every 50 ms until stop is set; any answer but 200 is a drop."""
    session = requests.Session()
    while not stop.is_set():
        try:
            status = session.get(url, timeout=5).status_code
            if status != 200:
                drops.append(status)
        except requests.RequestException as exc:
            drops.append(type(exc).__name__)
        answers.append(1)
        time.sleep(0.05)


def test_policy_only_change_is_applied_live_without_a_dropped_request(host, repo, tmp_path):
    default_policy = yaml.safe_load((ROOT / "roles" / "zot" / "defaults" / "main.yml").read_text())[
        "zot_access_control"
    ]
    private_probe = json.loads(json.dumps(default_policy))
    private_probe["repositories"]["reload-probe/**"] = {"defaultPolicy": ["read"]}
    assert requests.get(PROBE, timeout=10).status_code == 404
    pid = zot_pid(host)

    stop, answers, drops = threading.Event(), [], []
    tags = URL + "/v2/%s/tags/list" % repo  # pushed above, anonymous read
    loop = threading.Thread(target=poll, args=(tags, stop, answers, drops), daemon=True)
    loop.start()
    try:
        first = converge(tmp_path / "private", private_probe)
        assert requests.get(PROBE, timeout=10).status_code == 401
        second = converge(tmp_path / "back", default_policy)
        assert requests.get(PROBE, timeout=10).status_code == 404
    finally:
        stop.set()
        loop.join()
    for output in (first, second):
        assert re.search(r"Apply an access-policy-only change in place[^\n]*\n+changed: ", output), output[
            -3000:
        ]
        assert re.search(r"RUNNING HANDLER \[[^]]*Restart zot\]", output) is None
    assert zot_pid(host) == pid  # zot was never restarted
    assert len(answers) > 20 and drops == []
