# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""_zot/machine_secrets: generated secrets are vault-encrypted files, nothing is written in
check mode, and plaintext files of earlier releases keep working."""

import stat

import pytest
from ansible.parsing.vault import VaultLib, VaultSecret, is_encrypted

from ansible_collections.zotops.registry.plugins.plugin_utils._zot.machine_secrets import (
    SECRET_LENGTH,
    MachineSecretError,
    SecretStore,
)


@pytest.fixture
def vault():
    return VaultLib([("default", VaultSecret(b"test-vault-password"))])


def test_a_new_secret_is_written_vault_encrypted_and_read_back(tmp_path, vault):
    directory = tmp_path / "secrets"
    secret = SecretStore(str(directory), vault).secret("ci")
    assert len(secret) == SECRET_LENGTH and secret.isalnum()
    data = (directory / "ci").read_bytes()
    assert is_encrypted(data) and secret.encode() not in data
    assert stat.S_IMODE((directory / "ci").stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert SecretStore(str(directory), vault, write=False).secret("ci") == secret


def test_check_mode_writes_nothing_and_keeps_one_value_per_process(tmp_path, vault):
    store = SecretStore(str(tmp_path / "secrets"), vault, write=False)
    assert store.secret("bystander") == store.secret("bystander")
    assert not (tmp_path / "secrets").exists()
    # The run after it keeps the secret the dry run showed a hash of.
    assert SecretStore(str(tmp_path / "secrets"), vault).secret("bystander") == store.secret("bystander")


def test_a_plaintext_secret_keeps_working_and_is_encrypted_when_writing(tmp_path, vault):
    (tmp_path / "ci").write_text("old-plaintext-secret\n")
    checking = SecretStore(str(tmp_path), vault, write=False)
    assert checking.secret("ci") == "old-plaintext-secret"
    assert (tmp_path / "ci").read_text() == "old-plaintext-secret\n" and checking.encrypted == []
    store = SecretStore(str(tmp_path), vault)
    assert store.secret("ci") == "old-plaintext-secret"
    assert store.encrypted == [str(tmp_path / "ci")] and is_encrypted((tmp_path / "ci").read_bytes())
    assert SecretStore(str(tmp_path), vault).secret("ci") == "old-plaintext-secret"


def test_without_a_vault_password_nothing_is_written_in_plaintext(tmp_path):
    with pytest.raises(MachineSecretError, match="zot_machine_secrets_dir: .* no vault password"):
        SecretStore(str(tmp_path / "secrets"), VaultLib([])).secret("ci")
    assert not (tmp_path / "secrets").exists()


def test_a_file_another_vault_password_encrypted_is_refused_naming_it(tmp_path, vault):
    SecretStore(str(tmp_path), VaultLib([("default", VaultSecret(b"other"))])).secret("ci")
    with pytest.raises(MachineSecretError, match="zot_machine_secrets_dir: .*/ci is vault-encrypted"):
        SecretStore(str(tmp_path), vault).secret("ci")


@pytest.mark.parametrize("name", ["", "../ci", "."])
def test_a_name_that_is_not_a_file_name_is_refused(tmp_path, vault, name):
    with pytest.raises(MachineSecretError, match="zot_machine_secrets_dir"):
        SecretStore(str(tmp_path), vault).secret(name)
