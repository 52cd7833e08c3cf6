# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""playbooks/inventory-example/ is a working inventory: its ansible-vault file opens with the
documented throwaway password, every vaulted value reaches the hosts, and the site playbook
passes --syntax-check with it."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "playbooks" / "inventory-example"
BIN = pathlib.Path(sys.executable).parent
VAULTED = [
    "vault_zot_ci_password",
    "vault_zot_admin_password",
    "vault_zot_prometheus_password",
    "vault_zot_session_hash_key",
    "vault_zot_session_encrypt_key",
    "vault_zot_oidc_client_secret",
    "vault_authentik_token",
    "vault_dockerhub_token",
]


def _run(tmp_path, tool, *args):
    # Outside the checkout, so its ansible.cfg (and the test inventory's vault password) is
    # not picked up: only what the example documents is used.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env["ANSIBLE_COLLECTIONS_PATH"] = str(ROOT / ".cache" / "collections")
    env["ANSIBLE_NOCOLOR"] = "1"
    command = [str(BIN / tool), "-i", str(EXAMPLE / "hosts.yml"), *args]
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def inventory(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("inventory")
    done = _run(
        tmp_path, "ansible-inventory", "--list", "--vault-password-file", str(EXAMPLE / "vault-password.txt")
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_seed_topology(inventory):
    assert inventory["zot_registries"]["hosts"] == ["registry.example.org"]
    assert inventory["authentik_api"]["hosts"] == ["authentik.example.org"]
    assert inventory["containerd_nodes"]["hosts"] == ["minikube"]
    hostvars = inventory["_meta"]["hostvars"]
    registry = hostvars["registry.example.org"]
    assert registry["zot_http_address"] == "127.0.0.1"
    assert registry["zot_external_url"] == "https://registry.example.org"
    assert hostvars["authentik.example.org"]["ansible_connection"] == "local"
    assert hostvars["minikube"]["containerd_mirror_mode"] == "minikube"
    assert registry["zot_oidc_enabled"] is True
    assert registry["zot_oidc_issuer"] == "https://authentik.example.org/application/o/zot/"
    ci = next(user for user in registry["zot_htpasswd_users"] if user["name"] == "ci")
    assert ci["groups"] == ["artifact-workloads"]


@pytest.mark.parametrize("name", VAULTED)
def test_vaulted_values_resolve_on_every_host(inventory, name):
    for host, hostvars in inventory["_meta"]["hostvars"].items():
        value = hostvars.get(name)
        assert isinstance(value, str) and value, f"{name} does not resolve on {host}"
        assert "ANSIBLE_VAULT" not in value


def test_without_the_password_the_vault_stays_closed(tmp_path):
    done = _run(tmp_path, "ansible-inventory", "--list")
    assert done.returncode != 0
    assert "vault" in done.stderr.lower()


# As a file in the checkout and by name from the installed collection.
@pytest.mark.parametrize("playbook", [str(ROOT / "playbooks" / "site.yml"), "zotops.registry.site"])
def test_site_playbook_syntax_check_passes(tmp_path, playbook):
    done = _run(
        tmp_path,
        "ansible-playbook",
        playbook,
        "--syntax-check",
        "--vault-password-file",
        str(EXAMPLE / "vault-password.txt"),
    )
    assert done.returncode == 0, done.stdout + done.stderr
