# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""zotops.registry.zot_registry_check through ansible-playbook against registries on loopback.

The registry is real zot (env ZOT_BINARY, see harness/zot.py). The same policy
value is rendered into the registry's config and handed to the check, as the role does; a
registry started from a DIFFERENT policy must make the check fail, naming the check.
"""

import copy
import json
import pathlib
import time

import pytest

from ansible_collections.zotops.registry.plugins.module_utils._registry.oci import OCIClient
from ansible_collections.zotops.registry.plugins.module_utils._checks.checklist import CHECK_NAMES
from ansible_collections.zotops.registry.plugins.module_utils._registry.http_client import RegistryClient
from tests.support.playbook import run_module
from tests.support.policies import role_default_access_control
from harness import docker_registry

pytestmark = pytest.mark.integration

USERS = {
    "ci": "ci-password-0123",
    "admin": "admin-password-0123",
    "prometheus": "prom-pw-0123",
    "outsider": "outsider-pw-0123",
}
FAIL_DELAY = 1

# The collection's default three-tier policy, with its groups.
POLICY = role_default_access_control({"artifact-workloads": ["ci"], "artifact-admins": ["admin"]})


def registry_config(access_control, upstream_url=None):
    extensions = {"metrics": {"enable": True, "prometheus": {"path": "/metrics"}}}
    if upstream_url:
        extensions["sync"] = {
            "enable": True,
            "registries": [
                {
                    "urls": [upstream_url],
                    "onDemand": True,
                    "tlsVerify": False,
                    "content": [{"prefix": "**", "destination": "/upstream"}],
                }
            ],
        }
    return {
        "http": {
            "auth": {"htpasswd": {"path": "htpasswd"}, "failDelay": FAIL_DELAY, "apikey": True},
            "accessControl": access_control,
        },
        "log": {"level": "info"},
        "extensions": extensions,
    }


@pytest.fixture
def start(tmp_path, start_registry, htpasswd_line):
    """Start a registry enforcing `access_control`, optionally syncing from an upstream."""
    htpasswd = "".join(htpasswd_line(user, pw) + "\n" for user, pw in USERS.items())

    def start_with(access_control, upstream_url=None):
        config = registry_config(access_control, upstream_url)
        return start_registry(tmp_path, config, {"htpasswd": htpasswd})

    return start_with


def check_args(url, **overrides):
    args = {
        "url": url,
        "access_control": POLICY,
        "pusher": {"username": "ci", "password": USERS["ci"]},
        "admin": {"username": "admin", "password": USERS["admin"]},
        "bystander": {"username": "outsider", "password": USERS["outsider"]},
        "metrics": {"username": "prometheus", "password": USERS["prometheus"]},
        "fail_delay": FAIL_DELAY,
        "api_keys": True,
        "ui": False,  # registry_config has no UI: the ui check asks for its absence
    }
    args.update(overrides)
    return args


def statuses(result):
    return {(check["name"], check["target"]): check["status"] for check in result["checks"]}


def tags_of(url, repository):
    return OCIClient(RegistryClient(url)).list_tags(repository)


@pytest.mark.skipif(not docker_registry.binary(), reason="needs Debian's docker-registry")
def test_correct_deployment_passes_every_check(tmp_path, start):
    upstream = docker_registry.start(tmp_path)
    try:
        OCIClient(RegistryClient(upstream.url)).push_image("library/base", "1.0", payload="upstream")
        registry = start(POLICY, upstream_url=upstream.url)
        args = check_args(registry.url, pull_through=[{"repository": "upstream/library/base", "tag": "1.0"}])
        result, run = run_module(tmp_path, "zot_registry_check", args)
    finally:
        upstream.stop()

    assert not result.get("failed"), json.dumps(result["checks"], indent=1)
    assert result["failed_checks"] == [] and result["leftovers"] == []
    assert 0 < result["probes"]["run"] == result["probes"]["planned"]
    print("\n".join(result["table"]))
    ran = {name for (name, _unused), status in statuses(result).items() if status == "passed"}
    skipped = {name for (name, _unused), status in statuses(result).items() if status == "skipped"}
    assert skipped == {"tls", "mtls", "pusher_tag_rules"}  # plain http, no client certificate, no tag rules
    assert ran == set(CHECK_NAMES) - skipped  # every other check of the checklist passed
    # Only throwaway tags were written, and they are gone again.
    assert tags_of(registry.url, "zotops/registry-check") == []
    assert "upstream/library/base" in OCIClient(RegistryClient(registry.url)).catalog()
    for secret in USERS.values():
        assert secret not in run.stdout


def test_registry_that_lets_ci_update_fails_the_overwrite_checks(tmp_path, start):
    drifted = copy.deepcopy(POLICY)
    drifted["repositories"]["**"]["policies"][0]["actions"].append("update")
    registry = start(drifted)
    existing = OCIClient(RegistryClient(registry.url, "admin", USERS["admin"]))
    existing.push_image("zotops/registry-check", "v1.0.0", payload="release")

    result, _unused = run_module(tmp_path, "zot_registry_check", check_args(registry.url))

    assert result["failed"] is True
    failed = {check["name"] for check in result["checks"] if check["status"] == "failed"}
    assert failed == {"pusher_overwrite", "pusher_digest_overwrite", "pusher_access"}
    assert "pusher_overwrite" in result["msg"] and "pusher_digest_overwrite" in result["msg"]
    overwrite = next(c for c in result["checks"] if c["name"] == "pusher_overwrite")
    assert overwrite["expected"].startswith("refused with HTTP 403")
    assert overwrite["observed"].startswith("allowed with HTTP 201") and "moved" in overwrite["observed"]
    # The existing tag was never touched; the throwaway ones were cleaned up.
    assert tags_of(registry.url, "zotops/registry-check") == ["v1.0.0"]
    assert result["leftovers"] == []


def test_metrics_open_to_anonymous_is_a_finding(tmp_path, start):
    drifted = copy.deepcopy(POLICY)
    drifted["metrics"]["anonymousPolicy"] = ["read"]
    registry = start(drifted)

    result, _unused = run_module(
        tmp_path, "zot_registry_check", check_args(registry.url, checks=["metrics_anonymous"])
    )

    assert result["failed"] is True
    assert result["failed_checks"] == [{"name": "metrics_anonymous", "target": "/metrics"}]


def test_check_mode_writes_nothing(tmp_path, start):
    registry = start(POLICY)

    result, _unused = run_module(tmp_path, "zot_registry_check", check_args(registry.url), check=True)

    assert not result.get("failed"), json.dumps(result["checks"], indent=1)
    by_name = {}
    for check in result["checks"]:
        by_name.setdefault(check["status"], set()).add(check["name"])
    assert by_name["passed"] == {
        "health",
        "anonymous_catalog",
        "metrics_anonymous",
        "metrics_scraper",
        "metrics_bystander",
        "ui",  # read-only: it runs in check mode too
        "fail_delay",
    }
    assert "pusher_push" in by_name["skipped"] and "admin_delete" in by_name["skipped"]
    assert OCIClient(RegistryClient(registry.url)).catalog() == []


def test_zot_gc_removes_the_repositories_the_checklist_emptied(tmp_path, start_registry, htpasswd_line):
    """The checklist deletes every manifest it pushed; zot has no API to delete a repository,
    but its garbage collection removes one whose blobs are all unreferenced (gcDelay old)."""
    config = registry_config(POLICY)
    config["storage"] = {"gc": False}
    htpasswd = "".join(htpasswd_line(user, password) + "\n" for user, password in USERS.items())
    registry = start_registry(tmp_path, config, {"htpasswd": htpasswd})
    result, _unused = run_module(tmp_path, "zot_registry_check", check_args(registry.url))
    assert not result.get("failed") and result["leftovers"] == [], json.dumps(result["checks"], indent=1)
    admin = OCIClient(RegistryClient(registry.url, username="admin", password=USERS["admin"]))
    emptied = admin.catalog()
    assert "zotops/registry-check" in emptied  # empty, and still listed

    registry.config["storage"].update(gc=True, gcDelay="1s", gcInterval="1s")
    pathlib.Path(registry.config_path).write_text(json.dumps(registry.config))
    registry.restart()
    deadline = time.monotonic() + 60
    while emptied and time.monotonic() < deadline:
        time.sleep(1)
        emptied = admin.catalog()
    assert emptied == []
