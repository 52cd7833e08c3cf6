# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Action plugin for zotops.registry.zot_registry_check: the probes run on the managed host;
answers the host could not decide (CEL conditions, whose library the host may lack) are
judged here on the controller, where zot_access_policy already needs that library."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.zotops.registry.plugins.module_utils._checks.checklist import (
    report,
    settle,
)


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        result.update(self._execute_module(task_vars=task_vars))
        checks = result.get("checks") or []
        if any(check.get("status") == "pending" for check in checks):
            result.update(report(settle(checks, self._task.args["access_control"])))
        return result
