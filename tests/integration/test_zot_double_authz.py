"""The zot double's decision functions against zot v2.1.20's rules (pkg/api/authz.go,
pkg/cli/server/root.go, pkg/extensions/sync/content.go), called in-process: fast and exact
where the HTTP contract tests only sample."""

import json

import pytest

from tests.zot_double import zot_double as zot

ALICE = zot.Identity("alice", [])
CI = zot.Identity("ci", ["builders"])
ANONYMOUS = zot.Identity()
ROOT = zot.Identity("root", [])


def controller(repositories, admin=None, groups=None):
    return zot.AccessController(
        {"repositories": repositories, "adminpolicy": admin or {}, "groups": groups or {}}
    )


def allowed(ac, identity, action, repo, reference=""):
    return ac.can(identity, action, repo, reference)[0]


def test_only_the_longest_matching_glob_applies():
    ac = controller(
        {
            "**": {"defaultpolicy": ["read", "create"]},
            "team/**": {"policies": [{"users": ["alice"], "actions": ["read"]}]},
        }
    )
    assert allowed(ac, ALICE, "create", "other/app")
    assert not allowed(ac, ALICE, "create", "team/app")  # no fallback to "**"
    assert allowed(ac, ALICE, "read", "team/app")
    assert allowed(ac, ALICE, "read", "team")  # "team/**" matches "team" itself


def test_a_repository_matching_no_glob_is_admin_only():
    ac = controller({"team/*": {"defaultpolicy": ["read"]}}, admin={"users": ["root"], "actions": ["read"]})
    assert not allowed(ac, ALICE, "read", "elsewhere/app")
    assert not allowed(ac, ALICE, "read", "team/a/b")  # "*" stays inside one segment
    assert allowed(ac, ROOT, "read", "elsewhere/app")
    assert not allowed(ac, ROOT, "delete", "elsewhere/app")  # admins get only adminPolicy actions


def test_default_policy_is_for_authenticated_and_anonymous_policy_for_anonymous_callers():
    ac = controller({"**": {"defaultpolicy": ["read"], "anonymouspolicy": ["create"]}})
    assert allowed(ac, ALICE, "read", "app") and not allowed(ac, ALICE, "create", "app")
    assert allowed(ac, ANONYMOUS, "create", "app") and not allowed(ac, ANONYMOUS, "read", "app")


def test_groups_come_from_access_control_groups_and_grant_through_policies():
    ac = controller(
        {"ci/**": {"policies": [{"groups": ["builders"], "actions": ["read", "create"]}]}},
        admin={"groups": ["ops"], "actions": ["delete"]},
        groups={"builders": {"users": ["ci"]}, "ops": {"users": ["alice"]}},
    )
    assert ac.user_groups("ci") == ["builders"]
    assert allowed(ac, CI, "create", "ci/app") and not allowed(ac, CI, "update", "ci/app")
    assert allowed(ac, zot.Identity("alice", ac.user_groups("alice")), "delete", "ci/app")


def test_conditions_gate_a_policy_and_surface_their_message():
    policy = {
        "users": ["ci"],
        "actions": ["read", "create", "update"],
        "conditions": [{"expression": 'req.action != "update"', "message": "tags are immutable"}],
    }
    ac = controller({"**": {"policies": [policy]}})
    assert ac.can(CI, "create", "app", "v1") == (True, "")
    assert ac.can(CI, "update", "app", "v1") == (False, "tags are immutable")


@pytest.mark.parametrize(
    ("tags", "reference", "query", "checks"),
    [
        (["v1"], "v1", [], [("update", "v1")]),
        ([], "v1", [], [("create", "v1")]),
        ([], "sha256:" + "a" * 64, [], [("create", "sha256:" + "a" * 64)]),
        (
            ["v1"],
            "sha256:" + "a" * 64,
            ["v1", "v2", "v2", " "],
            [
                ("update", "v1"),
                ("create", "v2"),
                ("create", "sha256:" + "a" * 64),
                ("update", "sha256:" + "a" * 64),
            ],
        ),
    ],
)
def test_manifest_writes_need_create_for_new_and_update_for_existing_tags(tags, reference, query, checks):
    assert controller({}).manifest_write_checks(tags, reference, query) == checks


def test_catalog_counts_conditional_policies_without_evaluating_them():
    conditional = {"users": ["ci"], "actions": ["read"], "conditions": [{"expression": "false"}]}
    ac = controller({"ci/**": {"policies": [conditional]}, "**": {"anonymouspolicy": ["read"]}})
    assert ac.can_read_for_catalog(CI, "ci/app")
    assert not allowed(ac, CI, "read", "ci/app")
    assert not ac.can_read_for_catalog(CI, "other")  # "**" grants anonymous callers only
    assert ac.can_read_for_catalog(ANONYMOUS, "other")


def test_config_keys_are_matched_case_insensitively_and_map_keys_lowercased(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(
        json.dumps(
            {
                "Storage": {"RootDirectory": "/srv/zot", "GCDelay": "1h30m"},
                "HTTP": {
                    "Port": 5000,
                    "Auth": {"HTPasswd": {"Path": "/etc/zot/htpasswd"}},
                    "AccessControl": {
                        "Groups": {"CI": {"Users": ["Bot"]}},
                        "Repositories": {"Team/**": {"DefaultPolicy": ["read"]}},
                    },
                },
            }
        )
    )
    conf = zot.load_config(str(path))
    access = conf["http"]["accesscontrol"]
    assert list(access["groups"]) == ["ci"] and access["groups"]["ci"]["users"] == ["Bot"]
    assert list(access["repositories"]) == ["team/**"]
    assert conf["http"]["port"] == "5000" and conf["storage"]["gcdelay"] == 5400


def test_unknown_keys_are_named_with_their_path(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(
        json.dumps({"storage": {"rootDirectory": "/srv"}, "http": {"auth": {"failDelay": 1, "typo": 1}}})
    )
    with pytest.raises(zot.ConfigError, match=r"'http\.auth' has invalid keys: typo"):
        zot.load_config(str(path))


@pytest.mark.parametrize(
    ("content", "local", "remote"),
    [
        ({"prefix": "**", "destination": "/docker.io"}, "docker.io/library/alpine", "library/alpine"),
        (
            {"prefix": "library/**", "destination": "/hub", "stripprefix": True},
            "hub/alpine",
            "library/alpine",
        ),
        ({"prefix": "library/**"}, "library/alpine", "library/alpine"),
    ],
)
def test_sync_maps_local_repositories_to_upstream_names(content, local, remote):
    assert zot.content_for_local_repo([content], local) is content
    assert zot.remote_repo_for(local, content) == remote


def test_sync_ignores_repositories_outside_every_content_rule():
    assert zot.content_for_local_repo([{"prefix": "**", "destination": "/docker.io"}], "ghcr.io/x") is None
