# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""zotops.registry.oci_tag_guard in a CI flow: guard, then push the allowed tags with skopeo.

Against real zot with a zot API key, and against
Debian's docker-registry anonymously, to show the guard needs nothing zot-specific.
"""

import shutil
import subprocess

import pytest

from ansible_collections.zotops.registry.plugins.module_utils._registry.oci import OCIClient
from ansible_collections.zotops.registry.plugins.module_utils._registry.http_client import RegistryClient
from ansible_collections.zotops.registry.plugins.module_utils._registry.zot_api import ZotApi
from tests.support.playbook import run_module
from harness import docker_registry

pytestmark = pytest.mark.integration

CI_USER, CI_PASSWORD = "ci", "ci-password-0123"
REPOSITORY = "team/app"


def skopeo_push(layout, host, tag, creds=None):
    command = ["skopeo", "copy", "--insecure-policy", "--dest-tls-verify=false"]
    command += ["--dest-creds", creds] if creds else ["--dest-no-creds"]
    command += ["oci:%s:build" % layout, "docker://%s/%s:%s" % (host, REPOSITORY, tag)]
    subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)


@pytest.fixture
def zot_with_api_key(tmp_path, start_registry, htpasswd_line):
    """Registry where CI may create (not update) tags; returns (registry, CI API key)."""
    config = {
        "http": {
            "auth": {"htpasswd": {"path": "htpasswd"}, "apikey": True},
            "accessControl": {
                "repositories": {"**": {"policies": [{"users": [CI_USER], "actions": ["read", "create"]}]}}
            },
        }
    }
    registry = start_registry(tmp_path, config, {"htpasswd": htpasswd_line(CI_USER, CI_PASSWORD) + "\n"})
    client = RegistryClient(registry.url, username=CI_USER, password=CI_PASSWORD)
    api_key = ZotApi(client, CI_USER).create_api_key("ci", [], None).secret
    return registry, api_key


@pytest.mark.skipif(not shutil.which("skopeo"), reason="needs skopeo")
def test_ci_flow_with_an_api_key(tmp_path, zot_with_api_key, make_oci_layout):
    registry, api_key = zot_with_api_key
    creds = "%s:%s" % (CI_USER, api_key)
    make_oci_layout(tmp_path / "layout", "build", b"release 1.0.0")
    skopeo_push(tmp_path / "layout", registry.host, "v1.0.0", creds)
    guard = {
        "url": registry.url,
        "username": CI_USER,
        "password": api_key,
        "repository": REPOSITORY,
    }

    refused, run = run_module(tmp_path, "oci_tag_guard", dict(guard, tags=["v1.0.0", "latest"]))
    assert refused["failed"] is True
    assert refused["refused"] == ["v1.0.0"] and refused["allowed"] == ["latest"]
    assert api_key not in run.stdout

    allowed, _unused = run_module(
        tmp_path, "oci_tag_guard", dict(guard, tags=["v1.0.1", "sha-3f2a9c1", "latest"])
    )
    assert not allowed.get("failed")
    assert allowed["existing"] == [] and allowed["protected"] == ["v1.0.1"]
    for tag in allowed["allowed"]:
        skopeo_push(tmp_path / "layout", registry.host, tag, creds)
    tags = OCIClient(RegistryClient(registry.url, CI_USER, api_key)).list_tags(REPOSITORY)
    assert sorted(tags) == ["latest", "sha-3f2a9c1", "v1.0.0", "v1.0.1"]

    # A moving tag that already exists is not protected: the guard lets it through again.
    again, _unused = run_module(tmp_path, "oci_tag_guard", dict(guard, tags=["latest"]))
    assert not again.get("failed") and again["existing"] == ["latest"]


@pytest.mark.skipif(not docker_registry.binary(), reason="needs Debian's docker-registry")
def test_any_oci_registry_anonymously(tmp_path):
    upstream = docker_registry.start(tmp_path)
    try:
        OCIClient(RegistryClient(upstream.url)).push_image(REPOSITORY, "2.1.0", payload="x")
        args = {"url": upstream.url, "repository": REPOSITORY, "tags": ["2.1.0", "2.1.1"]}
        result, _unused = run_module(tmp_path, "oci_tag_guard", args)
        custom, _unused = run_module(
            tmp_path, "oci_tag_guard", dict(args, tags=["2.1.0"], protected_tags=["release-.*"])
        )
    finally:
        upstream.stop()
    assert result["failed"] is True and result["refused"] == ["2.1.0"]
    assert result["allowed"] == ["2.1.1"]
    assert not custom.get("failed") and custom["protected"] == []
