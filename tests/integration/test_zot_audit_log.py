# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""zot's audit log (log.audit), as the zot role turns it on, against the real binary.

zot writes one JSON line per accepted POST/PUT/PATCH/DELETE with the identity ("subject");
refused requests are not audited, they show in zot's main log (the journal on a host) with
the username and statusCode. `zot verify`, which the role's gate runs as root, must not
create the audit log (it would be root-owned in the wrong place)."""

import json
import subprocess

import pytest

from ansible_collections.zotops.registry.plugins.module_utils._registry.oci import OCIClient
from ansible_collections.zotops.registry.plugins.module_utils._registry.http_client import (
    RegistryClient,
    RegistryHTTPError,
)
from ansible_collections.zotops.registry.plugins.plugin_utils._zot.config import build_config
from harness import zot as zot_process
from harness.role_defaults import zot_settings

pytestmark = pytest.mark.integration

CI, ADMIN = ("ci", "ci-password-0123"), ("admin", "admin-password-0123")
ACCESS = {
    "repositories": {"**": {"policies": [{"users": ["ci"], "actions": ["read", "create"]}]}},
    "adminPolicy": {"users": ["admin"], "actions": ["read", "create", "update", "delete"]},
}


def audit_config(tmp_path):
    """zot's config: the role's log section for a log directory under tmp_path, htpasswd users."""
    settings = zot_settings(
        config_dir=str(tmp_path),
        storage_dir=str(tmp_path / "storage"),
        http_port=0,
        auth_fail_delay=0,
        audit_log_enabled=True,
        log_dir=str(tmp_path / "log"),
        htpasswd_users=[{"name": "ci"}, {"name": "admin"}],
        access_control=ACCESS,
        secure_session=False,
        sync_upstreams=[],
        config_extra={},
    )
    config = build_config(settings)
    del config["http"]["port"], config["http"]["auth"]["sessionKeysFile"]  # a free port, no session keys
    return config


def audit_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_push_refused_push_and_delete_carry_the_identity(tmp_path, start_registry, htpasswd_line):
    config = audit_config(tmp_path)
    audit = tmp_path / "log" / "audit.log"
    assert config["log"]["audit"] == str(audit)
    (tmp_path / "log").mkdir()
    users = "".join(htpasswd_line(*user) + "\n" for user in (CI, ADMIN))
    registry = start_registry(tmp_path, config, {"htpasswd": users})

    ci = OCIClient(RegistryClient(registry.url, username=CI[0], password=CI[1]))
    admin = OCIClient(RegistryClient(registry.url, username=ADMIN[0], password=ADMIN[1]))
    digest = ci.push_image("team/app", "v1")["digest"]
    with pytest.raises(RegistryHTTPError) as refused:
        ci.push_image("team/app", "v1", payload=b"moved")
    assert refused.value.status == 403
    admin.delete_manifest("team/app", digest)

    lines = audit_lines(audit)
    manifest_puts = [line for line in lines if line["action"] == "PUT" and "/manifests/v1" in line["object"]]
    assert [line["subject"] for line in manifest_puts] == ["ci"]  # the refused re-push is not audited
    deletes = [line for line in lines if line["action"] == "DELETE"]
    assert [(line["subject"], line["object"]) for line in deletes] == [
        ("admin", "/v2/team/app/manifests/" + digest)
    ]
    assert all(line["status"] in (200, 201, 202) for line in lines)

    # The refused push is in zot's main log, with who and what status.
    refusals = [
        json.loads(line)
        for line in registry.log_text().splitlines()
        if '"statusCode":403' in line and "/manifests/v1" in line
    ]
    assert [(entry["username"], entry["method"]) for entry in refusals] == [("ci", "PUT")]


def test_zot_verify_does_not_create_the_audit_log(tmp_path):
    config = audit_config(tmp_path)
    (tmp_path / "log").mkdir()
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    verify = subprocess.run(  # noqa: S603
        [zot_process.binary(), "verify", str(config_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert verify.returncode == 0, verify.stderr
    assert list((tmp_path / "log").iterdir()) == []
