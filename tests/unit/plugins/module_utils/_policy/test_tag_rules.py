# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""zot_tag_rules: tag rules and CI networks rendered as CEL conditions, decided by the engine."""

import ipaddress
import re

import pytest

from ansible_collections.zotops.registry.plugins.module_utils._policy.engine import (
    LoadedPolicy,
    check_requirements,
    summarize,
    validate_access_control,
)
from ansible_collections.zotops.registry.plugins.module_utils._policy.glob_match import glob_matches
from ansible_collections.zotops.registry.plugins.module_utils._policy.tag_rules import (
    TagRuleError,
    network_condition,
    probe_tags,
    render_tag_rules,
    repository_glob_regex,
    retention_tags,
)
from harness.role_defaults import zot_role_default

CI = {"groups": ["artifact-workloads"]}
ADMIN = {"groups": ["artifact-admins"]}
RULES = [{"repositories": "**", "movable": ["latest", "dev-*"], "locked": ["v*"]}]


@pytest.fixture(name="policy")
def fixture_policy():
    return LoadedPolicy(render_tag_rules(zot_role_default("zot_access_control"), RULES))


def allowed(policy, who, action, reference, repo="team/app", **request):
    decision = policy.decide(who, repo, action, dict(request, reference=reference))
    assert not decision["conditional"], decision
    return decision["allowed"]


def test_ci_moves_movable_tags_only(policy):
    assert allowed(policy, CI, "update", "latest")
    assert allowed(policy, CI, "update", "dev-42")
    assert not allowed(policy, CI, "update", "v1.2.3")
    assert not allowed(policy, CI, "update", "release-1")  # every other tag is write-once
    assert allowed(policy, CI, "create", "v1.2.3")  # pushing a new tag stays open
    assert not allowed(policy, CI, "delete", "latest")


def test_digest_put_is_decided_by_its_tags(policy):
    # zot checks a digest PUT with ?tag= as update on each existing tag and on the digest.
    assert allowed(policy, CI, "update", "sha256:" + "a" * 64)
    assert not allowed(policy, CI, "update", "v1.2.3")


def test_locked_tags_are_write_once_for_admins_but_delete_stays(policy):
    assert not allowed(policy, ADMIN, "update", "v1.2.3")
    assert allowed(policy, ADMIN, "update", "latest")
    assert allowed(policy, ADMIN, "delete", "v1.2.3")
    assert allowed(policy, ADMIN, "create", "v9")


def test_rendered_policy_validates_and_leaves_the_declared_one_alone():
    declared = zot_role_default("zot_access_control")
    rendered = render_tag_rules(declared, RULES, ["10.0.0.0/8"])
    errors, _warnings = validate_access_control(rendered, zot_version="v2.1.20")
    assert errors == []
    assert declared == zot_role_default("zot_access_control")


def test_without_rules_the_policy_is_unchanged():
    declared = zot_role_default("zot_access_control")
    assert render_tag_rules(declared, [], []) == declared


def test_locked_tags_are_scoped_to_the_repositories_the_glob_governs():
    declared = {
        "repositories": {
            "**": {"policies": [{"groups": ["ci"], "actions": ["read", "create"]}]},
            "team/**": {"policies": [{"groups": ["ci"], "actions": ["read", "create"]}]},
        },
        "adminPolicy": {"groups": ["admins"], "actions": ["read", "create", "update", "delete"]},
    }
    rules = [{"repositories": "team/**", "locked": ["v*"]}]
    policy = LoadedPolicy(render_tag_rules(declared, rules))
    admin = {"user": "root", "groups": ["admins"]}
    assert not allowed(policy, admin, "update", "v1", repo="team/app")
    assert allowed(policy, admin, "update", "v1", repo="other/app")


