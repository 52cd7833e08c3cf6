# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The identity chain for real, on loopback: people in slapd, Dex (v2.45.1) with its LDAP
connector (groups from LDAP), zot with OpenID login through Dex's own login page and the
collection's default access policy. LDAP groups decide rights; an API key made from a Dex
session works with skopeo; group changes in LDAP reach zot at the next login."""

import json

import pytest
import requests

from harness.process import free_port
from tests.support import dex
from tests.support import ldap_directory as ldap
from tests.support.oidc_browser import SESSION_HEADERS, LoginError, dex_login
from tests.support.oci_layout import skopeo_push
from tests.support.policies import role_default_access_control

pytestmark = pytest.mark.integration

CLIENT_SECRET = "zot-dex-client-secret-8e21"  # noqa: S105 - a test value
SESSION_KEYS = json.dumps({"hashKey": "h" * 64, "encryptKey": "e" * 32})


@pytest.fixture
def chain(tmp_path, start_registry):
    """slapd + Dex + zot; returns (zot, directory)."""
    directory = ldap.start_ldap_directory(tmp_path / "ldap")
    zot_port = free_port()
    zot_url = f"http://127.0.0.1:{zot_port}"
    server = dex.serve_for_zot(tmp_path, directory, zot_url, CLIENT_SECRET)
    provider = {
        "name": "Dex",
        "issuer": server.issuer,
        "credentialsFile": "{tmp}/oidc.json",
        "scopes": ["profile", "email", "groups"],
    }
    zot_config = {
        "http": {
            "port": str(zot_port),
            "externalUrl": zot_url,
            "auth": {
                "openid": {"providers": {"oidc": provider}},
                "sessionKeysFile": "{tmp}/keys.json",
                "apikey": True,
                "failDelay": 0,
            },
            "accessControl": role_default_access_control(),
        },
    }
    files = {
        "oidc.json": json.dumps({"clientid": "zot", "clientsecret": CLIENT_SECRET}),
        "keys.json": SESSION_KEYS,
    }
    try:
        yield start_registry(tmp_path / "zot", zot_config, files), directory
    finally:
        server.stop()
        directory.stop()


def login(zot, uid):
    return dex_login(zot.url, uid, ldap.PEOPLE[uid][0])[0]


def create_key(browser, zot):
    answer = browser.post(f"{zot.url}/zot/auth/apikey", json={"label": "ci"}, headers=SESSION_HEADERS)
    assert answer.status_code == 201, answer.text
    return answer.json()["apiKey"]


def start_upload(zot, uid, secret):
    answer = requests.post(
        f"{zot.url}/v2/team/app/blobs/uploads/", auth=(ldap.email(uid), secret), timeout=10
    )
    return answer.status_code


def push(layout, zot, tag, uid, key):
    return skopeo_push(layout, f"{zot.host}/team/app:{tag}", f"{ldap.email(uid)}:{key}")


def test_ldap_groups_decide_rights_through_dex(tmp_path, chain, make_oci_layout):
    zot, _directory = chain
    browser, hops = dex_login(zot.url, "ci-bot", ldap.PEOPLE["ci-bot"][0])
    assert f"/dex/auth/{dex.CONNECTOR_ID}/login?" in hops["login_page"]  # Dex's LDAP login page
    assert browser.cookies["user"] == ldap.email("ci-bot")  # zot's default identity claim: email

    ci_key = create_key(browser, zot)
    make_oci_layout(tmp_path / "v1", "build", b"one")
    v2_digest = make_oci_layout(tmp_path / "v2", "build", b"two")
    first = push(tmp_path / "v1", zot, "1.0", "ci-bot", ci_key)
    assert first.returncode == 0, first.stderr
    moved = push(tmp_path / "v2", zot, "1.0", "ci-bot", ci_key)  # tags are immutable for CI
    assert moved.returncode != 0 and "denied" in moved.stderr
    # skopeo uploaded v2's blobs before zot refused the manifest: the refusal is a 403.
    manifest = (tmp_path / "v2" / "blobs" / "sha256" / v2_digest.split(":")[1]).read_bytes()
    put = requests.put(
        f"{zot.url}/v2/team/app/manifests/1.0",
        data=manifest,
        headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
        auth=(ldap.email("ci-bot"), ci_key),
        timeout=10,
    )
    assert put.status_code == 403

    visitor_key = create_key(login(zot, "visitor"), zot)
    assert start_upload(zot, "visitor", visitor_key) == 403  # guests: read only

    admin_key = create_key(login(zot, "release-admin"), zot)
    deleted = requests.delete(
        f"{zot.url}/v2/team/app/manifests/1.0", auth=(ldap.email("release-admin"), admin_key), timeout=10
    )
    assert deleted.status_code == 202

    with pytest.raises(LoginError):
        dex_login(zot.url, "ci-bot", "not-the-password")


def test_leaving_the_ldap_group_takes_effect_at_the_next_login(chain):
    """zot stores a person's groups at login and reads them back for sessions and API keys:
    an existing key keeps the groups of the last login until the person logs in again."""
    zot, directory = chain
    key = create_key(login(zot, "ci-bot"), zot)
    assert start_upload(zot, "ci-bot", key) == 202

    directory.remove_member("artifact-workloads", "ci-bot")
    assert start_upload(zot, "ci-bot", key) == 202  # no login since: last login's groups

    again = login(zot, "ci-bot")
    upload = again.post(f"{zot.url}/v2/team/app/blobs/uploads/", headers=SESSION_HEADERS)
    assert upload.status_code == 403
    assert start_upload(zot, "ci-bot", key) == 403  # the key now has the new login's groups
