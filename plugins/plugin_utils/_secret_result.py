# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""Action plugin base for modules that return a freshly issued secret (API keys, tokens).

A module cannot mark its own result no_log (Ansible strips `_ansible_*` keys from module
results), and adding the secret to `no_log_values` would replace it in the result itself. An
action plugin can hide the whole task result from every callback while `register` still
receives the secret, so a task missing `no_log: true` does not print it at -v.
"""

from ansible.plugins.action import ActionBase


class SecretResultAction(ActionBase):
    """Run the module as usual; hide the result when its `FIELD_TO_HIDE` (the new secret) is set."""

    FIELD_TO_HIDE = ""
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        result.update(self._execute_module(task_vars=task_vars, wrap_async=False))
        if result.get(self.FIELD_TO_HIDE):
            result["_ansible_no_log"] = True
        return result