@pytest.mark.parametrize("pattern", ["**", "team/**", "**/app", "team/*/x", "a/**/b", "t?am/*"])
def test_repository_regexes_match_as_doublestar_does(pattern):
    regex = repository_glob_regex(pattern)
    names = [
        "team",
        "team/app",
        "team/a/x",
        "team/a/b/x",
        "a/b",
        "a/x/y/b",
        "app",
        "x/app",
        "tiam/q",
        "teams/x",
    ]
    for name in names:
        assert bool(re.search(regex, name)) == glob_matches(pattern, name), (pattern, name)


@pytest.mark.parametrize("pattern", ["a**", "team/{a,b}", "[ab]/x", "Team/**"])
def test_repository_globs_without_a_regex(pattern):
    assert repository_glob_regex(pattern) is None


@pytest.mark.parametrize(
    "rules, message",
    [
        (
            [RULES[0], {"repositories": "**"}],
            r"^zot_tag_rules\[1\]\.repositories: zot_tag_rules\[0\] already has rules for \*\*",
        ),
        (
            [{"repositories": "nope/**", "movable": ["x"]}],
            r"^zot_tag_rules\[0\]\.repositories: \"nope/\*\*\" is not a glob",
        ),
        (
            [RULES[0], {"repositories": "x", "movable": ["v[0-9]*"]}],
            r"^zot_tag_rules\[1\]\.movable\[0\]: 'v\[0-9\]\*'",
        ),
        ([{"repositories": "**", "locked": ["a/b"]}], r"^zot_tag_rules\[0\]\.locked\[0\]: "),
        ([{"repositories": "**", "moveable": ["latest"]}], r"^zot_tag_rules\[0\]\.moveable: unknown key"),
        (
            [{"repositories": "docs", "movable": ["latest"]}],
            r"^zot_tag_rules\[0\]\.movable: no entry .* grants create",
        ),
        (
            [{"repositories": "open", "locked": ["v*"]}],
            r'^zot_tag_rules\[0\]\.locked: .*\["open"\]\.defaultPolicy grants update',
        ),
    ],
)
def test_rules_zot_cannot_enforce_are_refused_naming_the_field(rules, message):
    declared = zot_role_default("zot_access_control")
    declared["repositories"].update(
        {
            "x": {"policies": [{"groups": ["artifact-workloads"], "actions": ["read", "create"]}]},
            "docs": {"defaultPolicy": ["read"]},
            "open": {"defaultPolicy": ["read", "create", "update"]},
        }
    )
    with pytest.raises(TagRuleError, match=message):
        render_tag_rules(declared, rules)


def test_zot_releases_without_conditions_are_refused():
    with pytest.raises(TagRuleError, match=r"^zot_tag_rules\[0\]: zot v2\.1\.16 ignores policy conditions"):
        render_tag_rules(zot_role_default("zot_access_control"), RULES, zot_version="v2.1.16")
    with pytest.raises(TagRuleError, match=r"^zot_pusher_networks\[0\]: zot v2\.1\.16 ignores"):
        render_tag_rules(zot_role_default("zot_access_control"), [], ["10.0.0.0/8"], zot_version="v2.1.16")


@pytest.mark.parametrize(
    "networks, message",
    [
        (["10.0.0.1/8"], r"^zot_pusher_networks\[0\]: 10\.0\.0\.1/8 has host bits set"),
        (["10.0.0.0/8", "fd00::/8"], r"^zot_pusher_networks\[1\]: fd00::/8 is IPv6"),
        ("10.0.0.0/8", r"^zot_pusher_networks: must be a list"),
    ],
)
def test_bad_networks_are_refused_naming_the_entry(networks, message):
    with pytest.raises(TagRuleError, match=message):
        network_condition(networks, "v2.1.20")


@pytest.mark.parametrize(
    "cidr", ["10.0.0.0/8", "172.16.0.0/12", "192.168.4.0/22", "10.1.2.3/32", "0.0.0.0/0"]
)
def test_network_regexes_match_exactly_the_cidr(cidr):
    regex = re.search(r'matches\("(.*)"\)', network_condition([cidr], "v2.1.20")["expression"]).group(1)
    network = ipaddress.ip_network(cidr)
    samples = ["10.0.0.1", "10.255.1.1", "172.15.0.1", "172.16.0.1", "172.31.255.255", "172.32.0.1",
               "192.168.3.255", "192.168.4.1", "192.168.7.200", "192.168.8.1", "10.1.2.3", "10.1.2.4",
               "127.0.0.1"]  # fmt: skip
    for address in samples:
        assert bool(re.search(regex, address)) == (ipaddress.ip_address(address) in network), (cidr, address)


