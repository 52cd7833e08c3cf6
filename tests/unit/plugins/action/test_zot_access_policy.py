# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Run the zot_access_policy action plugin through ansible-playbook on localhost and assert the
JSON result it returns (the playbook writes the registered result to a file)."""

import json

from tests.support.playbook import run_module

POLICY = {
    "groups": {"ci": {"users": ["ci"]}},
    "repositories": {
        "apps/**": {
            "policies": [{"groups": ["ci"], "actions": ["read", "create"]}],
            "defaultPolicy": ["read"],
            "anonymousPolicy": ["read"],
        }
    },
    "adminPolicy": {
        "users": ["admin"],
        "actions": ["read", "create", "update", "delete"],
    },
}


def test_valid_policy_with_queries_and_requirements(tmp_path):
    result, _unused = run_module(
        tmp_path,
        "zot_access_policy",
        {
            "access_control": POLICY,
            "zot_version": "v2.1.20",
            "auth_methods": ["htpasswd"],
            "queries": [{"who": {"user": "ci"}, "repo": "apps/web", "action": "update"}],
            "require": [
                {
                    "who": {"user": "ci"},
                    "repos": ["apps/web"],
                    "can": ["read", "create"],
                    "cannot": ["update", "delete"],
                }
            ],
        },
        check=True,
    )
    assert result["failed"] is False and result["changed"] is False
    assert (
        result["errors"] == []
        and result["violations"] == []
        and result["policy_warnings"] == []
        and not result.get("warnings")  # ansible-core < 2.19 returns an empty list
    )
    [decision] = result["decisions"]
    assert decision["allowed"] is False and decision["status"] == 403
    assert decision["matched_pattern"] == "apps/**" and decision["granted_by"] == "none"
    rows = {(r["pattern"], r["who"]): r for r in result["summary"]}
    assert rows[("apps/**", "user ci")]["allowed"] == ["read", "create"]
    assert rows[(None, "user admin")]["allowed"] == [
        "read",
        "create",
        "update",
        "delete",
    ]


def test_all_errors_and_violations_are_listed(tmp_path):
    bad = {"repositories": {"apps/**": {"defaultPolicy": ["read", "push"]}, "/x": {}}}
    result, _unused = run_module(
        tmp_path, "zot_access_policy", {"access_control": bad, "auth_methods": ["htpasswd"]}
    )
    assert result["failed"] is True
    assert len(result["errors"]) == 2
    assert all(e in result["msg"] for e in result["errors"])

    result, _unused = run_module(
        tmp_path,
        "zot_access_policy",
        {
            "access_control": POLICY,
            "require": [
                {
                    "who": {"anonymous": True},
                    "repos": ["apps/a", "b"],
                    "can": ["create"],
                }
            ],
        },
    )
    assert result["failed"] is True
    assert len(result["violations"]) == 2
    assert all(v in result["msg"] for v in result["violations"])


def test_fail_on_warnings(tmp_path):
    policy = {"repositories": {"**": {"anonymousPolicy": ["read", "create"]}}}
    lenient, _unused = run_module(tmp_path, "zot_access_policy", {"access_control": policy})
    assert lenient["failed"] is False and len(lenient["policy_warnings"]) == 1
    strict, _unused = run_module(
        tmp_path, "zot_access_policy", {"access_control": policy, "fail_on_warnings": True}
    )
    assert strict["failed"] is True and lenient["policy_warnings"][0] in strict["msg"]


def test_config_on_the_managed_host_is_read_by_path(tmp_path):
    config = {
        "storage": {"rootDirectory": "/var/lib/zot"},
        "http": {"address": "127.0.0.1", "port": "5000", "accessControl": POLICY},
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    result, _unused = run_module(tmp_path, "zot_access_policy", {"path": str(path)})
    # No http.auth: the auth methods derived from the config are empty.
    assert result["failed"] is True
    assert result["errors"][0].startswith("accessControl: grants authenticated access")

    config["http"]["auth"] = {"htpasswd": {"path": "/etc/zot/htpasswd"}}
    config["extensions"] = {"metrics": {}}
    path.write_text(json.dumps(config))
    result, _unused = run_module(tmp_path, "zot_access_policy", {"path": str(path)})
    assert result["errors"] == []
    assert result["warnings"][0].startswith("accessControl.metrics: the metrics extension")


def test_config_without_access_control_is_refused(tmp_path):
    result, _unused = run_module(tmp_path, "zot_access_policy", {"config": {"http": {"port": "5000"}}})
    assert result["failed"] is True
    assert result["msg"].startswith("config.http.accessControl: missing")
