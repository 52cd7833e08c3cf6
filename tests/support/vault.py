# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Read the test inventory's vault-encrypted secrets the way Ansible does."""

import pathlib

import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

INVENTORY = pathlib.Path(__file__).resolve().parents[1] / "inventory"


def _vault():
    password = (INVENTORY / "vault-password.txt").read_bytes().strip()
    return VaultLib([("default", VaultSecret(password))])


def load_vault(path):
    """A vault-encrypted YAML file (the test inventory's password) as a dict."""
    return yaml.safe_load(_vault().decrypt(pathlib.Path(path).read_bytes()))


def machine_secret(path):
    """A machine identity's secret the zot role generated (a vault-encrypted file)."""
    return _vault().decrypt(pathlib.Path(path).read_bytes()).decode().strip()


def load_test_secrets():
    return load_vault(INVENTORY / "group_vars" / "zot_registries" / "vault.yml")
