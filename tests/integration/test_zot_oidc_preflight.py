# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The zot role's OpenID preflight, run on this machine in check mode: it fetches the
issuer's discovery document from the host and stops, naming the issuer, when zot could not
start with it; a missing zot_external_url is named too."""

import pytest

from tests.support.oidc_provider import start_oidc_provider
from tests.support.playbook import run_playbook
from harness.process import free_port


@pytest.fixture(scope="module")
def idp(tmp_path_factory):
    provider = start_oidc_provider(tmp_path_factory.mktemp("idp"))
    yield provider
    provider.stop()


def preflight(tmp_path, succeeds, **role_vars):
    role_vars = {
        "zot_oidc_enabled": True,
        "zot_external_url": "https://zot.example",
        "zot_config_dir": str(tmp_path / "etc"),
        "zot_verify": False,
        # no gathered facts needed: the release architecture check does not apply
        "zot_binary_source": "local",
        "zot_binary_local_path": "/bin/true",
        **role_vars,
    }
    play = {
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [
            {
                "ansible.builtin.include_role": {"name": "zotops.registry.zot", "tasks_from": "preflight"},
                "vars": role_vars,
            }
        ],
    }
    return run_playbook(tmp_path, [play], check=True, expect_success=succeeds)


def flat(run):
    return " ".join(run.output.split())


def test_reachable_issuer_passes(tmp_path, idp):
    run = preflight(tmp_path, True, zot_oidc_issuer=idp.issuer)
    assert "Check that zot can start with this issuer" in run.output


def test_unreachable_issuer_stops_the_run(tmp_path):
    issuer = f"http://127.0.0.1:{free_port()}"
    run = preflight(tmp_path, False, zot_oidc_issuer=issuer)
    assert f"OpenID issuer {issuer} (zot_oidc_issuer): its discovery document" in flat(run)
    assert f"{issuer}/.well-known/openid-configuration cannot be fetched from localhost" in flat(run)
    assert "nothing was changed on the host" in flat(run)


def test_issuer_differing_from_the_discovery_document_stops_the_run(tmp_path, idp):
    run = preflight(tmp_path, False, zot_oidc_issuer=idp.issuer + "/")
    assert f'names the issuer "{idp.issuer}", which is not zot_oidc_issuer exactly' in flat(run)


def test_oidc_needs_the_external_url(tmp_path, idp):
    run = preflight(tmp_path, False, zot_oidc_issuer=idp.issuer, zot_external_url="")
    assert "zot_external_url: required when zot_oidc_enabled is true" in flat(run)
