"""Verify OpenID login end to end: a scripted browser logs in at zot through the IdP
(oidc-provider-mock on the controller), zot_api_key turns the session into an API key, and
real skopeo pushes with it under the policy whose groups come from the IdP's groups claim.

The last test stops the IdP and checks that a converge fails in preflight while the running
registry keeps serving; it starts the IdP again afterwards.
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
from tests.support.oidc_browser import SESSION_HEADERS, browser_login, upload_status_with_session

REGISTRY = "127.0.0.1:5060"
URL = "http://" + REGISTRY
ISSUER = "http://127.0.0.1:5061"
PROJECT = pathlib.Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
SCENARIO = pathlib.Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
IDP_DIR = pathlib.Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "idp"
LAYOUT_TAG = "v1"
CI_BOT = "ci-bot@example.test"  # claimMapping.username defaults to the email claim
ADMIN = "release-admin@example.test"
VISITOR = "visitor@example.test"


def ansible_env():
    """Molecule's environment, with the checkout's ansible.cfg so the collection resolves."""
    return dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"))


def idp(command, *args):
    subprocess.run(
        [sys.executable, "-m", "tests.support.oidc_provider", command, "--dir", str(IDP_DIR), *args],
        cwd=PROJECT,
        env=dict(os.environ, PYTHONPATH=str(PROJECT / ".cache" / "collections")),
        check=True,
        timeout=60,
    )


def create_api_keys(tmp_path, users):
    """zot_api_key with the session of a fresh browser login of each IdP subject.

    users: {name: (subject, owner)}; returns {name: (owner, api_key)}.
    """
    logins = []
    for name, (subject, owner) in users.items():
        browser, _unused = browser_login(URL, subject)
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
        "name": "Test IdP",
        "issuer": ISSUER,
        "credentialsFile": "/etc/zot/oidc-credentials.json",
        "scopes": ["openid", "profile", "email", "groups"],
    }
    assert "htpasswd" in auth  # break-glass access stays


# --------------------------------------------------------------------- login and access


def test_browser_login_goes_through_the_idp():
    browser, hops = browser_login(URL, "ci-bot", callback_ui="/home")
    assert hops["authorize"].startswith(ISSUER + "/oauth2/authorize?")
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


def test_admin_from_the_idp_can_delete(keys, repo):
    ref = f"docker://{REGISTRY}/{repo}:1.0.0"
    assert skopeo("delete", "--tls-verify=false", "--creds=%s:%s" % keys["ci"], ref).returncode != 0
    deleted = skopeo("delete", "--tls-verify=false", "--creds=%s:%s" % keys["admin"], ref)
    assert deleted.returncode == 0, deleted.stderr
    assert requests.get(f"{URL}/v2/{repo}/manifests/1.0.0", timeout=10).status_code == 404


def test_logout_ends_the_session(repo):
    browser, _unused = browser_login(URL, "ci-bot")
    cookie = browser.cookies["session"]
    assert upload_status_with_session(URL, repo, cookie) == 202
    assert browser.post(f"{URL}/zot/auth/logout", headers=SESSION_HEADERS).status_code == 200
    assert upload_status_with_session(URL, repo, cookie) == 401


# ------------------------------------------------------------- IdP down: nothing changes


def test_converge_with_the_idp_down_fails_in_preflight_and_zot_keeps_serving(host, keys, tmp_path):
    config_before = host.file("/etc/zot/config.json").content_string
    idp("stop")
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
        pulled = skopeo(
            "inspect", "--tls-verify=false", "--creds=%s:%s" % keys["ci"], f"docker://{REGISTRY}/team/none:x"
        )
        # The key still authenticates without the IdP: the answer is "not found", not 401.
        assert "unauthorized" not in pulled.stderr.lower() and "401" not in pulled.stderr, pulled.stderr
    finally:
        idp("start", "--port", "5061", "--users", str(SCENARIO / "idp-users.json"))
