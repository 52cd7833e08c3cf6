# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""One identity name, one privilege, on real zot with the config the role renders: a directory
person (real slapd) or an OpenID user (the OpenID provider) named like a local user gets
nothing of the local user's; API keys are off unless asked for; CORS names the registry's own
origin. zot v2.1.20 keys groups, policies and API keys by the bare name (pkg/api/authn.go), so
each of these failed with a name shared between sources (docs/security-model.md)."""

import json

import pytest
import requests
from ansible_collections.zotops.registry.plugins.plugin_utils._zot import config as zot_config

from harness import zot as zot_process
from harness.process import free_port
from harness.role_defaults import zot_settings
from tests.support import ldap_directory as ldap
from tests.support.oidc_browser import SESSION_HEADERS, browser_login
from tests.support.oidc_provider import start_oidc_provider

pytestmark = pytest.mark.integration

CI_PASSWORD = "local-ci-bot-password-0123"  # noqa: S105 - a test value
# The role's default policy also names the metrics scraper.
LOCAL_USERS = [
    {"name": "ci-bot", "password": CI_PASSWORD, "groups": ["artifact-workloads"]},
    {"name": "prometheus", "password": CI_PASSWORD},
]
SESSION_KEYS = json.dumps({"hashKey": "h" * 64, "encryptKey": "e" * 32})
EVIL_ORIGIN = "https://evil.example"


def role_config(**settings):
    """(config, files) of zot as the role configures it: its defaults, the local users, `settings`."""
    port = settings.pop("http_port", None) or free_port()
    config = zot_config.build_config(
        zot_settings(
            config_dir="{tmp}",
            storage_dir="{tmp}/root",
            log_dir="{tmp}",
            http_address="127.0.0.1",
            http_port=port,
            auth_fail_delay=0,
            htpasswd_users=LOCAL_USERS,
            **settings,
        )
    )
    files = {
        zot_config.HTPASSWD_FILE: "".join(
            zot_process.htpasswd_line(user["name"], user["password"]) + "\n" for user in LOCAL_USERS
        ),
        zot_config.SESSION_KEYS_FILE: SESSION_KEYS,
    }
    if settings.get("ldap"):
        files[zot_config.LDAP_CREDENTIALS_FILE] = json.dumps(zot_config.ldap_credentials(settings["ldap"]))
    if settings.get("oidc_enabled"):
        files[zot_config.OIDC_CREDENTIALS_FILE] = json.dumps({"clientid": "zot", "clientsecret": "s3cret"})
    return config, files


def role_registry(start_registry, tmp_path, **settings):
    return start_registry(tmp_path, *role_config(**settings))


def upload(zot, user, secret):
    return requests.post(f"{zot.url}/v2/team/app/blobs/uploads/", auth=(user, secret), timeout=30).status_code


def api_key(browser, zot):
    created = browser.post(f"{zot.url}/zot/auth/apikey", json={"label": "x"}, headers=SESSION_HEADERS)
    assert created.status_code == 201, created.text
    return created.json()["apiKey"]


def test_a_directory_person_named_like_a_local_user_cannot_log_in_as_it(tmp_path, start_registry):
    directory = ldap.start_ldap_directory(tmp_path / "ldap")
    try:
        zot = role_registry(start_registry, tmp_path / "zot", ldap=directory.zot_ldap_settings())
        assert upload(zot, "ci-bot", CI_PASSWORD) == 202  # the local CI user pushes
        # The directory's own ci-bot, with its directory password: without the role's filter
        # zot gave it the local ci-bot's groups (202, CI's push).
        assert upload(zot, "ci-bot", ldap.PEOPLE["ci-bot"][0]) == 401
        assert upload(zot, "visitor", ldap.PEOPLE["visitor"][0]) == 403  # other people still log in
    finally:
        directory.stop()


def test_an_openid_user_named_like_a_local_user_gets_nothing_of_it(tmp_path, start_registry):
    # The IdP's ci-bot: preferred_username and sub are the local name, the e-mail is its own.
    idp_user = {"sub": "ci-bot", "preferred_username": "ci-bot", "email": "ci-bot@idp.test"}
    idp = start_oidc_provider(tmp_path, [idp_user])
    try:
        port = free_port()
        oidc = {"oidc_enabled": True, "oidc_issuer": idp.issuer, "external_url": f"http://127.0.0.1:{port}"}
        # A claim that can hold the local name is refused, because of what zot does with it:
        claim = "preferred_username"
        with pytest.raises(zot_config.ZotConfigError, match=r"zot_htpasswd_users\[0\]\.name: ci-bot"):
            role_registry(start_registry, tmp_path / "refused", oidc_claim_username=claim, **oidc)
        config, files = role_config(http_port=port, **oidc)
        config["http"]["auth"]["openid"]["providers"]["oidc"]["claimMapping"] = {"username": claim}
        shared = start_registry(tmp_path / "shared", config, files)
        key = api_key(browser_login(shared.url, "ci-bot")[0], shared)
        assert upload(shared, "ci-bot", key) == 403  # the IdP gave no groups
        assert upload(shared, "ci-bot", CI_PASSWORD) == 202  # the local ci-bot logs in ...
        assert upload(shared, "ci-bot", key) == 202  # ... and the IdP user's key pushes as CI
        shared.stop()

        zot = role_registry(start_registry, tmp_path / "zot", http_port=port, **oidc)
        browser, _unused = browser_login(zot.url, "ci-bot")
        assert browser.cookies["user"] == "ci-bot@idp.test"
        key = api_key(browser, zot)
        # The local ci-bot logs in (zot stores its groups under its name), then the IdP user's key:
        assert upload(zot, "ci-bot", CI_PASSWORD) == 202
        assert upload(zot, "ci-bot@idp.test", key) == 403  # its own name, no groups
        assert upload(zot, "ci-bot", key) == 401  # never the local name
        # CORS on the API key path names the registry, not every site (zot's default: *).
        answer = requests.get(f"{zot.url}/zot/auth/apikey", headers={"Origin": EVIL_ORIGIN}, timeout=10)
        assert answer.headers.get("Access-Control-Allow-Origin") == f"http://127.0.0.1:{port}"
    finally:
        idp.stop()


def test_zot_with_the_role_defaults_creates_no_api_keys_and_names_its_own_origin(tmp_path, start_registry):
    zot = role_registry(start_registry, tmp_path)
    created = requests.post(
        f"{zot.url}/zot/auth/apikey", json={"label": "x"}, auth=("ci-bot", CI_PASSWORD), timeout=10
    )
    assert created.status_code in (404, 405), created.text  # no API key route at all
    answer = requests.get(f"{zot.url}/v2/_catalog", headers={"Origin": EVIL_ORIGIN}, timeout=10)
    assert answer.headers.get("Access-Control-Allow-Origin") == zot.url
