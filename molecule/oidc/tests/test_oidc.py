# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Verify OpenID login end to end through the real chain: a scripted browser logs in at zot
through Dex's own LDAP login page (Dex and slapd on the controller), zot_api_key turns the
session into an API key, and real skopeo pushes with it under the policy whose groups come
from LDAP through Dex's groups claim.

The last test stops Dex and checks that a converge fails in preflight while the running
registry keeps serving anonymous pulls and API keys; it starts Dex again afterwards.
"""

import json
import os
import pathlib
import subprocess
import sys
import uuid

import pytest
import requests

from tests.support.oci_layout import make_oci_layout
from tests.support.ldap_directory import PEOPLE, change_member, email
from tests.support.oidc_browser import SESSION_HEADERS, dex_login, upload_status_with_session

REGISTRY = "127.0.0.1:5060"
URL = "http://" + REGISTRY
ISSUER = "http://127.0.0.1:5061/dex"
DIRECTORY = "ldap://127.0.0.1:5062"
PROJECT = pathlib.Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
SCENARIO = pathlib.Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
DEX_DIR = pathlib.Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "dex"
LAYOUT_TAG = "v1"
CI_BOT = "ci-bot@example.test"  # claimMapping.username defaults to the email claim
ADMIN = "release-admin@example.test"
VISITOR = "visitor@example.test"


def ansible_env():
    """Molecule's environment, with the checkout's ansible.cfg so the collection resolves."""
    return dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"))


def login(uid, **kwargs):
    """A fresh browser login of an LDAP person through Dex."""
    return dex_login(URL, uid, PEOPLE[uid][0], **kwargs)


def dex(command, *args):
    subprocess.run(
        [sys.executable, "-m", "tests.support.dex", command, "--dir", str(DEX_DIR), *args],
        cwd=PROJECT,
        env=dict(os.environ, PYTHONPATH=str(PROJECT / ".cache" / "collections")),
        check=True,
        timeout=60,
    )


def create_api_keys(tmp_path, users):
    """zot_api_key with the session of a fresh browser login of each LDAP person.

    users: {name: (uid, owner)}; returns {name: (owner, api_key)}.
    """
    logins = []
    for name, (uid, owner) in users.items():
        browser, _unused = login(uid)
        logins.append(
            {
                "owner": owner,
                "session": browser.cookies["session"],
                "label": f"ci-{uuid.uuid4().hex[:6]}",
                "key_file": str(tmp_path / f"{name}.key"),
            }
        )
    extra = tmp_path / "logins.json"
    extra.write_text(json.dumps({"zot_url": URL, "logins": logins}))
    run = subprocess.run(
        ["ansible-playbook", str(SCENARIO / "tests" / "api_key.yml"), "-e", f"@{extra}"],
        capture_output=True,
        check=False,
        text=True,
        timeout=180,
        env=ansible_env(),
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return {name: (owner, (tmp_path / f"{name}.key").read_text()) for name, (_unused, owner) in users.items()}


def skopeo(*args):
    return subprocess.run(
        ["skopeo", "--insecure-policy", *args], capture_output=True, text=True, timeout=120, check=False
    )


def push(layout, repo, tag, creds):
    return skopeo(
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds=%s:%s" % creds,
        f"oci:{layout}:{LAYOUT_TAG}",
        f"docker://{REGISTRY}/{repo}:{tag}",
    )


def refused(result):
    return result.returncode != 0 and ("denied" in result.stderr.lower() or "403" in result.stderr)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    users = {"ci": ("ci-bot", CI_BOT), "admin": ("release-admin", ADMIN), "visitor": ("visitor", VISITOR)}
    return create_api_keys(tmp_path_factory.mktemp("keys"), users)


@pytest.fixture(scope="module")
def layouts(tmp_path_factory):
    base = tmp_path_factory.mktemp("layouts")
    make_oci_layout(base / "first", LAYOUT_TAG, b"first build")
    make_oci_layout(base / "second", LAYOUT_TAG, b"second build")
    return base / "first", base / "second"


@pytest.fixture(scope="module")
def repo():
    return f"team/oidc-{uuid.uuid4().hex[:8]}"


# --------------------------------------------------------------------------- host state


def test_client_credentials_file_is_private(host):
    credentials = host.file("/etc/zot/oidc-credentials.json")
    assert (credentials.user, credentials.group, credentials.mode) == ("root", "zot", 0o640)
    content = json.loads(credentials.content_string)
    assert content["clientid"] == "zot" and len(content["clientsecret"]) == 32


def test_config_names_the_oidc_provider_and_forces_api_keys(host):
    config = json.loads(host.file("/etc/zot/config.json").content_string)
    assert config["http"]["externalUrl"] == URL
    auth = config["http"]["auth"]
    assert auth["apikey"] is True
    assert auth["openid"]["providers"]["oidc"] == {
        "name": "Dex",
        "issuer": ISSUER,
        "credentialsFile": "/etc/zot/oidc-credentials.json",
        "scopes": ["openid", "profile", "email", "groups"],
    }
    assert "htpasswd" in auth  # break-glass access stays
    # zot's own LDAP login, whose people the converge's checklist probed as.
    assert (auth["ldap"]["port"], auth["ldap"]["userGroupAttribute"]) == (5063, "memberOf")


# --------------------------------------------------------------------- login and access


def test_browser_login_goes_through_dex_ldap_login_page():
    browser, hops = login("ci-bot", callback_ui="/home")
    assert hops["authorize"].startswith(ISSUER + "/auth?")
    assert hops["login_page"].startswith(ISSUER + "/auth/ldap/login?")
    assert hops["callback"].startswith(URL + "/zot/auth/callback/oidc?")
    assert hops["final"].headers["Location"] == "/home"
    assert browser.cookies["user"] == CI_BOT


def test_ci_key_pushes_a_new_tag(keys, layouts, repo):
    result = push(layouts[0], repo, "1.0.0", keys["ci"])
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("which", [0, 1], ids=["same-content", "different-content"])
def test_ci_key_cannot_move_the_tag(keys, layouts, repo, which):
    result = push(layouts[which], repo, "1.0.0", keys["ci"])
    assert refused(result), result.stderr


def test_user_without_the_group_cannot_push(keys, layouts, repo):
    result = push(layouts[1], repo, "visitor", keys["visitor"])
    assert refused(result), result.stderr


def test_admin_from_ldap_can_delete(keys, repo):
    ref = f"docker://{REGISTRY}/{repo}:1.0.0"
    assert skopeo("delete", "--tls-verify=false", "--creds=%s:%s" % keys["ci"], ref).returncode != 0
    deleted = skopeo("delete", "--tls-verify=false", "--creds=%s:%s" % keys["admin"], ref)
    assert deleted.returncode == 0, deleted.stderr
    assert requests.get(f"{URL}/v2/{repo}/manifests/1.0.0", timeout=10).status_code == 404


def test_logout_ends_the_session(repo):
    browser, _unused = login("ci-bot")
    cookie = browser.cookies["session"]
    assert upload_status_with_session(URL, repo, cookie) == 202
    assert browser.post(f"{URL}/zot/auth/logout", headers=SESSION_HEADERS).status_code == 200
    assert upload_status_with_session(URL, repo, cookie) == 401


def test_leaving_the_ci_group_in_ldap_counts_from_the_next_login(tmp_path, layouts, repo):
    """zot takes groups from the IdP at login and keeps them for API keys until the owner's
    next login (docs/how-to/rotate-api-keys.md): revoke a leaver's keys in the same change."""
    ((runner, key),) = create_api_keys(tmp_path, {"runner": ("ci-runner", email("ci-runner"))}).values()
    assert push(layouts[0], repo, "runner-1", (runner, key)).returncode == 0
    change_member(DIRECTORY, "delete", "artifact-workloads", "ci-runner")
    try:
        # The key still carries the groups of the login it was created from.
        assert push(layouts[0], repo, "runner-2", (runner, key)).returncode == 0
        browser, _unused = login("ci-runner")  # Dex asks LDAP again: no CI group any more
        assert upload_status_with_session(URL, repo, browser.cookies["session"]) == 403
        # That login stored the new groups, which the key now carries too.
        assert refused(push(layouts[0], repo, "runner-3", (runner, key)))
    finally:
        change_member(DIRECTORY, "add", "artifact-workloads", "ci-runner")


