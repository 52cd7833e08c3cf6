# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""CEL conditions: evaluated as zot v2.1.20 does (pkg/api/authz.go), refused as zot refuses them."""

import pytest

from ansible_collections.zotops.registry.plugins.module_utils._policy import cel
from ansible_collections.zotops.registry.plugins.module_utils._policy.engine import (
    LoadedPolicy,
    decide,
    evaluate_queries,
    validate_access_control,
)


def conditional_policy(*expressions, admin=None):
    policy = {
        "repositories": {
            "**": {
                "policies": [
                    {"users": ["u"], "actions": ["read"]},
                    {
                        "users": ["ci"],
                        "actions": ["read", "create", "update"],
                        "conditions": [{"expression": e, "message": "no"} for e in expressions],
                    },
                ],
                "defaultPolicy": ["read"],
            }
        }
    }
    if admin:
        policy["adminPolicy"] = admin
    return policy


def test_without_the_attributes_a_decision_is_conditional():
    policy = conditional_policy('req.tag.startsWith("v")')
    update = decide(policy, {"user": "ci"}, "x", "update")
    assert update["conditional"] and not update["allowed"] and update["status"] == 403
    assert update["conditions"] == ['req.tag.startsWith("v")']
    # An unconditional grant (defaultPolicy) makes the answer certain.
    read = decide(policy, {"user": "ci"}, "x", "read")
    assert read["allowed"] and not read["conditional"] and read["granted_by"] == "defaultPolicy"


def test_conditions_are_evaluated_with_the_attributes_given():
    policy = conditional_policy('req.tag.startsWith("v")', 'req.client.ip == "10.0.0.1"')
    request = {"tag": "v1", "client_ip": "10.0.0.1"}
    granted = decide(policy, {"user": "ci"}, "x", "update", request)
    assert granted["allowed"] and granted["granted_by"] == "user"
    assert granted["conditions"] == ['req.tag.startsWith("v")', 'req.client.ip == "10.0.0.1"']
    denied = decide(policy, {"user": "ci"}, "x", "update", {"tag": "latest", "client_ip": "10.0.0.1"})
    assert not denied["allowed"] and not denied["conditional"] and denied["status"] == 403
    # One false condition denies even when another is undecided.
    assert not decide(policy, {"user": "ci"}, "x", "update", {"tag": "latest"})["conditional"]
    assert decide(policy, {"user": "ci"}, "x", "update", {"tag": "v1"})["conditional"]


def test_attributes_every_decision_knows():
    # action, repository, user and auth come from the question itself.
    policy = conditional_policy('req.action != "update" && req.repository.startsWith("apps/")')
    assert decide(policy, {"user": "ci"}, "apps/x", "create")["allowed"]
    assert not decide(policy, {"user": "ci"}, "apps/x", "update")["conditional"]
    assert not decide(policy, {"user": "ci"}, "other", "create")["allowed"]
    # An || decided by its known side needs no other attribute.
    either = conditional_policy('req.action == "create" || req.tag == "x"')
    assert decide(either, {"user": "ci"}, "a", "create")["allowed"]


def test_digest_references_and_time():
    policy = conditional_policy(
        'req.referenceType == "digest" && req.time < timestamp("2030-01-01T00:00:00Z")'
    )
    digest = "sha256:" + "0" * 64
    assert decide(
        policy, {"user": "ci"}, "x", "create", {"reference": digest, "time": "2029-12-31T23:00:00Z"}
    )["allowed"]
    assert not decide(
        policy, {"user": "ci"}, "x", "create", {"reference": digest, "time": "2030-01-02T00:00:00Z"}
    )["allowed"]
    assert not decide(
        policy, {"user": "ci"}, "x", "create", {"reference": "v1", "time": "2029-01-01T00:00:00Z"}
    )["allowed"]


def test_admin_policy_conditions():
    admin = {"users": ["root"], "actions": ["delete"], "conditions": [{"expression": "req.tls.enabled"}]}
    policy = conditional_policy("true", admin=admin)
    assert decide(policy, {"user": "root"}, "x", "delete")["conditional"]
    assert (
        decide(policy, {"user": "root"}, "x", "delete", {"tls_version": "1.3"})["granted_by"] == "adminPolicy"
    )
    assert not decide(policy, {"user": "root"}, "x", "delete", {"tls": False})["allowed"]


def test_non_bool_or_failing_expression_never_grants():
    # zot: an evaluation error or a non-bool result makes the entry not grant.
    everything = {
        "reference": "v1",
        "method": "PUT",
        "user_agent": "x",
        "client_ip": "127.0.0.1",
        "tls": False,
        "time": "2026-01-01T00:00:00Z",
        "claims": {},
    }
    for expression in ("req.tag", "req.nothing == 1"):
        decision = decide(conditional_policy(expression), {"user": "ci"}, "x", "update", everything)
        assert not decision["allowed"] and not decision["conditional"]


