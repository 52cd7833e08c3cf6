# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""The `zot_access_policy` result: validate, answer queries, assert requirements, summarise.

Kept apart from the action plugin so the whole result can be unit-tested without Ansible.
"""

from __future__ import annotations

from ansible_collections.zotops.registry.plugins.module_utils._policy.engine import (
    audit_access_control,
    auth_methods_from_config,
    check_requirements,
    evaluate_queries,
    summarize,
)
from ansible_collections.zotops.registry.plugins.module_utils._policy.intent import intent_violations


def access_control_from_config(config: dict) -> dict:
    """http.accessControl of a whole zot config; a config without one is refused, because
    zot then lets every authenticated caller do everything."""
    if not isinstance(config, dict):
        raise ValueError("config: must be a dict (a parsed zot config.json)")
    access_control = _field(_field(config, "http") or {}, "accessControl")
    if access_control is None:
        raise ValueError(
            "config.http.accessControl: missing; without it zot lets every authenticated "
            "caller read, push, overwrite and delete everything"
        )
    return access_control


def _field(value: dict, name: str):
    # zot (viper) reads field names case-insensitively: `accesscontrol` is `accessControl`.
    if name in value:
        return value[name]
    return next((item for key, item in value.items() if str(key).lower() == name.lower()), None)


def build_report(
    access_control: dict,
    *,
    config: dict | None = None,
    auth_methods: list[str] | None = None,
    zot_version: str | None = None,
    queries: list[dict] | None = None,
    require: list[dict] | None = None,
    intent: dict | None = None,
    fail_on_warnings: bool = False,
) -> dict:
    """The plugin's result dict (without `changed`): errors, refused, warnings (also as
    policy_warnings), decisions, violations, summary, failed and msg.

    Decisions, violations and the summary are computed for every policy zot loads, errors
    or not, so that a deployed config can be audited; only when zot refuses the config
    (or ignores accessControl) they stay empty, and `refused` says why."""
    methods = set(auth_methods) if auth_methods is not None else None
    metrics_enabled = None
    if config is not None:
        if methods is None:
            methods = auth_methods_from_config(config)
        extensions = config.get("extensions") or {}
        # zot turns a present metrics block on unless it says enable: false.
        metrics_enabled = "metrics" in extensions and bool((extensions["metrics"] or {}).get("enable", True))
    audit = audit_access_control(
        access_control,
        auth_methods=methods,
        zot_version=zot_version,
        metrics_enabled=metrics_enabled,
    )
    report = {
        "errors": audit["errors"],
        "refused": audit["refused"],
        "warnings": audit["warnings"],
        # Ansible consumes `warnings` (it prints them and drops an empty list from the
        # registered result), so the same list is also returned under a key of our own.
        "policy_warnings": audit["warnings"],
        "decisions": [],
        "violations": [],
        "summary": [],
    }
    if not audit["refused"]:
        try:
            report["decisions"] = evaluate_queries(access_control, queries or [])
            report["violations"] = intent_violations(access_control, intent) if intent else []
            report["violations"] += check_requirements(access_control, require or [])
        except ValueError as exc:
            report["errors"] = report["errors"] + [str(exc)]
        else:
            report["summary"] = summarize(access_control)

    problems = report["errors"] + report["violations"]
    if fail_on_warnings:
        problems += report["warnings"]
    report["failed"] = bool(problems)
    if problems:
        report["msg"] = f"access policy check failed ({len(problems)}):\n" + "\n".join(problems)
    else:
        report["msg"] = (
            f"access policy valid ({len(report['warnings'])} warning(s), "
            f"{len(require or [])} requirement(s) met)"
        )
    return report
