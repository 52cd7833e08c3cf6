"""The zot double's OpenID Connect login against a real provider (oidc-provider-mock) on
loopback: redirects, state, PKCE, sessions, API keys inheriting the IdP's groups, logout,
and the panic at start when discovery fails."""

import base64
import json
import subprocess
import sys
import time
import urllib.parse

import pytest
import requests

from tests.support.oidc_browser import SESSION_HEADERS, LoginError, browser_login
from tests.support.oidc_provider import start_oidc_provider
from tests.zot_double import harness
from tests.zot_double import zot_double as zot
from tests.support.policies import role_default_access_control

pytestmark = pytest.mark.skipif(
    harness.registry_binary() != harness.DOUBLE, reason="exercises the double's OpenID implementation"
)

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
    port = harness.free_port()
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
    browser = requests.Session()
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

    def upload_with(cookie):
        return requests.post(
            f"{zot.url}/v2/team/app/blobs/uploads/",
            cookies={"session": cookie},
            headers=SESSION_HEADERS,
            timeout=10,
        ).status_code

    assert upload_with(stolen) == 202
    logout = browser.post(f"{zot.url}/zot/auth/logout", headers=SESSION_HEADERS)
    assert logout.status_code == 200
    end_session = urllib.parse.urlsplit(logout.json()["endSessionUrl"])
    assert f"{end_session.scheme}://{end_session.netloc}" == idp.issuer
    assert urllib.parse.parse_qs(end_session.query)["post_logout_redirect_uri"] == [f"{zot.url}/login"]
    assert upload_with(stolen) == 401  # a copy of the cookie is worthless after logout


def test_sessions_survive_a_restart_with_session_keys(start_registry, tmp_path, idp):
    zot = start(start_registry, tmp_path, idp.issuer)
    browser, _unused = browser_login(zot.url, "ci-bot")
    zot.restart()
    assert browser.get(f"{zot.url}/zot/auth/apikey", headers=SESSION_HEADERS).status_code == 200


def run_serve(tmp_path, issuer):
    config, files = openid_config(issuer)
    config["http"]["port"] = str(harness.free_port())
    config["storage"] = {"rootDirectory": str(tmp_path / "root")}
    for name, content in files.items():
        (tmp_path / name).write_text(content)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config).replace("{tmp}", str(tmp_path)))
    return subprocess.run(
        [sys.executable, harness.DOUBLE, "serve", str(path)],
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
    )


def test_unreachable_issuer_panics_at_start(tmp_path):
    issuer = f"http://127.0.0.1:{harness.free_port()}"
    result = run_serve(tmp_path, issuer)
    assert result.returncode == 2
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["level"] == "panic" and line["message"] == "failed to initialize new relying party oidc"
    assert line["issuer"] == issuer and "connection refused" in line["error"].lower()


def test_issuer_must_match_the_discovery_document_exactly(tmp_path, idp):
    result = run_serve(tmp_path, idp.issuer + "/")  # the mock's issuer has no trailing slash
    assert result.returncode == 2
    assert "issuer does not match" in result.stderr


# -- in-process: the ID token checks and claim mapping, case by case ----------------------
def rsa_jwk_and_signer():
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()

    def b64(number):
        raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    jwk = {"kty": "RSA", "kid": "k1", "n": b64(numbers.n), "e": b64(numbers.e)}
    return jwk, lambda data: key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def make_token(sign, claims, alg="RS256"):
    def part(value):
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    signing_input = f"{part({'alg': alg, 'kid': 'k1'})}.{part(claims)}"
    signature = base64.urlsafe_b64encode(sign(signing_input.encode())).rstrip(b"=").decode()
    return f"{signing_input}.{signature}"


@pytest.fixture(scope="module")
def party():
    jwk, sign = rsa_jwk_and_signer()
    conf = {"http": {"externalurl": "https://zot.example", "address": "0.0.0.0", "port": "5000"}}
    provider = {"issuer": "https://idp.example", "clientid": "zot", "clientsecret": "x", "scopes": ["email"]}
    relying_party = zot.RelyingParty(conf, "oidc", provider)
    relying_party._keys = {"k1": jwk}
    relying_party.sign = sign
    return relying_party


def good_claims(**changes):
    now = int(time.time())
    claims = {"iss": "https://idp.example", "aud": "zot", "sub": "u1", "iat": now, "exp": now + 60}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def test_relying_party_settings_follow_zot(party):
    assert party.redirect_uri == "https://zot.example/zot/auth/callback/oidc"
    assert party.scopes == ["openid", "email"]


def test_a_valid_id_token_is_accepted(party):
    assert party.verify_id_token(make_token(party.sign, good_claims()), "at")["sub"] == "u1"


@pytest.mark.parametrize(
    "changes, needle",
    [
        ({"iss": "https://idp.example/"}, "issuer does not match"),
        ({"aud": "other"}, "audience is not valid"),
        ({"aud": ["zot", "other"]}, "authorized party"),
        ({"exp": int(time.time()) - 1}, "expired"),
        ({"iat": int(time.time()) + 600}, "future"),
        ({"nonce": "n"}, "nonce"),
        ({"at_hash": "wrong"}, "at_hash"),
    ],
)
def test_id_token_checks_refuse(party, changes, needle):
    with pytest.raises(zot.OpenIDError, match=needle):
        party.verify_id_token(make_token(party.sign, good_claims(**changes)), "at")


def test_signature_must_come_from_the_issuers_key(party):
    token = make_token(party.sign, good_claims())
    header, _payload, signature = token.split(".")
    forged_payload = base64.urlsafe_b64encode(json.dumps(good_claims(sub="admin")).encode()).rstrip(b"=")
    with pytest.raises(zot.OpenIDError, match="signature is invalid"):
        party.verify_id_token(f"{header}.{forged_payload.decode()}.{signature}", "at")
    _other_jwk, other_sign = rsa_jwk_and_signer()
    with pytest.raises(zot.OpenIDError, match="signature is invalid"):
        party.verify_id_token(make_token(other_sign, good_claims()), "at")
    with pytest.raises(zot.OpenIDError, match="not supported"):
        party.verify_id_token(make_token(party.sign, good_claims(), alg="none"), "at")


def test_identity_and_groups_from_userinfo_and_id_token(party):
    info = {"sub": "u1", "email": "u1@example.test", "groups": ["b", "a", ""]}
    assert party.identity(info, {"groups": ["a", "c"]}) == ("u1@example.test", ["a", "b", "c"])
    assert party.identity({"sub": "u1"}, {}) == ("", [])  # no email: the login is refused


def test_callback_ui_only_redirects_to_allowed_origins():
    allowed = ["https://zot.example"]
    assert zot.validate_callback_ui("/home", allowed) == "/home"
    assert zot.validate_callback_ui("https://zot.example/ui", allowed) == "https://zot.example/ui"
    assert zot.validate_callback_ui("https://evil.example/", allowed) == "/"
    assert zot.validate_callback_ui("//evil.example/", allowed) == "/"
    assert zot.validate_callback_ui("", allowed) == ""
