# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""oci_tag_guard module: JSON results against a minimal registry on 127.0.0.1."""

import base64
import json

import pytest
import yaml
from tests.support.module_args import patch_module_args

from ansible_collections.zotops.registry.plugins.module_utils._registry.tag_guard import (
    DEFAULT_PROTECTED_TAGS,
)
from ansible_collections.zotops.registry.plugins.modules import oci_tag_guard
from tests.support.http_server import QuietHandler, serve

API_KEY = "zak_0123456789abcdef0123456789abcdef"
EXISTING = {"v1.0.0", "latest"}


class _Registry(QuietHandler):
    """HEAD /v2/team/app/manifests/<tag>: 200 if the tag exists; needs ci:<API_KEY>."""

    def do_HEAD(self):
        expected = "Basic " + base64.b64encode(("ci:" + API_KEY).encode()).decode()
        if self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="zot"')
        else:
            tag = self.path.rsplit("/", 1)[-1]
            found = self.path.startswith("/v2/team/app/manifests/") and tag in EXISTING
            self.send_response(200 if found else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture(scope="module")
def registry_url():
    with serve(_Registry) as httpd:
        yield httpd.url


def run_module(capsys, **args):
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        oci_tag_guard.main()
    out = capsys.readouterr().out
    return exit_info.value.code, json.loads(out), out


def test_new_release_tag_passes(capsys, registry_url):
    code, result, out = run_module(
        capsys,
        url=registry_url,
        username="ci",
        password=API_KEY,
        repository="team/app",
        tags=["v1.0.1", "latest", "sha-3f2a9c1"],
    )
    assert code == 0, out
    assert result["changed"] is False
    assert result["existing"] == ["latest"]
    assert result["protected"] == ["v1.0.1"]
    assert result["allowed"] == ["v1.0.1", "latest", "sha-3f2a9c1"]
    assert API_KEY not in out


def test_existing_release_tag_fails_the_task(capsys, registry_url):
    code, result, out = run_module(
        capsys,
        url=registry_url,
        username="ci",
        password=API_KEY,
        repository="team/app",
        tags=["v1.0.0", "latest"],
    )
    assert code == 1
    assert result["failed"] is True
    assert result["msg"] == "protected tag(s) already exist in team/app: v1.0.0"
    assert result["refused"] == ["v1.0.0"] and result["allowed"] == ["latest"]
    assert API_KEY not in out


def test_refused_credentials_fail_with_the_status(capsys, registry_url):
    code, result, out = run_module(
        capsys,
        url=registry_url,
        username="ci",
        password="wrong",
        repository="team/app",
        tags=["v2"],
    )
    assert code == 1
    assert "cannot tell whether team/app:v2 exists" in result["msg"] and "401" in result["msg"]


def test_documented_default_is_the_code_default():
    options = yaml.safe_load(oci_tag_guard.DOCUMENTATION)["options"]
    assert options["protected_tags"]["default"] == DEFAULT_PROTECTED_TAGS