def test_queries_carry_request_attributes():
    rows = evaluate_queries(
        conditional_policy('req.method == "PUT"'),
        [{"who": {"user": "ci"}, "repo": "x", "action": "update", "request": {"method": "put"}}],
    )
    assert rows[0]["allowed"] and rows[0]["request"] == {"method": "put"}
    with pytest.raises(ValueError, match=r"queries\[0\].request: unknown key\(s\) ip"):
        evaluate_queries(
            conditional_policy("true"), [{"who": {"user": "ci"}, "repo": "x", "request": {"ip": "1"}}]
        )
    with pytest.raises(ValueError, match="request.time: cannot parse"):
        decide(conditional_policy("true"), {"user": "ci"}, "x", "read", {"time": "noon"})


@pytest.mark.parametrize(
    ("expression", "why"),
    [
        ("req.tag ==", "Syntax error"),
        ('request.tag == "v1"', "undeclared reference to 'request.tag'"),
        ('1 + "a"', "no matching overload"),
        ("nosuch(req.tag)", "undeclared reference to 'nosuch'"),
    ],
)
def test_expressions_zot_refuses_are_errors_naming_their_path(expression, why):
    policy = conditional_policy("true", expression)
    errors = validate_access_control(policy)[0]
    assert len(errors) == 1
    assert errors[0].startswith(
        'accessControl.repositories["**"].policies[1].conditions[1]: zot refuses to start'
    )
    assert why in errors[0]


def test_admin_policy_conditions_are_compiled():
    admin = {"users": ["root"], "actions": ["read"], "conditions": [{"expression": "req.tls.enabled &&"}]}
    errors = validate_access_control(conditional_policy("true", admin=admin))[0]
    assert errors and errors[0].startswith("accessControl.adminPolicy.conditions[0]: zot refuses to start")


def test_expressions_zot_accepts():
    for expression in (
        'req.tag.lowerAscii() == "v1"',
        'sets.contains(req.user.groups, ["ci"])',
        'req.?tag.orValue("") != ""',
        "req.time.getHours() < 18 && req.client.forwardedFor.size() == 0",
        'base64.encode(b"a") == "YQ=="',
        "req.tag",  # dyn: zot compiles it (and the entry never grants at run time)
    ):
        assert validate_access_control(conditional_policy(expression))[0] == [], expression


def test_a_typed_non_bool_result_is_an_error():
    errors = validate_access_control(conditional_policy("1 + 1"))[0]
    assert errors == [
        'accessControl.repositories["**"].policies[1].conditions[0]: the CEL expression yields int, '
        "not bool: zot starts, but its evaluation always fails, so this entry never grants"
    ]


def test_releases_without_conditions_grant_unconditionally():
    errors = validate_access_control(conditional_policy("true"), zot_version="v2.1.16")[0]
    assert any("v2.1.16 ignores conditions" in e for e in errors)
    assert not validate_access_control(conditional_policy("true"), zot_version="v2.1.17")[0]


def test_missing_cel_library_is_a_clear_error(monkeypatch):
    def unavailable():
        raise cel.CelUnavailable(f"CEL conditions need the Python package {cel.REQUIREMENT}")

    monkeypatch.setattr(cel, "_cel", unavailable)
    cel.compile_error.cache_clear()
    cel._environment.cache_clear()
    cel._program.cache_clear()
    try:
        policy = conditional_policy("req.tag == 'x'")
        errors = validate_access_control(policy)[0]
        assert errors == [
            'accessControl.repositories["**"].policies[1].conditions[0]: cannot be checked: CEL '
            "conditions need the Python package cel-expr-python==0.1.3"
        ]
        # Decisions still come, as conditional.
        assert decide(policy, {"user": "ci"}, "x", "update", {"tag": "x"})["conditional"]
    finally:
        cel.compile_error.cache_clear()
        cel._environment.cache_clear()
        cel._program.cache_clear()


def test_attributes_may_be_str_subclasses():
    # Ansible passes module arguments as tagged str subclasses, which the binding refuses.
    class Tagged(str):
        pass

    policy = conditional_policy(Tagged('req.tag == "v1"'))
    assert decide(policy, {"user": "ci"}, "x", "update", {"tag": Tagged("v1")})["allowed"]


def test_catalog_listing_ignores_conditions_and_admin_actions():
    # zot filters /v2/_catalog without the request's repository and reference: a grant
    # with conditions lists the repository, and adminPolicy users see every repository.
    policy = conditional_policy('req.tag == "never"', admin={"users": ["root"], "actions": []})
    policy["repositories"]["private/**"] = {"policies": [{"users": ["u"], "actions": ["read"]}]}
    never = {"users": ["ci"], "actions": ["read"], "conditions": [{"expression": 'req.tag == "never"'}]}
    policy["repositories"]["c/**"] = {"policies": [never]}
    policy = LoadedPolicy(policy)
    assert not policy.decide({"user": "ci"}, "c/x", "read", {"tag": "v1"})["allowed"]
    assert policy.catalog_lists({"user": "ci"}, "c/x")["allowed"] is True
    assert policy.catalog_lists({"user": "ci"}, "private/x")["allowed"] is False
    assert policy.catalog_lists({"user": "u"}, "private/x")["allowed"] is True
    assert policy.catalog_lists({"user": "root"}, "private/x")["allowed"] is True
    assert policy.catalog_lists({"anonymous": True}, "x")["status"] == 401