# ------------------------------------------------------------- Dex down: nothing changes


def test_converge_with_dex_down_fails_in_preflight_and_zot_keeps_serving(host, keys):
    config_before = host.file("/etc/zot/config.json").content_string
    dex("stop")
    try:
        run = subprocess.run(
            [
                "ansible-playbook",
                str(PROJECT / "playbooks" / "site.yml"),
                "-i",
                os.environ["MOLECULE_INVENTORY_FILE"],
                "-e",
                "zot_log_level=debug",  # a change that would restart zot
            ],
            capture_output=True,
            check=False,
            text=True,
            timeout=300,
            env=ansible_env(),
        )
        output = " ".join((run.stdout + run.stderr).split())
        assert run.returncode != 0
        assert f"OpenID issuer {ISSUER} (zot_oidc_issuer)" in output, output[-3000:]
        assert "cannot be fetched" in output and "nothing was changed on the host" in output
        assert host.file("/etc/zot/config.json").content_string == config_before
        assert requests.get(URL + "/readyz", timeout=10).status_code == 200
        assert requests.get(f"{URL}/v2/_catalog", timeout=10).status_code == 200  # anonymous read
        pulled = skopeo(
            "inspect", "--tls-verify=false", "--creds=%s:%s" % keys["ci"], f"docker://{REGISTRY}/team/none:x"
        )
        # The key still authenticates without Dex: the answer is "not found", not 401.
        assert "unauthorized" not in pulled.stderr.lower() and "401" not in pulled.stderr, pulled.stderr
    finally:
        dex(
            "start",
            "--port",
            "5061",
            "--config",
            str(DEX_DIR / "config.yaml"),
            "--env-file",
            str(DEX_DIR / "zot-client.env"),
        )
