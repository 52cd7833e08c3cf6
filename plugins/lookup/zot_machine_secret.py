# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
---
name: zot_machine_secret
short_description: Generated secrets of machine identities, kept vault-encrypted on the controller
version_added: "0.1.0"
author:
  - zotops maintainers (@zotops)
description:
  - For each user name, the secret kept in C(<directory>/<name>) on the controller.
  - A file that exists is read back, vault-encrypted or plaintext (as written by releases
    before this lookup). With O(write) a plaintext file is re-written vault-encrypted, with the
    same secret, so nothing changes where it is used.
  - "A missing file gets a new secret (43 letters and digits from the system's random source,
    256 bits). With O(write) it is written vault-encrypted with the play's vault secret
    (the first one given, or the one named by C(DEFAULT_VAULT_ENCRYPT_IDENTITY)), directory
    0700, file 0600. Without O(write), as in a C(--check) run, nothing is written and the
    secret lives only in this process."
  - Inventories are usually committed to git, so a generated secret is never written there
    in plaintext; a vault-encrypted file can be committed like the inventory's vault.
options:
  _terms:
    description: User names.
    type: list
    elements: str
    required: true
  directory:
    description: The controller directory of the secret files (the zot role's C(zot_machine_secrets_dir)).
    type: path
    required: true
  write:
    description: Write new secrets, and encrypt plaintext ones; false in check mode.
    type: bool
    default: true
notes:
  - Read a secret elsewhere with C(ansible-vault view <directory>/<name>) or the
    M(ansible.builtin.file) lookup, which decrypts vault files.
"""

EXAMPLES = r"""
- name: The generated secret of the machine user ci (created on first use)
  ansible.builtin.set_fact:
    ci_secret: "{{ lookup('zotops.registry.zot_machine_secret', 'ci', directory=zot_machine_secrets_dir,
                          write=not ansible_check_mode) }}"
  no_log: true
"""

RETURN = r"""
_raw:
  description: One secret per user name, in the order given.
  type: list
  elements: str
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.zotops.registry.plugins.plugin_utils._zot import machine_secrets


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        store = machine_secrets.SecretStore(
            self.get_option("directory"), self._loader._vault, write=self.get_option("write")
        )
        try:
            found = [store.secret(name) for name in terms]
        except machine_secrets.MachineSecretError as exc:
            raise AnsibleLookupError(str(exc)) from exc
        for path in store.encrypted:
            Display().warning(
                "%s was a plaintext machine secret: it is vault-encrypted now (same secret); read it "
                "with ansible-vault view" % path
            )
        return found
