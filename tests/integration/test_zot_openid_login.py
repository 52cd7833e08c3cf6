# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""zot's OpenID Connect login against a real provider (oidc-provider-mock) on loopback, as
the collection configures it: redirects, state, PKCE, sessions, API keys inheriting the
IdP's groups, logout, and zot refusing to start when discovery fails."""

import json
import subprocess
import urllib.parse

import pytest
import requests

from tests.support.oidc_browser import (
    SESSION_HEADERS,
    Browser,
    LoginError,
    browser_login,
    upload_status_with_session,
)
from tests.support.oidc_provider import start_oidc_provider
from harness import zot as zot_process
from harness.process import free_port
from tests.support.policies import role_default_access_control

pytestmark = pytest.mark.integration

USERS = [
    {"sub": "ci-bot", "email": "ci-bot@example.test", "groups": ["artifact-workloads"]},
    {"sub": "root", "email": "root@example.test", "groups": ["artifact-admins", "other"]},
    {"sub": "nobody", "email": "nobody@example.test"},
]
ACCESS = role_default_access_control()
SESSION_KEYS = json.dumps({"hashKey": "h" * 64, "encryptKey": "e" * 32})


@pytest.fixture
def idp(tmp_path):
    provider = start_oidc_provider(tmp_path, USERS)
    yield provider
    provider.stop()


def openid_config(issuer, secret="s3cret", provider_extra=None):  # noqa: S107 - a test value
    provider = dict(
        {"name": "Test IdP", "issuer": issuer, "credentialsFile": "{tmp}/oidc.json", "scopes": ["email"]},
        **(provider_extra or {}),
    )
    config = {
        "http": {
            "auth": {
                "openid": {"providers": {"oidc": provider}},
                "sessionKeysFile": "{tmp}/keys.json",
                "failDelay": 0,
            },
            "accessControl": ACCESS,
        },
    }
    files = {"oidc.json": json.dumps({"clientid": "zot", "clientsecret": secret}), "keys.json": SESSION_KEYS}
    return config, files


def start(start_registry, tmp_path, issuer, **kwargs):
    port = free_port()
    config, files = openid_config(issuer, **kwargs)
    config["http"]["port"] = str(port)
    config["http"]["externalUrl"] = f"http://127.0.0.1:{port}"
    return start_registry(tmp_path, config, files)


def create_key(browser, zot):
    answer = browser.post(f"{zot.url}/zot/auth/apikey", json={"label": "ci"}, headers=SESSION_HEADERS)
    assert answer.status_code == 201, answer.text
    return answer.json()["apiKey"]


def start_upload(zot, user, secret, repo="team/app"):
    return requests.post(f"{zot.url}/v2/{repo}/blobs/uploads/", auth=(user, secret), timeout=10).status_code


def test_login_redirects_to_the_idp_and_back_with_a_session(start_registry, tmp_path, idp):
    zot = start(start_registry, tmp_path, idp.issuer)
    browser, hops = browser_login(zot.url, "ci-bot", callback_ui="/home")

    authorize = urllib.parse.urlsplit(hops["authorize"])
    params = urllib.parse.parse_qs(authorize.query)
    assert f"{authorize.scheme}://{authorize.netloc}" == idp.issuer
    assert params["client_id"] == ["zot"] and params["response_type"] == ["code"]
    assert params["redirect_uri"] == [f"{zot.url}/zot/auth/callback/oidc"]
    assert params["scope"] == ["openid email"]  # openid is put first, as zot does
    assert "code_challenge" not in params  # a client with a secret uses no PKCE
    assert hops["final"].status_code == 302 and hops["final"].headers["Location"] == "/home"
    assert "Max-Age=7200" in hops["final"].headers["Set-Cookie"]  # zot's 2 h session
    assert browser.cookies["user"] == "ci-bot@example.test"  # claimMapping default: email

    keys = browser.get(f"{zot.url}/zot/auth/apikey", headers=SESSION_HEADERS)
    assert keys.status_code == 200 and keys.json() == {"apiKeys": []}
    # Without the UI header the cookie is not a credential: the caller is anonymous.
    assert browser.get(f"{zot.url}/zot/auth/apikey").status_code != 200


def test_api_keys_inherit_the_groups_from_the_idp(start_registry, tmp_path, idp):
    zot = start(start_registry, tmp_path, idp.issuer)
    ci_key = create_key(browser_login(zot.url, "ci-bot")[0], zot)
    nobody_key = create_key(browser_login(zot.url, "nobody")[0], zot)
    root_key = create_key(browser_login(zot.url, "root")[0], zot)

    assert start_upload(zot, "ci-bot@example.test", ci_key) == 202  # artifact-workloads
    assert start_upload(zot, "nobody@example.test", nobody_key) == 403  # no groups claim
    assert start_upload(zot, "root@example.test", root_key) == 202  # artifact-admins
    assert start_upload(zot, "ci-bot", ci_key) == 401  # the key belongs to the email identity


