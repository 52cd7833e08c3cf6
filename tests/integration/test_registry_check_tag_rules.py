# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The checklist's tag-rule probes (zot_registry_check pusher_tag_rules) against real zot: they
pass on the registry the rules were rendered into and fail on one whose config dropped the
condition (CI can move every tag). The probes run on a host with the CEL library and on one
without it (Debian's python3), where the controller decides the conditions' answers."""

import copy
import json
import shutil

import pytest

from ansible_collections.zotops.registry.plugins.module_utils._policy.tag_rules import render_tag_rules
from tests.integration.test_registry_check import POLICY, USERS, check_args, registry_config
from tests.support.playbook import run_module

pytestmark = pytest.mark.integration

RULES = [{"repositories": "**", "movable": ["latest", "dev-*"], "locked": ["v*"]}]
RENDERED = render_tag_rules(POLICY, RULES, ["127.0.0.0/8"])
# A managed host's Python without cel-expr-python, as on a fresh Debian host.
HOST_WITHOUT_CEL = "/usr/bin/python3"
HOSTS = {"host with CEL": None, "host without CEL": HOST_WITHOUT_CEL}


@pytest.fixture(name="start")
def fixture_start(tmp_path, start_registry, htpasswd_line):
    htpasswd = "".join(htpasswd_line(user, password) + "\n" for user, password in USERS.items())
    return lambda access_control: start_registry(
        tmp_path, registry_config(access_control), {"htpasswd": htpasswd}
    )


def tag_rule_checks(result):
    return sorted(
        (check["target"], check["status"])
        for check in result["checks"]
        if check["name"] == "pusher_tag_rules"
    )


def run_check(tmp_path, registry, host_python):
    args = check_args(registry.url, access_control=RENDERED, tag_rules=RULES, client_ip="127.0.0.1")
    if host_python is None:
        result, _run = run_module(tmp_path, "zot_registry_check", args)
    else:
        if not shutil.which(host_python):
            pytest.fail("%s is missing: scripts/setup.sh installs Debian's python3" % host_python)
        host = {"ansible_python_interpreter": host_python}
        result, _run = run_module(tmp_path, "zot_registry_check", args, extra_vars=host)
    assert "pending" not in {check["status"] for check in result["checks"]}
    return result


@pytest.mark.parametrize("host_python", HOSTS.values(), ids=HOSTS.keys())
def test_tag_rules_are_probed_on_both_sides(tmp_path, start, host_python):
    registry = start(RENDERED)
    result = run_check(tmp_path, registry, host_python)
    assert not result.get("failed"), json.dumps(result["checks"], indent=1)
    assert result["leftovers"] == []
    targets = [target for target, status in tag_rule_checks(result) if status == "passed"]
    assert len(targets) == 6, targets  # push, move, digest-PUT move of a movable and a locked tag
    assert any(target.startswith("move ") and ":latest (movable)" in target for target in targets)
    assert any(
        target.startswith("move ") and "-v1" not in target and "(write-once)" in target for target in targets
    )
    access = [check for check in result["checks"] if check["name"] == "pusher_access"]
    assert "passed" in {check["status"] for check in access}
    # A host without CEL probes every pair the conditions decide; the pairs whose answer
    # depends on the tag (which an access probe does not fix) come back skipped, saying so.
    unfixed = [check for check in access if check["status"] != "passed"]
    assert all(
        check["status"] == "skipped" and "request attributes the probe does not fix" in check["observed"]
        for check in unfixed
    ), unfixed
    assert not unfixed or host_python == HOST_WITHOUT_CEL


def test_a_registry_without_the_condition_fails_the_write_once_probes(tmp_path, start):
    drifted = copy.deepcopy(RENDERED)
    for policy in drifted["repositories"]["**"]["policies"]:
        if policy["actions"] == ["update"]:
            del policy["conditions"]  # the pusher can move v* (and every other tag)
    registry = start(drifted)
    result = run_check(tmp_path, registry, HOST_WITHOUT_CEL)
    assert result["failed"] is True
    failed = [target for target, status in tag_rule_checks(result) if status == "failed"]
    assert sorted(target.split(" ")[0] for target in failed) == ["digest-PUT", "move"], failed
    assert all("(write-once)" in target for target in failed)
    assert result["leftovers"] == []
