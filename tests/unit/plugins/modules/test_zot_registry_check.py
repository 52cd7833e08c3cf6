# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""zot_registry_check module: option handling and the JSON result Ansible receives."""

import json

import pytest
import yaml
from tests.support.module_args import patch_module_args

from ansible_collections.zotops.registry.plugins.module_utils._checks.checklist import (
    CHECK_NAMES,
    check_result,
)
from ansible_collections.zotops.registry.plugins.modules import zot_registry_check

SECRET = "pusher-secret-never-shown"
ADMIN_SECRET = "admin-secret-never-shown"
POLICY = {"repositories": {"**": {"anonymousPolicy": ["read"]}}}


@pytest.fixture
def checklist(monkeypatch):
    """Replaces the checklist; records its options and returns the canned outcome."""
    calls = {"checks": [check_result("health", "/livez", True, "HTTP 200", "HTTP 200")]}
    calls["leftovers"] = []

    def fake_run(options, check_mode=False):
        calls["options"], calls["check_mode"] = options, check_mode
        probes = {"planned": 0, "run": 0, "limit": 120, "unprobed_globs": [], "conditional": []}
        return {"checks": calls["checks"], "leftovers": calls["leftovers"], "probes": probes}

    monkeypatch.setattr(zot_registry_check, "run_checklist", fake_run)
    return calls


def run_module(capsys, **args):
    args = dict({"url": "http://127.0.0.1:5000", "access_control": POLICY}, **args)
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        zot_registry_check.main()
    out = capsys.readouterr().out
    return exit_info.value.code, json.loads(out), out


def test_all_passed(capsys, checklist):
    code, result, _unused = run_module(capsys, pusher={"username": "ci", "password": SECRET}, admin=None)
    assert code == 0
    assert result["changed"] is False
    assert result["msg"] == "1 checks passed"
    assert result["failed_checks"] == [] and result["leftovers"] == []
    assert checklist["options"]["pusher"] == {"username": "ci", "password": SECRET, "groups": []}
    assert checklist["check_mode"] is False


def test_username_and_password_stand_for_the_admin(capsys, checklist):
    run_module(capsys, username="admin", password=ADMIN_SECRET)
    assert checklist["options"]["admin"] == {
        "username": "admin",
        "password": ADMIN_SECRET,
        "groups": [],
    }


def test_a_failed_check_fails_the_task_and_names_it(capsys, checklist, monkeypatch):
    warnings = []
    monkeypatch.setattr(zot_registry_check.AnsibleModule, "warn", lambda _, text: warnings.append(text))
    checklist["checks"].append(
        check_result("pusher_overwrite", "r:t", False, "refused with HTTP 403", "allowed")
    )
    checklist["leftovers"] = [{"image": "r@sha256:x", "error": "HTTP 403"}]
    code, result, out = run_module(
        capsys,
        pusher={"username": "ci", "password": SECRET},
        admin={"username": "admin", "password": ADMIN_SECRET},
    )
    assert code == 1
    assert result["msg"] == "registry checks failed: pusher_overwrite (r:t)"
    assert result["failed_checks"] == [{"name": "pusher_overwrite", "target": "r:t"}]
    assert result["changed"] is True  # something was left behind
    assert warnings == ["could not delete throwaway image r@sha256:x: HTTP 403"]
    assert SECRET not in out and ADMIN_SECRET not in out


def test_unknown_check_name_is_refused(capsys, checklist):
    code, result, _unused = run_module(capsys, checks=["health", "pusher_overwrites"])
    assert code == 1
    assert "pusher_overwrites" in result["msg"]
    assert "options" not in checklist


def test_documented_check_names_are_the_checklist_names():
    options = yaml.safe_load(zot_registry_check.DOCUMENTATION)["options"]
    assert tuple(options["checks"]["choices"]) == CHECK_NAMES


def test_every_check_is_described_in_the_documentation():
    description = " ".join(yaml.safe_load(zot_registry_check.DOCUMENTATION)["description"])
    for name in CHECK_NAMES:
        assert "C(%s)" % name in description, name
