"""Read the test inventory's vault-encrypted secrets the way Ansible does."""

import pathlib

import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

INVENTORY = pathlib.Path(__file__).resolve().parents[1] / "inventory"


def load_test_secrets():
    password = (INVENTORY / "vault-password.txt").read_bytes().strip()
    vault = VaultLib([("default", VaultSecret(password))])
    data = (INVENTORY / "group_vars" / "zot_registries" / "vault.yml").read_bytes()
    return yaml.safe_load(vault.decrypt(data))
