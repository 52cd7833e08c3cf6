# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Retention built by the zot role (plugin_utils/_zot/retention.py) on real zot: with short GC
intervals, movable tags (from the tag rules) beyond the operator's rule go and every
write-once tag stays, locked ones included when a movable glob also covers them."""

import time

import pytest

from ansible_collections.zotops.registry.plugins.module_utils._registry.oci import OCIClient
from ansible_collections.zotops.registry.plugins.module_utils._registry.http_client import RegistryClient
from ansible_collections.zotops.registry.plugins.plugin_utils._zot.retention import build_retention
from ansible_collections.zotops.registry.plugins.module_utils._policy.tag_rules import retention_tags

pytestmark = pytest.mark.integration

ADMIN = ("admin", "admin-password-0123")
# The operator keeps the newest movable tag only.
OPERATOR_RETENTION = {
    "delay": "1s",
    "policies": [{"repositories": ["**"], "keepTags": [{"mostRecentlyPushedCount": 1}]}],
}
# The tag rules retention reads (zot_tag_rules): CI may move latest and dev-*; or every tag
# but the locked v*.
ACCESS_CONTROL = {"repositories": {"**": {"policies": [{"groups": ["ci"], "actions": ["read", "create"]}]}}}
RULES = {
    "latest and dev-*": [{"repositories": "**", "movable": ["latest", "dev-*"]}],
    "all but locked v*": [{"repositories": "**", "movable": ["*"], "locked": ["v*"]}],
}
PUSHED = ["v1.0.0", "dev-1", "v1.1.0", "dev-2", "release-2024", "dev-3"]
# Generous bound: zot runs GC (and retention) every gcInterval.
RETENTION_WITHIN = 90


@pytest.mark.parametrize(
    "rules, gone",
    [("latest and dev-*", {"dev-1", "dev-2"}), ("all but locked v*", {"dev-1", "dev-2", "release-2024"})],
)
def test_write_once_tags_survive_retention_that_removes_old_movable_tags(
    tmp_path, start_registry, htpasswd_line, rules, gone
):
    movable, locked = retention_tags(RULES[rules], ACCESS_CONTROL)
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
            "retention": build_retention(OPERATOR_RETENTION, movable, locked),
        },
    }
    registry = start_registry(tmp_path, config, {"htpasswd": htpasswd_line(*ADMIN) + "\n"})
    client = OCIClient(RegistryClient(registry.url, username=ADMIN[0], password=ADMIN[1]))
    for tag in PUSHED:
        client.push_image("team/app", tag)
        time.sleep(1.1)  # distinct push times for mostRecentlyPushedCount

    deadline = time.monotonic() + RETENTION_WITHIN
    tags = set(PUSHED)
    while time.monotonic() < deadline and gone & tags:
        time.sleep(1)
        tags = set(client.list_tags("team/app"))
    assert tags == set(PUSHED) - gone
