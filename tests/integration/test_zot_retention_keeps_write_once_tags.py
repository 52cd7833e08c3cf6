"""Retention built by the zot role (zot_retention.build_retention) on real zot: with short GC
intervals, movable tags beyond the operator's rule go and every write-once tag stays."""

import time

import pytest

from ansible_collections.zotops.registry.plugins.module_utils._registry.oci import OCIClient
from ansible_collections.zotops.registry.plugins.module_utils._registry.http_client import RegistryClient
from ansible_collections.zotops.registry.plugins.plugin_utils._zot.retention import build_retention

pytestmark = pytest.mark.integration

ADMIN = ("admin", "admin-password-0123")
# The operator keeps the newest movable tag only; CI may move latest and dev-*.
OPERATOR_RETENTION = {
    "delay": "1s",
    "policies": [{"repositories": ["**"], "keepTags": [{"mostRecentlyPushedCount": 1}]}],
}
MOVABLE = ["latest", "dev-*"]
# Generous bound: zot runs GC (and retention) every gcInterval.
RETENTION_WITHIN = 90


def test_write_once_tags_survive_retention_that_removes_old_movable_tags(
    tmp_path, start_registry, htpasswd_line
):
    config = {
        "http": {
            "auth": {"htpasswd": {"path": "{tmp}/htpasswd"}},
            "accessControl": {
                "repositories": {"**": {"anonymousPolicy": ["read"]}},
                "adminPolicy": {"users": ["admin"], "actions": ["read", "create", "update", "delete"]},
            },
        },
        "storage": {
            "gc": True,
            "gcDelay": "1s",
            "gcInterval": "2s",
            "retention": build_retention(OPERATOR_RETENTION, MOVABLE),
        },
    }
    registry = start_registry(tmp_path, config, {"htpasswd": htpasswd_line(*ADMIN) + "\n"})
    client = OCIClient(RegistryClient(registry.url, username=ADMIN[0], password=ADMIN[1]))
    pushed = ["v1.0.0", "dev-1", "v1.1.0", "dev-2", "release-2024", "dev-3"]
    for tag in pushed:
        client.push_image("team/app", tag)
        time.sleep(1.1)  # distinct push times for mostRecentlyPushedCount

    deadline = time.monotonic() + RETENTION_WITHIN
    tags = set(pushed)
    while time.monotonic() < deadline and {"dev-1", "dev-2"} & tags:
        time.sleep(1)
        tags = set(client.list_tags("team/app"))
    assert tags == {"v1.0.0", "v1.1.0", "release-2024", "dev-3"}
