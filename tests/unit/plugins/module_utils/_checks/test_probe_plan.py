# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""_checks/probe_plan: which access probes the checklist derives from a policy."""

from ansible_collections.zotops.registry.plugins.module_utils._policy.engine import LoadedPolicy
from ansible_collections.zotops.registry.plugins.module_utils._checks.probe_plan import (
    ANONYMOUS,
    governed_name,
    plan,
    probe_repositories,
)
from tests.support.policies import role_default_access_control

POLICY = role_default_access_control({"artifact-workloads": ["ci"], "artifact-admins": ["admin"]})
POLICY["repositories"]["docker.io/**"] = {"anonymousPolicy": ["read"], "defaultPolicy": ["read"]}
IDENTITIES = {
    "anonymous": ANONYMOUS,
    "bystander": {"user": "outsider", "groups": []},
    "pusher": {"user": "ci", "groups": []},
    "admin": {"user": "admin", "groups": []},
}


def test_each_glob_gets_a_name_it_governs_and_one_beside_it():
    # "**" matches every name: nothing lies beside it.
    names, unprobed = probe_repositories(LoadedPolicy(POLICY))
    assert dict(names) == {
        "zotops-check/probe": 'governed by glob "**"',
        "docker.io/zotops-check/probe": 'governed by glob "docker.io/**"',
        "docker.io-outside/zotops-check/probe": 'beside glob "docker.io/**", which does not match it',
    }
    assert unprobed == []


def test_a_glob_shadowed_by_a_longer_one_gets_no_name():
    policy = LoadedPolicy({"repositories": {"a/*": {}, "a/zotops-check": {}}})
    assert governed_name("a/*", policy) is None


def test_only_actions_whose_answer_differs_are_probed_for_every_identity():
    result = plan(POLICY, IDENTITIES)
    probed = {(p["repository"], p["action"]) for p in result["probes"]}
    # Everyone reads everywhere: no read probe. CI creates under ** only.
    assert ("zotops-check/probe", "read") not in probed
    assert ("zotops-check/probe", "create") in probed
    assert ("docker.io/zotops-check/probe", "create") in probed
    pusher_create = next(
        p
        for p in result["probes"]
        if p["identity"] == "pusher"
        and p["repository"] == "docker.io/zotops-check/probe"
        and p["action"] == "create"
    )
    assert pusher_create["decision"]["allowed"] is False  # the cache namespace is read-only
    assert {p["identity"] for p in result["probes"]} == set(IDENTITIES)
    assert result["planned"] == len(result["probes"]) == 4 * len(probed)


def test_the_probe_count_is_bounded():
    result = plan(POLICY, IDENTITIES, limit=5)
    assert len(result["probes"]) == 5 and result["planned"] > 5


CONDITIONAL_CREATE = {
    "repositories": {
        "**": {
            "anonymousPolicy": ["read"],
            "policies": [
                {
                    "users": ["ci"],
                    "actions": ["create"],
                    "conditions": [{"expression": 'req.tag.startsWith("dev-")'}],
                }
            ],
        }
    }
}
PUSHER_AND_ANONYMOUS = {"anonymous": ANONYMOUS, "pusher": {"user": "ci", "groups": []}}


def test_conditional_answers_are_not_probed():
    result = plan(CONDITIONAL_CREATE, PUSHER_AND_ANONYMOUS)
    assert ("zotops-check/probe", "create") in [tuple(pair) for pair in result["conditional"]]
    assert all(p["action"] != "create" for p in result["probes"])


def test_without_the_cel_library_conditional_pairs_are_probed_for_every_identity(monkeypatch):
    from ansible_collections.zotops.registry.plugins.module_utils._policy import engine

    monkeypatch.setattr(engine, "cel_available", lambda: False)
    result = plan(CONDITIONAL_CREATE, PUSHER_AND_ANONYMOUS, request={"client_ip": "127.0.0.1"})
    creates = [p for p in result["probes"] if p["action"] == "create"]
    assert {p["identity"] for p in creates} >= {"anonymous", "pusher"}
    pusher = next(p for p in creates if p["identity"] == "pusher")
    assert pusher["decision"]["queries"] == [
        {
            "who": PUSHER_AND_ANONYMOUS["pusher"],
            "repository": pusher["repository"],
            "action": "create",
            "request": {"client_ip": "127.0.0.1"},
        }
    ]
