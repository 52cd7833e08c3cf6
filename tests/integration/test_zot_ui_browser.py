# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The plan's verification list in a real browser: headless Chromium (Debian's) in zot's own
web UI, on real zot configured as the zot role renders it (full flavour, UI and OpenID on),
real Dex whose LDAP connector reads real slapd. People log in through Dex, CI's person makes
an API key in the UI and pushes with it, revokes it there; the break-glass admin uses the
password form; a guest browses; logout ends the session; a person in no group cannot write.
Each step saves the screenshot docs/how-to/oidc-login-and-ci-keys.md shows."""

import contextlib
import shutil
import subprocess

import pytest
import requests

from harness import caddy
from harness.process import free_port
from harness.role_defaults import start_zot_as_the_role_renders, zot_role_default
from harness.tls import make_certificates, spki_sha256
from tests.support import dex
from tests.support import ldap_directory as ldap
from tests.support import zot_ui
from tests.support.oci_layout import skopeo_push
from tests.support.oidc_browser import upload_status_with_session

pytestmark = pytest.mark.integration

PROVIDER = "Dex"
CLIENT_SECRET = "zot-ui-dex-client-secret-5b1"  # noqa: S105 - a test value
ADMIN = {"name": "admin", "password": "admin-ui-test-password", "groups": ["artifact-admins"]}
METRICS = {
    "name": zot_role_default("zot_access_control")["metrics"]["users"][0],
    "password": "metrics-ui-pw-42",
}


@contextlib.contextmanager
def identity_chain_and_zot(tmp_path, zot_port, external_url):
    """slapd, Dex with its LDAP connector, and zot listening on zot_port as the role renders
    it (the role's defaults: the UI on) with OpenID through that Dex and external_url."""
    with contextlib.ExitStack() as running:
        directory = ldap.start_ldap_directory(tmp_path / "ldap")
        running.callback(directory.stop)
        server = dex.serve_for_zot(tmp_path, directory, external_url, CLIENT_SECRET)
        running.callback(server.stop)
        registry = start_zot_as_the_role_renders(
            tmp_path,
            [ADMIN, METRICS],
            {"oidc": {"enabled": True, "client_id": "zot", "client_secret": CLIENT_SECRET}},
            http_port=zot_port,
            external_url=external_url,
            secure_session=external_url.startswith("https://"),
            oidc_enabled=True,
            oidc_issuer=server.issuer,
            oidc_client_secret=CLIENT_SECRET,
            oidc_provider_name=PROVIDER,
        )
        running.callback(registry.stop)
        yield registry


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    port = free_port()
    with identity_chain_and_zot(tmp_path_factory.mktemp("ui"), port, f"http://127.0.0.1:{port}") as running:
        yield running


@pytest.fixture(scope="module")
def caddy_certificates(tmp_path_factory):
    """The test CA and Caddy's certificate; the browser trusts that one certificate."""
    return make_certificates(str(tmp_path_factory.mktemp("tls")))


@pytest.fixture(scope="module")
def browser(caddy_certificates):
    trust = "--ignore-certificate-errors-spki-list=" + spki_sha256(caddy_certificates["cert"])
    with zot_ui.chromium(extra_args=[trust]) as chromium:
        yield chromium


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in(page, registry, uid, shots=None):
    zot_ui.sign_in_with_openid(page, registry.url, PROVIDER, uid, ldap.PEOPLE[uid][0], shots=shots)


def push(layout, registry, uid, key, tag, cert_dir=None):
    return skopeo_push(layout, f"{registry.host}/team/app:{tag}", f"{ldap.email(uid)}:{key}", cert_dir)


def test_openid_login_goes_to_dex_and_back_logged_in(page, registry):
    zot_ui.open_login_page(page, registry.url)
    assert page.get_by_role("button", name=f"Sign in with {PROVIDER}").is_visible()
    sign_in(page, registry, "ci-runner", shots=("01-login-page", "02-dex-login"))
    menu = zot_ui.open_account_menu(page)
    assert menu.get_by_text(ldap.email("ci-runner")).is_visible()
    zot_ui.screenshot(page, "03-logged-in")


def test_ci_person_creates_a_key_in_the_ui_pushes_with_it_and_revokes_it(
    page, registry, tmp_path, make_oci_layout
):
    sign_in(page, registry, "ci-runner")
    zot_ui.open_api_keys(page)
    key = zot_ui.create_api_key(
        page, "ci-pipeline", "30 days", shots=("04-create-api-key", "05-api-key-created")
    )
    assert zot_ui.API_KEY.match(key)

    login = subprocess.run(  # noqa: S603 - test argv
        [
            "podman",
            "login",
            "--tls-verify=false",
            "-u",
            ldap.email("ci-runner"),
            "--password-stdin",
            registry.host,
        ],
        input=key,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert login.returncode == 0 and "Login Succeeded" in login.stdout, login.stderr
    subprocess.run(["podman", "logout", registry.host], capture_output=True, check=False)

    make_oci_layout(tmp_path / "one", "build", b"one")
    make_oci_layout(tmp_path / "two", "build", b"two")
    commit = push(tmp_path / "one", registry, "ci-runner", key, "3f9c2ab")
    assert commit.returncode == 0, commit.stderr
    release = push(tmp_path / "one", registry, "ci-runner", key, "v1.0.0")
    assert release.returncode == 0, release.stderr
    moved = push(tmp_path / "two", registry, "ci-runner", key, "v1.0.0")  # write-once for CI
    assert moved.returncode != 0 and "denied" in moved.stderr, moved.stderr

    zot_ui.revoke_api_key(page, "ci-pipeline")
    zot_ui.screenshot(page, "06-api-key-revoked")
    refused = requests.get(f"{registry.url}/v2/", auth=(ldap.email("ci-runner"), key), timeout=30)
    assert refused.status_code == 401
    again = push(tmp_path / "one", registry, "ci-runner", key, "4e0d1bc")
    assert again.returncode != 0


def test_break_glass_admin_uses_the_password_form_and_sees_the_images(
    page, registry, tmp_path, make_oci_layout
):
    make_oci_layout(tmp_path / "admin", "build", b"admin")
    seeded = skopeo_push(
        tmp_path / "admin", f"{registry.host}/team/admin-seed:v1", f"{ADMIN['name']}:{ADMIN['password']}"
    )
    assert seeded.returncode == 0, seeded.stderr
    zot_ui.sign_in_with_password(page, registry.url, ADMIN["name"], ADMIN["password"])
    page.get_by_text("team/admin-seed").first.wait_for()
    zot_ui.screenshot(page, "07-admin-home")


def test_a_guest_browses_without_api_keys(page, registry):
    zot_ui.continue_as_guest(page, registry.url)
    zot_ui.screenshot(page, "08-guest-home")
    assert page.get_by_text("API Keys").count() == 0
    page.goto(registry.url + "/user/apikey")
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("button", name="Create new API key").count() == 0
    # zot v2.1.20 answers an anonymous request for the key list with 500, never with keys.
    listing = requests.get(f"{registry.url}/zot/auth/apikey", timeout=30)
    assert listing.status_code >= 400 and "apiKeys" not in listing.text, (listing.status_code, listing.text)


def test_logout_ends_the_session(page, registry):
    sign_in(page, registry, "ci-runner")
    session = next(cookie["value"] for cookie in page.context.cookies() if cookie["name"] == "session")
    assert upload_status_with_session(registry.url, "team/app", session) == 202
    zot_ui.log_out(page, registry.url)
    assert upload_status_with_session(registry.url, "team/app", session) == 401


def test_a_person_in_no_group_gets_no_write_access(page, registry, tmp_path, make_oci_layout):
    sign_in(page, registry, "visitor")
    zot_ui.open_api_keys(page)
    key = zot_ui.create_api_key(page, "visitor-key", "30 days")
    make_oci_layout(tmp_path / "visitor", "build", b"visitor")
    refused = push(tmp_path / "visitor", registry, "visitor", key, "deadbee")
    assert refused.returncode != 0 and "denied" in refused.stderr, refused.stderr


@pytest.fixture(scope="module")
def behind_caddy(tmp_path_factory, caddy_certificates):
    """The plan's topology: zot on a loopback listener behind Debian's Caddy running the
    example Caddyfile with a test CA, zot_external_url on Caddy's https address."""
    tmp_path = tmp_path_factory.mktemp("caddy")
    port = free_port()
    with identity_chain_and_zot(tmp_path, free_port(), f"https://127.0.0.1:{port}") as registry:
        proxy = caddy.start(tmp_path, registry.host, caddy_certificates, port=port)
        try:
            yield proxy, caddy_certificates
        finally:
            proxy.stop()


def test_login_key_and_push_go_through_caddy(behind_caddy, page, tmp_path, make_oci_layout):
    proxy, certificates = behind_caddy
    cert_dir = tmp_path / "certs"
    cert_dir.mkdir()
    shutil.copy(certificates["ca"], cert_dir / "ca.crt")
    make_oci_layout(tmp_path / "one", "build", b"through caddy")
    sign_in(page, proxy, "ci-runner")
    assert zot_ui.open_account_menu(page).get_by_text(ldap.email("ci-runner")).is_visible()
    page.keyboard.press("Escape")
    zot_ui.open_api_keys(page)
    key = zot_ui.create_api_key(page, "ci-behind-caddy", "30 days")
    pushed = push(tmp_path / "one", proxy, "ci-runner", key, "5a6b7c8", cert_dir=cert_dir)
    assert pushed.returncode == 0, pushed.stderr
    zot_ui.revoke_api_key(page, "ci-behind-caddy")
    refused = push(tmp_path / "one", proxy, "ci-runner", key, "6b7c8d9", cert_dir=cert_dir)
    assert refused.returncode != 0 and "unauthorized" in refused.stderr.lower(), refused.stderr
