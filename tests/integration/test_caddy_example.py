# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The plan's topology: real zot on a plain-http loopback listener, configured as the zot
role renders it with zot_external_url on https, behind Debian's Caddy running the shipped
example (docs/examples/Caddyfile) with TLS from a test CA. Through Caddy: CI pushes a new
tag with its password and with an API key, cannot move a version tag, anonymous pulls; a
repository name over 255 characters is refused before zot; zot's cookies gain SameSite."""

import pytest
import requests

from harness import caddy
from harness.oci_image import pull_image, push_image
from harness.process import free_port
from harness.role_defaults import start_zot_as_the_role_renders, zot_role_default
from harness.tls import client_session, make_certificates

pytestmark = pytest.mark.integration

CI = {"name": "ci", "password": "ci-behind-caddy-password", "groups": ["artifact-workloads"]}
# The role's default policy names this user in accessControl.metrics.users.
METRICS = {
    "name": zot_role_default("zot_access_control")["metrics"]["users"][0],
    "password": "metrics-password-42",
}
REPO = "team/app"
# zot's web UI marks its requests with this header; zot then keeps a session (cookies).
UI_CLIENT = {"X-ZOT-API-CLIENT": "zot-ui"}


@pytest.fixture(scope="module")
def behind_caddy(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("caddy")
    certificates = make_certificates(str(tmp_path))
    port = free_port()
    registry = start_zot_as_the_role_renders(
        tmp_path, [CI, METRICS], external_url=f"https://127.0.0.1:{port}", api_keys_enabled=True
    )
    proxy = caddy.start(tmp_path, registry.host, certificates, port=port)
    try:
        yield registry, proxy, certificates["ca"]
    finally:
        proxy.stop()
        registry.stop()


def _ci(ca, password=CI["password"]):
    session = client_session(ca)
    session.auth = (CI["name"], password)
    return session


def test_ci_pushes_a_new_tag_and_cannot_move_it_through_caddy(behind_caddy):
    _, proxy, ca = behind_caddy
    push_image(_ci(ca), proxy.url, REPO, "v1.0.0")
    with pytest.raises(requests.HTTPError) as refused:
        push_image(_ci(ca), proxy.url, REPO, "v1.0.0")
    assert refused.value.response.status_code == 403
    pull_image(client_session(ca), proxy.url, REPO, "v1.0.0")


def test_ci_pushes_with_an_api_key_through_caddy(behind_caddy):
    _, proxy, ca = behind_caddy
    created = _ci(ca).post(
        f"{proxy.url}/zot/auth/apikey", json={"label": "caddy-test", "scopes": []}, timeout=30
    )
    assert created.status_code == 201, created.text
    key = created.json()["apiKey"]
    assert key.startswith("zak_")
    push_image(_ci(ca, password=key), proxy.url, REPO, "abc1234")
    assert _ci(ca, password="zak_" + "0" * 32).get(f"{proxy.url}/v2/", timeout=30).status_code == 401


def test_caddy_refuses_a_repository_name_over_255_characters(behind_caddy):
    registry, proxy, ca = behind_caddy
    path = "/v2/%s/manifests/v1" % "/".join(["a" * 200, "b" * 100])
    refused = client_session(ca).get(proxy.url + path, timeout=30)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["code"] == "NAME_INVALID"
    # Straight at zot the same request is answered by zot itself.
    assert requests.get(registry.url + path, timeout=30).status_code != 400


def test_caddy_adds_samesite_to_zots_session_cookies(behind_caddy):
    registry, proxy, ca = behind_caddy
    direct = requests.get(
        f"{registry.url}/v2/", auth=(CI["name"], CI["password"]), headers=UI_CLIENT, timeout=30
    )
    assert direct.raw.headers.getlist("Set-Cookie"), "zot kept no session: the test no longer makes one"
    assert not any("samesite" in c.lower() for c in direct.raw.headers.getlist("Set-Cookie"))
    login = _ci(ca).get(f"{proxy.url}/v2/", headers=UI_CLIENT, timeout=30)
    cookies = login.raw.headers.getlist("Set-Cookie")
    assert {c.split("=", 1)[0] for c in cookies} == {"session", "user"}
    assert all(c.endswith("; SameSite=Lax") for c in cookies), cookies
