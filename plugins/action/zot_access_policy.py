# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Action plugin for zotops.registry.zot_access_policy: runs on the controller (the policy
engine needs jsonschema for structure checks); only `path` reaches the managed host."""

from __future__ import annotations

import base64
import json

from ansible.plugins.action import ActionBase

from ansible_collections.zotops.registry.plugins.module_utils._policy.intent import CHECKLIST_REPOSITORY
from ansible_collections.zotops.registry.plugins.module_utils._policy.report import (
    access_control_from_config,
    build_report,
)

_ACTIONS = ["read", "create", "update", "delete"]
_ACTION_LIST = {"type": "list", "elements": "str", "default": [], "choices": _ACTIONS}

ARGUMENT_SPEC = {
    "access_control": {"type": "dict"},
    "config": {"type": "dict"},
    "path": {"type": "path"},
    "zot_version": {"type": "str"},
    "auth_methods": {
        "type": "list",
        "elements": "str",
        "choices": ["htpasswd", "ldap", "openid", "apikey", "bearer", "mtls"],
    },
    "queries": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {
            "who": {"type": "dict", "required": True},
            "repo": {"type": "str"},
            "repos": {"type": "list", "elements": "str"},
            "action": {"type": "str", "choices": _ACTIONS},
            "actions": {"type": "list", "elements": "str", "choices": _ACTIONS},
            "request": {"type": "dict"},
        },
        "mutually_exclusive": [["repo", "repos"], ["action", "actions"]],
        "required_one_of": [["repo", "repos"]],
    },
    "require": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {
            "who": {"type": "dict", "required": True},
            "repos": {"type": "list", "elements": "str", "required": True},
            "can": dict(_ACTION_LIST),
            "cannot": dict(_ACTION_LIST),
            "request": {"type": "dict"},
        },
    },
    "intent": {
        "type": "dict",
        "options": {
            "pusher": {"type": "dict"},
            "admin": {"type": "dict"},
            "bystander": {"type": "dict"},
            "labels": {"type": "dict", "default": {}},
            "local_users": {"type": "list", "elements": "str", "default": []},
            "oidc": {"type": "bool", "default": False},
            "repository": {"type": "str", "default": CHECKLIST_REPOSITORY},
            "request": {"type": "dict"},
            "tag_rules": {"type": "list", "elements": "dict", "default": []},
            "declared": {"type": "dict"},
        },
    },
    "fail_on_warnings": {"type": "bool", "default": False},
}


def _without_unset(items: list[dict]) -> list[dict]:
    # The argument spec fills absent suboptions with None; the engine wants them absent.
    return [{key: value for key, value in item.items() if value is not None} for item in items]


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(
            argument_spec=ARGUMENT_SPEC,
            mutually_exclusive=[["access_control", "config", "path"]],
            required_one_of=[["access_control", "config", "path"]],
        )
        result["changed"] = False

        config = args["config"]
        try:
            if args["path"]:
                config = self._read_remote_json(args["path"], task_vars)
            if config is not None:
                access_control = access_control_from_config(config)
            else:
                access_control = args["access_control"]
        except ValueError as exc:
            result.update(failed=True, msg=str(exc), errors=[str(exc)])
            return result

        report = build_report(
            access_control,
            config=config,
            auth_methods=args["auth_methods"],
            zot_version=args["zot_version"],
            queries=_without_unset(args["queries"]),
            require=_without_unset(args["require"]),
            intent=args["intent"],
            fail_on_warnings=args["fail_on_warnings"],
        )
        result.update(report)
        return result

    def _read_remote_json(self, path: str, task_vars) -> dict:
        slurped = self._execute_module(
            module_name="ansible.legacy.slurp",
            module_args={"src": path},
            task_vars=task_vars,
        )
        if slurped.get("failed"):
            raise ValueError(f"path: cannot read {path}: {slurped.get('msg', 'slurp failed')}")
        try:
            return json.loads(base64.b64decode(slurped["content"]))
        except ValueError as exc:
            raise ValueError(f"path: {path} is not valid JSON: {exc}") from exc
