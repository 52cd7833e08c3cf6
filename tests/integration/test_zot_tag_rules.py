# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Tag rules and CI networks (zot_tag_rules, zot_pusher_networks), rendered by the zot role's
config builder and enforced by real zot: each answer is zot's, and the engine
(zot_access_policy) gives the same one for the same request."""

import pytest

from ansible_collections.zotops.registry.plugins.module_utils._policy.engine import LoadedPolicy
from ansible_collections.zotops.registry.plugins.module_utils._registry.oci import OCIClient, digest_of
from ansible_collections.zotops.registry.plugins.module_utils._registry.http_client import (
    RegistryClient,
    RegistryHTTPError,
)
from ansible_collections.zotops.registry.plugins.plugin_utils._zot.config import build_config
from harness.role_defaults import zot_settings

pytestmark = pytest.mark.integration

CI, ADMIN = ("ci", "ci-password-0123"), ("admin", "admin-password-0123")
USERS = [{"name": "ci", "groups": ["artifact-workloads"]}, {"name": "admin", "groups": ["artifact-admins"]}]
RULES = [{"repositories": "**", "movable": ["latest", "dev-*"], "locked": ["v*"]}]
LOOPBACK = "127.0.0.1"


def tag_rules_config(tmp_path, networks=()):
    """zot's config as the role builds it: the default policy, the local users, the rules."""
    settings = zot_settings(
        config_dir=str(tmp_path),
        storage_dir=str(tmp_path / "storage"),
        auth_fail_delay=0,
        audit_log_enabled=False,
        htpasswd_users=USERS + [{"name": "prometheus"}],  # the default metrics user
        tag_rules=RULES,
        pusher_networks=list(networks),
        secure_session=False,
    )
    config = build_config(settings)
    del config["http"]["port"], config["http"]["auth"]["sessionKeysFile"]  # a free port, no session keys
    return config


@pytest.fixture(name="start")
def fixture_start(tmp_path, start_registry, htpasswd_line):
    def start(networks=()):
        config = tag_rules_config(tmp_path, networks)
        users = "".join(htpasswd_line(*user) + "\n" for user in (CI, ADMIN))
        registry = start_registry(tmp_path, config, {"htpasswd": users})
        clients = {
            name: OCIClient(RegistryClient(registry.url, username=name, password=password))
            for name, password in (CI, ADMIN)
        }
        return clients, LoadedPolicy(config["http"]["accessControl"])

    return start


def status(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except RegistryHTTPError as exc:
        return exc.status
    return 201


def engine(policy, user, action, reference):
    decision = policy.decide(
        {"user": user}, "team/app", action, {"reference": reference, "client_ip": LOOPBACK}
    )
    assert not decision["conditional"], decision
    return 201 if decision["allowed"] else 403


def test_ci_moves_movable_tags_only_and_locked_tags_are_write_once_for_admins(start):
    clients, policy = start()
    ci, admin = clients["ci"], clients["admin"]

    answers = {}
    answers["ci pushes latest"] = (
        status(ci.push_image, "team/app", "latest"),
        engine(policy, "ci", "create", "latest"),
    )
    answers["ci moves latest"] = (
        status(ci.push_image, "team/app", "latest"),
        engine(policy, "ci", "update", "latest"),
    )
    pushed = ci.push_image("team/app", "v1.2.3")
    answers["ci moves v1.2.3"] = (
        status(ci.push_image, "team/app", "v1.2.3"),
        engine(policy, "ci", "update", "v1.2.3"),
    )
    latest = ci.get_manifest("team/app", "latest").body
    # A digest PUT with ?tag= is checked as update on each existing tag it names.
    answers["ci digest-PUTs ?tag=v1.2.3"] = (
        status(ci.push_manifest_by_digest, "team/app", latest, ["v1.2.3"]),
        engine(policy, "ci", "update", "v1.2.3"),
    )
    previous = ci.push_image("team/app", "dev-1")["manifest"]
    answers["ci digest-PUTs ?tag=latest"] = (
        status(ci.push_manifest_by_digest, "team/app", previous, ["latest"]),
        min(engine(policy, "ci", "update", "latest"), engine(policy, "ci", "update", digest_of(previous))),
    )
    answers["admin moves v1.2.3"] = (
        status(admin.push_image, "team/app", "v1.2.3"),
        engine(policy, "admin", "update", "v1.2.3"),
    )
    answers["admin moves latest"] = (
        status(admin.push_image, "team/app", "latest"),
        engine(policy, "admin", "update", "latest"),
    )
    answers["admin deletes v1.2.3"] = (
        status(admin.delete_manifest, "team/app", pushed["digest"]),
        engine(policy, "admin", "delete", pushed["digest"]),
    )

    assert answers == {
        "ci pushes latest": (201, 201),
        "ci moves latest": (201, 201),
        "ci moves v1.2.3": (403, 403),
        "ci digest-PUTs ?tag=v1.2.3": (403, 403),
        "ci digest-PUTs ?tag=latest": (201, 201),
        "admin moves v1.2.3": (403, 403),
        "admin moves latest": (201, 201),
        "admin deletes v1.2.3": (201, 201),  # 202 Accepted, as status() reports success
    }
    assert "v1.2.3" not in ci.list_tags("team/app")


@pytest.mark.parametrize("networks, expected", [(["127.0.0.0/8"], 201), (["10.0.0.0/8"], 403)])
def test_ci_writes_only_from_its_networks(start, networks, expected):
    clients, policy = start(networks)
    assert (
        status(clients["ci"].push_image, "team/app", "v1") == expected == engine(policy, "ci", "create", "v1")
    )
    clients["admin"].push_image("team/app", "v2")  # admins are not limited
    assert clients["ci"].get_manifest("team/app", "v2").status == 200  # reads stay open
