"""Action plugin for zotops.registry.zot_api_key: runs the module on the target as usual, then
hides the task result from every callback when it carries a new key's secret.

A module cannot mark its own result no_log (Ansible strips ``_ansible_*`` keys from module
results), but an action plugin can. Without this, a task missing ``no_log: true`` would print
the key at ``-v`` and hand it to every logging callback. ``register`` still receives the full
result, so playbooks can store the key.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        result.update(self._execute_module(task_vars=task_vars, wrap_async=False))
        if "api_key" in result:
            result["_ansible_no_log"] = True
        return result
