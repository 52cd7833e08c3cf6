# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""Generated secrets of machine identities, one vault-encrypted file per user on the
controller (the zot_machine_secret lookup).

Vault-encrypted, not plaintext: the default directory is inside the inventory, which is
usually committed; an encrypted file can be committed with it, and whoever may read it
already holds the vault password that protects every other secret of the play.
"""

import os
import secrets
import string
import tempfile

from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.parsing.vault import AnsibleVaultError, is_encrypted

VARIABLE = "zot_machine_secrets_dir"
# 43 of 62 characters: 256 bits.
SECRET_LENGTH = 43
_ALPHABET = string.ascii_letters + string.digits
# Secrets generated without writing them (check mode), so one process sees one value.
_UNWRITTEN = {}


class MachineSecretError(ValueError):
    """A secret that cannot be read or kept; the message names the variable and the file."""


def new_secret():
    return "".join(secrets.choice(_ALPHABET) for _unused in range(SECRET_LENGTH))


class SecretStore:
    """The secret files in ``directory``; ``vault`` is the play's VaultLib (its secrets
    decrypt and encrypt); ``write``: create missing files and encrypt plaintext ones."""

    def __init__(self, directory, vault, write=True):
        self.directory = directory
        self.vault = vault
        self.write = write
        # Files this store re-wrote encrypted (plaintext from an earlier release).
        self.encrypted = []

    def path(self, name):
        if not name or "/" in name or name in (".", ".."):
            raise MachineSecretError("%s: %r is not a user name a file can be named after" % (VARIABLE, name))
        return os.path.join(self.directory, name)

    def secret(self, name):
        path = self.path(name)
        if os.path.exists(path):
            return self._read(path)
        if not self.write:
            return _UNWRITTEN.setdefault(os.path.abspath(path), new_secret())
        secret = _UNWRITTEN.pop(os.path.abspath(path), None) or new_secret()
        self._store(path, secret)
        return secret

    def _read(self, path):
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise MachineSecretError("%s: cannot read %s: %s" % (VARIABLE, path, exc.strerror)) from exc
        if is_encrypted(data):
            try:
                return to_text(self.vault.decrypt(data)).strip()
            except AnsibleVaultError as exc:
                raise MachineSecretError(
                    "%s: %s is vault-encrypted and none of this play's vault secrets opens it: %s"
                    % (VARIABLE, path, exc)
                ) from exc
        secret = to_text(data).strip()
        if self.write and secret:
            self._store(path, secret)
            self.encrypted.append(path)
        return secret

    def _store(self, path, secret):
        if not self.vault.secrets:
            raise MachineSecretError(
                "%s: %s would hold a generated secret, which is kept vault-encrypted, but this play "
                "has no vault password: give one (--vault-password-file or vault_password_file)"
                % (VARIABLE, path)
            )
        try:
            ciphertext = self.vault.encrypt(to_bytes(secret + "\n"))
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            # Written beside the target and renamed: a reader never sees half a file.
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
            with os.fdopen(handle, "wb") as stream:
                stream.write(ciphertext)
            os.chmod(temporary, 0o600)
            os.replace(temporary, path)
        except OSError as exc:
            raise MachineSecretError("%s: cannot write %s: %s" % (VARIABLE, path, exc.strerror)) from exc
