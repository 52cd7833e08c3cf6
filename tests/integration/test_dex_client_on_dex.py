# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The dex_client role against real Dex (v2.45.1, scripts/get-dex.sh) with an LDAP connector to
real slapd: Dex starts with the config the role renders (managed) or merges into (merge) and
knows zot's client and its secret; a config Dex refuses at start is refused by the role before
anything is written; registration is idempotent."""

import json
import urllib.parse

import pytest
import requests
import yaml

from harness.process import free_port
from tests.support import dex
from tests.support.ldap_directory import start_ldap_directory
from tests.support.playbook import run_playbook

pytestmark = pytest.mark.integration

SECRET = "zot-client-secret-for-dex-3c9d"  # noqa: S105 - a test value
ZOT_URL = "http://127.0.0.1:5999"
CALLBACK = ZOT_URL + "/zot/auth/callback/oidc"


@pytest.fixture
def directory(tmp_path):
    started = start_ldap_directory(tmp_path / "ldap")
    yield started
    started.stop()


def run_role(tmp_path, role_vars, expect_ok=True):
    """Apply dex_client with its files under tmp_path; return (output, changed count)."""
    all_vars = {
        "dex_client_config_path": str(tmp_path / "config.yaml"),
        "dex_client_env_file": str(tmp_path / "zot-client.env"),
        "dex_client_systemd_dropin": False,
        "dex_client_restart": False,  # no systemd here: the test starts Dex itself
        "zot_oidc_client_secret": SECRET,
        "zot_external_url": ZOT_URL,
    }
    all_vars.update(role_vars)
    play = [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "vars": all_vars,
            "roles": ["zotops.registry.dex_client"],
        }
    ]
    run = run_playbook(tmp_path, play, diff=True, expect_success=expect_ok)
    return run.output, run.recap.get("changed")


def managed_vars(port, connectors):
    return {
        "dex_client_mode": "managed",
        "dex_client_issuer": dex.issuer_for(port),
        "dex_client_storage": {"type": "memory"},
        "dex_client_web_http": f"127.0.0.1:{port}",
        "dex_client_connectors": connectors,
    }


def secret_env(tmp_path):
    return dex.read_env_file(tmp_path / "zot-client.env")


def assert_dex_knows_zot(issuer):
    """Dex sends zot's authorization request to the LDAP login page, refuses a redirect URI it
    does not have for zot, and takes zot's secret (wrong secret: invalid_client)."""
    query = {"client_id": "zot", "response_type": "code", "scope": "openid", "state": "s"}
    auth = requests.get(
        issuer + "/auth?" + urllib.parse.urlencode(dict(query, redirect_uri=CALLBACK)),
        allow_redirects=False,
        timeout=10,
    )
    assert auth.status_code == 302 and f"/auth/{dex.CONNECTOR_ID}" in auth.headers["Location"]
    other = requests.get(
        issuer + "/auth?" + urllib.parse.urlencode(dict(query, redirect_uri="http://evil.test/cb")),
        timeout=10,
    )
    assert other.status_code == 400 and "Unregistered redirect_uri" in other.text

    def token_error(secret):
        answer = requests.post(
            issuer + "/token",
            data={"grant_type": "authorization_code", "code": "not-a-code", "redirect_uri": CALLBACK},
            auth=("zot", secret),
            timeout=10,
        )
        return answer.json()["error"]

    assert token_error(SECRET) == "invalid_grant"  # the client is authenticated; the code is not
    assert token_error("wrong") == "invalid_client"


def test_managed_config_with_the_ldap_connector_runs_on_real_dex(tmp_path, directory):
    port = free_port()
    role_vars = managed_vars(port, [dex.ldap_connector(directory.url, directory.ca_file)])
    _output, changed = run_role(tmp_path, role_vars)
    assert changed > 0
    _output, changed = run_role(tmp_path, role_vars)
    assert changed == 0

    server = dex.serve(tmp_path / "config.yaml", tmp_path, port, env=secret_env(tmp_path))
    try:
        assert_dex_knows_zot(server.issuer)
    finally:
        server.stop()


def test_merge_into_a_running_dex_config_keeps_it_running(tmp_path, directory):
    port = free_port()
    existing = dex.base_config(port, [dex.ldap_connector(directory.url, directory.ca_file)])
    existing["staticClients"] = [
        {"id": "grafana", "name": "Grafana", "secret": "g", "redirectURIs": ["http://127.0.0.1:3000/login"]}
    ]
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(existing))
    _output, changed = run_role(tmp_path, {})
    assert changed > 0
    _output, changed = run_role(tmp_path, {})
    assert changed == 0
    merged = yaml.safe_load((tmp_path / "config.yaml").read_text())
    assert [client["id"] for client in merged["staticClients"]] == ["grafana", "zot"]

    server = dex.serve(tmp_path / "config.yaml", tmp_path, port, env=secret_env(tmp_path))
    try:
        assert_dex_knows_zot(server.issuer)
    finally:
        server.stop()


BROKEN = {
    "https without a certificate": ({"web": {"https": "127.0.0.1:{port}"}}, "web: 'tlsCert' is a dependency"),
    "a client without a name": (
        {"staticClients": [{"id": "grafana", "secret": "g", "redirectURIs": ["http://x/cb"]}]},
        "staticClients[0]: 'name' is a required property",
    ),
    "static passwords without the password DB": (
        {"staticPasswords": [{"email": "a@b", "hash": "$2a$10$" + "x" * 53, "username": "a", "userID": "1"}]},
        "must be true when staticPasswords are given",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_config_dex_refuses_is_refused_before_anything_changes(tmp_path, directory, case):
    port = free_port()
    change, message = BROKEN[case]
    config = dex.base_config(port, [dex.ldap_connector(directory.url, directory.ca_file)])
    config.update(json.loads(json.dumps(change).replace("{port}", str(port))))
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(config))
    assert dex.refused(config_file), "real Dex starts with this config: the case proves nothing"

    before = config_file.read_text()
    output, _changed = run_role(tmp_path, {}, expect_ok=False)
    assert message in output
    assert config_file.read_text() == before
    assert not (tmp_path / "zot-client.env").exists()


def test_managed_mode_without_a_way_to_log_in_is_refused_as_dex_refuses_it(tmp_path):
    port = free_port()
    base = dex.base_config(port, [])
    (tmp_path / "bare.yaml").write_text(yaml.safe_dump(base))
    assert "no connectors specified" in dex.refused(tmp_path / "bare.yaml")

    output, _changed = run_role(tmp_path, managed_vars(port, []), expect_ok=False)
    assert "dex_client_connectors" in output
    assert not (tmp_path / "config.yaml").exists()
