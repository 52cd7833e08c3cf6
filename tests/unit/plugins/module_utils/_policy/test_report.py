# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""zot_access_policy's result: any policy zot loads is audited, errors or not."""

from ansible_collections.zotops.registry.plugins.module_utils._policy.report import (
    access_control_from_config,
    build_report,
)

QUERY = [{"who": {"user": "ci"}, "repo": "apps/web", "action": "create"}]


def hazardous_policy():
    # "CI" is loaded as "ci", so the entry naming "CI" never matches: an error, not a refusal.
    return {
        "groups": {"CI": {"users": ["ci"]}},
        "repositories": {
            "apps/**": {
                "policies": [{"groups": ["CI"], "actions": ["read", "create"]}],
                "defaultPolicy": ["read"],
                "anonymousPolicy": ["read"],
            }
        },
    }


def test_a_policy_zot_loads_is_audited_despite_errors():
    report = build_report(hazardous_policy(), auth_methods=["htpasswd"], queries=QUERY)
    assert report["failed"] and report["refused"] == []
    assert report["errors"] and all(e.startswith("accessControl.") for e in report["errors"])
    assert any('groups["CI"]' in e for e in report["errors"])
    # What zot does with it: the group entry never applies.
    [decision] = report["decisions"]
    assert decision["allowed"] is False and decision["groups"] == ["ci"]
    rows = {(r["pattern"], r["who"]): r for r in report["summary"]}
    assert rows[("apps/**", "user ci")]["denied"] == ["create", "update", "delete"]


def test_warnings_are_kept_apart_from_errors():
    policy = {"repositories": {"Apps/**": {"defaultPolicy": ["read"]}}}
    report = build_report(policy, auth_methods=["htpasswd"])
    assert report["errors"] == [] and not report["failed"]
    assert report["warnings"][0].startswith('accessControl.repositories["Apps/**"]: zot lowercases globs')
    assert report["summary"]


def test_nothing_is_decided_for_a_config_zot_refuses():
    policy = hazardous_policy()
    policy["repositories"]["apps/**"]["policies"][0]["conditions"] = [{"expression": "req.tag =="}]
    report = build_report(policy, auth_methods=["htpasswd"], queries=QUERY)
    assert report["refused"] == [e for e in report["errors"] if "zot refuses to start" in e]
    assert report["refused"][0].startswith('accessControl.repositories["apps/**"].policies[0].conditions[0]')
    assert report["decisions"] == [] and report["summary"] == []
    bearer = build_report(hazardous_policy(), auth_methods=["bearer"], queries=QUERY)
    assert bearer["refused"] and bearer["decisions"] == []


def test_config_field_names_are_read_as_zot_reads_them():
    config = {"HTTP": {"accesscontrol": {"repositories": {}}}}
    assert access_control_from_config(config) == {"repositories": {}}