def test_ci_writes_only_from_its_networks_and_reads_from_anywhere():
    rendered = render_tag_rules(zot_role_default("zot_access_control"), RULES, ["127.0.0.0/8"])
    policy = LoadedPolicy(rendered)
    assert allowed(policy, CI, "create", "v1", client_ip="127.0.0.1")
    assert allowed(policy, CI, "update", "latest", client_ip="127.0.0.1")
    assert not allowed(policy, CI, "create", "v1", client_ip="10.1.2.3")
    assert not allowed(policy, CI, "update", "latest", client_ip="10.1.2.3")
    assert allowed(policy, CI, "read", "v1", client_ip="10.1.2.3")


def test_retention_moves_only_tags_movable_wherever_ci_pushes():
    declared = zot_role_default("zot_access_control")
    declared["repositories"]["team/**"] = {
        "policies": [{"groups": ["artifact-workloads"], "actions": ["create"]}]
    }
    declared["repositories"]["docs/**"] = {"defaultPolicy": ["read"]}  # nobody pushes here
    rules = [
        {"repositories": "**", "movable": ["latest", "dev-*"], "locked": ["v*"]},
        {"repositories": "team/**", "movable": ["latest"], "locked": ["release-*"]},
    ]
    assert retention_tags(rules, declared) == (["latest"], ["v*", "release-*"])
    assert retention_tags(rules[:1], declared) == ([], ["v*"])  # team/** has no rule: all write-once


def test_the_roles_default_requirements_hold_with_rules_and_networks():
    require = zot_role_default("zot_access_policy_require")
    require[1]["request"]["client_ip"] = "10.0.0.0"  # the first of zot_pusher_networks
    rendered = render_tag_rules(zot_role_default("zot_access_control"), RULES, ["10.0.0.0/8"])
    assert check_requirements(rendered, require) == []
    everything_movable = [{"repositories": "**", "movable": ["*"]}]
    violations = check_requirements(
        render_tag_rules(zot_role_default("zot_access_control"), everything_movable), require
    )
    assert violations == [
        'require[1]: user "(a member of artifact-workloads)" (groups: artifact-workloads) must not be able '
        'to update "team/app", but group allows it (glob: **)'
    ]


@pytest.mark.parametrize(
    "rule, expected",
    [
        (RULES[0], {"movable": "latest", "write_once": "vx"}),
        ({"repositories": "**", "movable": ["dev-*"]}, {"movable": "dev-x", "write_once": "x-v1"}),
        ({"repositories": "**", "movable": ["*"]}, {"movable": "x", "write_once": None}),
        ({"repositories": "**", "movable": ["*"], "locked": ["v*"]}, {"movable": "x", "write_once": "vx"}),
        ({"repositories": "**"}, {"movable": None, "write_once": "x-v1"}),
    ],
)
def test_the_checklist_probes_a_tag_on_each_side_of_a_rule(rule, expected):
    assert probe_tags(rule, "x") == expected


def test_the_summary_says_which_rule_an_action_depends_on():
    rows = summarize(render_tag_rules(zot_role_default("zot_access_control"), RULES))
    ci = next(row for row in rows if row["who"] == "group artifact-workloads")
    admins = next(row for row in rows if row["who"] == "group artifact-admins")
    assert (ci["allowed"], ci["conditional"]) == (["read", "create"], ["update"])
    assert ci["conditions"] == {"update": ["this tag is write-once for CI (zot_tag_rules[0].movable)"]}
    assert admins["conditions"] == {
        "update": ["this tag is write-once, even for admins (zot_tag_rules[0].locked)"]
    }
