# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The dex_client role through ansible-playbook (connection local, files under tmp_path): the
merge, the secret handling and the role's schema check (mirroring Dex v2.45.1's config structs).
The same role against real Dex and slapd: test_dex_client_on_dex.py.
"""

import stat

import pytest
import yaml

from tests.support.playbook import run_playbook

pytestmark = pytest.mark.integration

SECRET = 'zot-dex-secret-"quoted"-5e1f'
OTHER_SECRET = "grafana-inline-secret-77aa"
CALLBACK = "https://zot.example.test/zot/auth/callback/oidc"

EXISTING = {
    "issuer": "https://dex.example.test/dex",
    "storage": {"type": "sqlite3", "config": {"file": "/var/lib/dex/dex.db"}},
    "web": {"http": "127.0.0.1:5556"},
    "connectors": [{"type": "github", "id": "github", "name": "GitHub", "config": {"clientID": "x"}}],
    "staticClients": [
        {
            "id": "grafana",
            "name": "Grafana",
            "secret": OTHER_SECRET,
            "redirectURIs": ["https://grafana.example.test/login/generic_oauth"],
        }
    ],
}


def run_role(tmp_path, role_vars, check=False, expect_ok=True, verbose=1):
    """Apply dex_client with files under tmp_path; return (stdout, changed count)."""
    all_vars = {
        "dex_client_config_path": str(tmp_path / "config.yaml"),
        "dex_client_env_file": str(tmp_path / "zot-client.env"),
        "dex_client_systemd_dir": str(tmp_path / "systemd"),
        "dex_client_restart": False,  # no systemd here
        "zot_oidc_client_secret": SECRET,
        "zot_external_url": "https://zot.example.test/",
    }
    all_vars.update(role_vars)
    play = [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "vars": all_vars,
            "roles": ["zotops.registry.dex_client"],
            "post_tasks": [{"ansible.builtin.debug": {"var": "zot_oidc_issuer"}}],
        }
    ]
    run = run_playbook(tmp_path, play, check=check, diff=True, verbose=verbose, expect_success=expect_ok)
    return run.output, run.recap["changed"]


def test_merge_keeps_other_clients_and_keeps_the_secret_out_of_the_config(tmp_path):
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(EXISTING))

    output, changed = run_role(tmp_path, {})
    assert changed > 0
    config = yaml.safe_load(config_file.read_text())
    assert config["staticClients"][0] == EXISTING["staticClients"][0]
    assert config["staticClients"][1] == {
        "id": "zot",
        "name": "zot registry",
        "secretEnv": "ZOT_OIDC_CLIENT_SECRET",
        "redirectURIs": [CALLBACK],
    }
    assert {k: v for k, v in config.items() if k != "staticClients"} == {
        k: v for k, v in EXISTING.items() if k != "staticClients"
    }
    env_file = tmp_path / "zot-client.env"
    assert env_file.read_text() == 'ZOT_OIDC_CLIENT_SECRET="zot-dex-secret-\\"quoted\\"-5e1f"\n'
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    dropin = tmp_path / "systemd" / "dex.service.d" / "zot-client.conf"
    assert "EnvironmentFile=%s" % env_file in dropin.read_text()
    assert SECRET not in config_file.read_text()
    assert SECRET not in output and 'zot-dex-secret-\\"quoted' not in output
    assert "zot_oidc_issuer: https://dex.example.test/dex" in output

    # Idempotent.
    _unused, changed = run_role(tmp_path, {})
    assert changed == 0

    # Drift in zot's entry: check mode reports it without writing; a run corrects it.
    drifted = yaml.safe_load(config_file.read_text())
    drifted["staticClients"][1]["redirectURIs"] = ["https://evil.example.test/cb"]
    config_file.write_text(yaml.safe_dump(drifted))
    before = config_file.read_text()
    _unused, changed = run_role(tmp_path, {}, check=True)
    assert changed == 1 and config_file.read_text() == before
    _unused, changed = run_role(tmp_path, {})
    assert changed == 1
    assert yaml.safe_load(config_file.read_text())["staticClients"][1]["redirectURIs"] == [CALLBACK]
    assert OTHER_SECRET in config_file.read_text()  # the other client is untouched


def test_managed_mode_writes_a_complete_valid_config(tmp_path):
    role_vars = {
        "dex_client_mode": "managed",
        "dex_client_issuer": "https://dex.example.test",
        "dex_client_connectors": EXISTING["connectors"],
    }
    _unused, changed = run_role(tmp_path, role_vars)
    assert changed > 0
    config = yaml.safe_load((tmp_path / "config.yaml").read_text())
    assert config["issuer"] == "https://dex.example.test"
    assert config["oauth2"] == {"skipApprovalScreen": True}
    assert config["enablePasswordDB"] is False
    assert [c["id"] for c in config["staticClients"]] == ["zot"]
    assert "secret" not in config["staticClients"][0]
    _unused, changed = run_role(tmp_path, role_vars)
    assert changed == 0


def test_managed_mode_reads_yes_and_no_as_booleans(tmp_path):
    role_vars = {
        "dex_client_mode": "managed",
        "dex_client_issuer": "https://dex.example.test",
        "dex_client_skip_approval_screen": "no",
        "dex_client_enable_password_db": "yes",
    }
    run_role(tmp_path, role_vars)
    config = yaml.safe_load((tmp_path / "config.yaml").read_text())
    assert config["oauth2"] == {"skipApprovalScreen": False}
    assert config["enablePasswordDB"] is True


@pytest.mark.parametrize(
    "broken, message",
    [
        (
            {"staticClients": [{"id": "grafana", "secret": "s", "redirectUris": []}]},
            "staticClients[0]: 'name' is a required property",
        ),
        ({"web": {"https": "0.0.0.0:5554"}}, "web: 'tlsCert' is a dependency of 'https'"),
        (
            {"staticPasswords": [{"email": "a@b", "hash": "$2a$10$" + "x" * 53}]},
            "$: 'enablePasswordDB' is a required property",
        ),
    ],
)
def test_invalid_existing_config_is_refused_naming_the_field(tmp_path, broken, message):
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(dict(EXISTING, **broken)))
    before = config_file.read_text()
    output, _unused = run_role(tmp_path, {}, expect_ok=False)
    assert message in output
    assert config_file.read_text() == before
    assert not (tmp_path / "zot-client.env").exists()


def test_no_secret_of_the_dex_config_shows_at_vvv_with_diff(tmp_path):
    """Other clients' secrets, connectors' clientSecret and password hashes are in the Dex
    config the role reads and rewrites: none may show in a run, a dry run with a diff, or a
    failing run, at -vvv."""
    canaries = {
        "client": "canary-client-secret-41f0",
        "connector": "canary-connector-secret-9b2c",
        "hash": "$2a$10$" + "canaryhash".ljust(53, "x"),
    }
    existing = dict(
        EXISTING,
        connectors=[
            {
                "type": "github",
                "id": "github",
                "name": "GitHub",
                "config": {"clientID": "x", "clientSecret": canaries["connector"]},
            }
        ],
        staticClients=[dict(EXISTING["staticClients"][0], secret=canaries["client"])],
        enablePasswordDB=True,
        staticPasswords=[
            {"email": "a@example.test", "hash": canaries["hash"], "username": "a", "userID": "1"}
        ],
    )
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(existing))

    outputs = [run_role(tmp_path, {}, verbose=3)[0]]
    drifted = yaml.safe_load(config_file.read_text())
    drifted["staticClients"][1]["redirectURIs"] = ["https://evil.example.test/cb"]
    config_file.write_text(yaml.safe_dump(drifted))
    outputs.append(run_role(tmp_path, {}, check=True, verbose=3)[0])
    broken = dict(drifted, web={"https": "0.0.0.0:5554"})
    config_file.write_text(yaml.safe_dump(broken))
    outputs.append(run_role(tmp_path, {}, expect_ok=False, verbose=3)[0])

    for output in outputs:
        for name, value in canaries.items():
            assert value not in output, f"the {name} canary shows in the output"
    assert "tlsCert" in outputs[-1]  # the failing run still says why