def test_claim_mapping_picks_username_and_groups_claims(start_registry, tmp_path, idp):
    requests.put(f"{idp.issuer}/users/mapped", json={"team": "artifact-workloads"}, timeout=10)
    mapping = {"claimMapping": {"username": "sub", "groups": "team"}}
    zot = start(start_registry, tmp_path, idp.issuer, provider_extra=mapping)
    browser, _unused = browser_login(zot.url, "mapped")
    assert browser.cookies["user"] == "mapped"
    assert start_upload(zot, "mapped", create_key(browser, zot)) == 202  # a string claim is one group


def test_public_client_sends_a_pkce_challenge(start_registry, tmp_path, idp):
    # oidc-provider-mock has no public clients (token_endpoint_auth_method "none"), so the
    # flow is checked up to the authorization request.
    zot = start(start_registry, tmp_path, idp.issuer, secret="")
    login = requests.get(f"{zot.url}/zot/auth/login?provider=oidc", allow_redirects=False, timeout=10)
    params = urllib.parse.parse_qs(urllib.parse.urlsplit(login.headers["Location"]).query)
    assert params["code_challenge_method"] == ["S256"] and len(params["code_challenge"][0]) == 43


def test_callback_refuses_a_foreign_state(start_registry, tmp_path, idp):
    zot = start(start_registry, tmp_path, idp.issuer)
    browser = Browser()
    login = browser.get(f"{zot.url}/zot/auth/login?provider=oidc", allow_redirects=False, timeout=10)
    consent = browser.post(login.headers["Location"], data={"sub": "ci-bot"}, allow_redirects=False)
    callback = urllib.parse.urlsplit(consent.headers["Location"])
    query = dict(urllib.parse.parse_qsl(callback.query), state="forged")
    forged = browser.get(f"{zot.url}{callback.path}?{urllib.parse.urlencode(query)}", allow_redirects=False)
    assert forged.status_code == 401 and "session" not in browser.cookies
    # Without the state cookie (another browser) the real state is refused too.
    stranger = requests.get(consent.headers["Location"], allow_redirects=False, timeout=10)
    assert stranger.status_code == 401


def test_unknown_provider_is_a_bad_request(start_registry, tmp_path, idp):
    zot = start(start_registry, tmp_path, idp.issuer)
    assert requests.get(f"{zot.url}/zot/auth/login?provider=dex", timeout=10).status_code == 400
    with pytest.raises(LoginError):
        browser_login(zot.url, "ci-bot", provider="gitlab")


def test_logout_ends_the_session_on_the_server(start_registry, tmp_path, idp):
    zot = start(start_registry, tmp_path, idp.issuer)
    browser, _unused = browser_login(zot.url, "ci-bot")
    stolen = browser.cookies["session"]
    assert upload_status_with_session(zot.url, "team/app", stolen) == 202
    logout = browser.post(f"{zot.url}/zot/auth/logout", headers=SESSION_HEADERS)
    assert logout.status_code == 200
    end_session = urllib.parse.urlsplit(logout.json()["endSessionUrl"])
    assert f"{end_session.scheme}://{end_session.netloc}" == idp.issuer
    assert urllib.parse.parse_qs(end_session.query)["post_logout_redirect_uri"] == [f"{zot.url}/login"]
    # A copy of the cookie is worthless after logout.
    assert upload_status_with_session(zot.url, "team/app", stolen) == 401


def test_sessions_survive_a_restart_with_session_keys(start_registry, tmp_path, idp):
    zot = start(start_registry, tmp_path, idp.issuer)
    browser, _unused = browser_login(zot.url, "ci-bot")
    zot.restart()
    assert browser.get(f"{zot.url}/zot/auth/apikey", headers=SESSION_HEADERS).status_code == 200


def run_serve(tmp_path, issuer):
    config, files = openid_config(issuer)
    config["http"]["port"] = str(free_port())
    config["storage"] = {"rootDirectory": str(tmp_path / "root")}
    for name, content in files.items():
        (tmp_path / name).write_text(content)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config).replace("{tmp}", str(tmp_path)))
    return subprocess.run(
        [zot_process.binary(), "serve", str(path)],
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
    )


def test_unreachable_issuer_panics_at_start(tmp_path):
    issuer = f"http://127.0.0.1:{free_port()}"
    result = run_serve(tmp_path, issuer)
    # zot panics: the unit's journal names the issuer it could not reach.
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert issuer in output and "connection refused" in output.lower()


def test_issuer_must_match_the_discovery_document_exactly(tmp_path, idp):
    result = run_serve(tmp_path, idp.issuer + "/")  # the mock's issuer has no trailing slash
    assert result.returncode != 0
    assert "issuer does not match" in result.stdout + result.stderr
