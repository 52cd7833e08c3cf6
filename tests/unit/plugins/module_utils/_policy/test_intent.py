# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""What the verification identities must keep, asserted on the policy the role renders."""

import copy

import pytest

from harness.role_defaults import zot_role_default

from ansible_collections.zotops.registry.plugins.module_utils._policy.intent import (
    intent_requirements,
    intent_violations,
    who_of,
)
from ansible_collections.zotops.registry.plugins.module_utils._policy.tag_rules import render_tag_rules
from ansible_collections.zotops.registry.plugins.plugin_utils._zot.config import effective_access_control

USERS = [
    {"name": "ci", "groups": ["artifact-workloads"]},
    {"name": "admin", "groups": ["artifact-admins"]},
    {"name": "ci-bot", "machine": True, "groups": ["artifact-workloads"]},
    {"name": "zotops-check-bystander", "machine": True},
]
INTENT = {
    "pusher": {"username": "ci", "groups": []},
    "admin": {"username": "admin", "groups": []},
    "bystander": {"username": "zotops-check-bystander", "groups": []},
    "labels": {"pusher": "zot_verify_pusher", "admin": "zot_verify_admin"},
    "local_users": [user["name"] for user in USERS],
    "request": {"client_ip": "127.0.0.1"},
    "declared": zot_role_default("zot_access_control"),
}


def rendered(users=USERS, declared=None):
    return effective_access_control(declared or zot_role_default("zot_access_control"), users)


def test_the_role_default_policy_keeps_every_identitys_rights():
    assert intent_violations(rendered(), INTENT) == []


def test_a_misspelt_groups_key_takes_cis_push_away_in_one_line():
    # `group:` instead of `groups:`: ci is in no group, ci-bot still fills the CI group.
    users = [{"name": "ci", "group": ["artifact-workloads"]}] + USERS[1:]
    assert intent_violations(rendered(users), INTENT) == [
        'zot_verify_pusher (ci, CI pushes new tags): user "ci" must be able to create '
        '"zotops/registry-check", but zot answers 403 (glob: **)'
    ]


def test_groups_the_account_declares_cannot_hide_a_local_user_without_its_group():
    users = [{"name": "ci"}] + USERS[1:]
    intent = dict(INTENT, pusher={"username": "ci", "groups": ["artifact-workloads"]})
    assert len(intent_violations(rendered(users), intent)) == 1
    # An LDAP or OpenID user has the groups its IdP sends, which only the account states.
    assert who_of(intent["pusher"], local_users=["admin"], oidc=True) == {
        "user": "ci",
        "groups": ["artifact-workloads"],
        "oidc": True,
    }


def test_an_admin_policy_without_delete_is_refused_naming_the_admin():
    declared = copy.deepcopy(zot_role_default("zot_access_control"))
    declared["adminPolicy"]["actions"] = ["read", "create", "update"]
    violations = intent_violations(rendered(declared=declared), INTENT)
    assert len(violations) == 1 and violations[0].startswith(
        "zot_verify_admin (admin, the admin's break-glass"
    )
    assert "must be able to delete" in violations[0]


def test_a_policy_letting_ci_move_tags_or_the_bystander_write_is_refused():
    declared = copy.deepcopy(zot_role_default("zot_access_control"))
    declared["repositories"]["**"]["policies"][0]["actions"] += ["update"]
    declared["repositories"]["**"]["defaultPolicy"] += ["create"]
    violations = intent_violations(rendered(declared=declared), INTENT)
    assert [line.split(":")[0] for line in violations] == [
        "zot_verify_pusher (ci, a write-once tag must stay where it is)",
        "bystander (zotops-check-bystander, an identity in no group must not write)",
    ]


def test_anonymous_must_read_where_the_declared_policy_says_so():
    policy = rendered()
    del policy["repositories"]["**"]["anonymousPolicy"]
    violations = intent_violations(policy, INTENT)
    assert len(violations) == 1 and violations[0].startswith(
        "the declared policy lets anonymous callers read it: anonymous must be able to read"
    )


@pytest.mark.parametrize(
    "rules, asks_about_a_write_once_tag",
    [
        ([{"repositories": "**", "movable": ["latest", "dev-*"], "locked": ["v*"]}], True),
        ([{"repositories": "**", "movable": ["*"]}], False),  # the operator lets CI move every tag
    ],
)
def test_tag_rules_decide_which_tag_ci_must_not_move(rules, asks_about_a_write_once_tag):
    policy = render_tag_rules(rendered(), rules, ["127.0.0.0/8"])
    intent = dict(INTENT, tag_rules=rules)
    assert intent_violations(policy, intent) == []
    labels = [label for label, _requirement in intent_requirements(policy, intent)]
    assert ("zot_verify_pusher (ci, a write-once tag must stay where it is)" in labels) == (
        asks_about_a_write_once_tag
    )


def test_ci_pushing_only_from_other_networks_than_the_checklists_is_refused():
    policy = render_tag_rules(rendered(), [], ["10.0.0.0/8"])
    violations = intent_violations(policy, INTENT)
    assert len(violations) == 1 and "must be able to create" in violations[0]


def test_identities_without_a_user_name_are_left_out():
    intent = dict(INTENT, pusher={"username": ""}, admin={}, bystander=None, declared=None)
    assert intent_requirements(rendered(), intent) == []
