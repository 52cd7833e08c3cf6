# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""zot_access_policy audits a running registry's config.json through `path:`.

The policy has a hazard zot loads without complaint (a group key in upper case, which no
policy entry naming it can match) and a CEL condition; the task fails on the hazard, yet
returns the decisions, and they are the answers the running zot gives over HTTP.
"""

import pytest
import requests

from harness import zot as zot_process
from tests.support.playbook import run_module

pytestmark = pytest.mark.integration

PASSWORD = "pw-0123456789"
POLICY = {
    "groups": {"CI": {"users": ["ci"]}},
    "repositories": {
        "apps/**": {
            "policies": [
                {"groups": ["CI"], "actions": ["read", "create"]},
                {
                    "users": ["rel"],
                    "actions": ["read", "create"],
                    "conditions": [{"expression": 'req.tag.startsWith("v")', "message": "releases only"}],
                },
            ],
            "defaultPolicy": ["read"],
        }
    },
}


def test_audit_of_a_running_registry_config(tmp_path):
    htpasswd = "".join(zot_process.htpasswd_line(user, PASSWORD) + "\n" for user in ("ci", "rel"))
    config = {"http": {"auth": {"htpasswd": {"path": "{tmp}/htpasswd"}}, "accessControl": POLICY}}
    registry = zot_process.start(tmp_path, config, {"htpasswd": htpasswd})
    try:
        asked = [("ci", "x"), ("rel", "v1"), ("rel", "latest")]
        queries = [
            {"who": {"user": user}, "repo": "apps/web", "action": "create", "request": {"tag": tag}}
            for user, tag in asked
        ]
        args = {"path": registry.config_path, "queries": queries}
        result, _unused = run_module(tmp_path, "zot_access_policy", args)
        assert result["failed"] is True and result["refused"] == []
        assert any('groups["CI"]' in error for error in result["errors"])
        assert result["summary"]
        for (user, tag), decision in zip(asked, result["decisions"], strict=True):
            answer = requests.put(
                f"{registry.url}/v2/apps/web/manifests/{tag}",
                data=b"{}",
                headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
                auth=(user, PASSWORD),
                timeout=30,
            )
            # The manifest is invalid on purpose: an authorized PUT fails after authorization.
            allowed = answer.status_code not in (401, 403)
            assert allowed == decision["allowed"], (user, tag, answer.status_code)
        assert [d["allowed"] for d in result["decisions"]] == [False, True, False]
    finally:
        registry.stop()
