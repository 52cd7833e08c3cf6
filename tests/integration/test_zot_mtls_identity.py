# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""CI with a client certificate on real zot, with the config the zot role renders
(zot_tls_cert/key, zot_tls_ca_cert, zot_mtls_identity_attributes): the certificate's
CommonName is the identity, its group comes from zot_access_control.groups, and it holds what
CI holds (create, never overwrite); a certificate from another CA is refused at the handshake;
the checklist's mtls check passes with it."""

import copy

import pytest
import requests

from ansible_collections.zotops.registry.plugins.plugin_utils._zot.config import build_config
from harness.oci_image import push_image
from harness.role_defaults import zot_settings
from harness.tls import client_session, make_certificates
from tests.support.playbook import run_module

pytestmark = pytest.mark.integration

CI_IDENTITY, BYSTANDER = "ci-runner", "visitor"


@pytest.fixture(name="pki")
def fixture_pki(tmp_path):
    (tmp_path / "pki").mkdir()
    (tmp_path / "other").mkdir()
    return {
        "ours": make_certificates(str(tmp_path / "pki"), clients=[CI_IDENTITY, BYSTANDER]),
        "other": make_certificates(str(tmp_path / "other"), clients=[CI_IDENTITY]),
    }


@pytest.fixture(name="registry")
def fixture_registry(tmp_path, start_registry, pki):
    settings = zot_settings(
        config_dir=str(tmp_path),
        storage_dir=str(tmp_path / "storage"),
        auth_fail_delay=0,
        audit_log_enabled=False,
        htpasswd_users=[],
        secure_session=False,
        tls_cert=pki["ours"]["cert"],
        tls_key=pki["ours"]["key"],
        tls_ca_cert=pki["ours"]["ca"],
        mtls_identity_attributes=["CommonName"],
    )
    access_control = copy.deepcopy(settings["access_control"])
    access_control["groups"] = {"artifact-workloads": {"users": [CI_IDENTITY]}}
    config = build_config(dict(settings, access_control=access_control))
    del config["http"]["port"], config["http"]["auth"]["sessionKeysFile"]  # a free port, no session keys
    return start_registry(tmp_path, config)


def session(pki, who=None, ca="ours"):
    """A client trusting our CA, with `who`'s certificate from the `ca` PKI, if given."""
    return client_session(pki["ours"]["ca"], pki[ca]["clients"][who] if who else None)


def upload(client, url):
    return client.post(f"{url}/v2/team/app/blobs/uploads/", timeout=30).status_code


def test_the_certificate_names_ci_and_ci_may_create_but_not_overwrite(registry, pki):
    ci = session(pki, CI_IDENTITY)
    assert upload(ci, registry.url) == 202
    assert upload(session(pki, BYSTANDER), registry.url) == 403  # known, but in no policy group
    assert upload(session(pki), registry.url) == 401  # anonymous: read only
    manifest = push_image(ci, registry.url, "team/app", "v1.0.0")
    assert manifest["layers"]
    overwrite = ci.put(
        f"{registry.url}/v2/team/app/manifests/v1.0.0",
        json=dict(manifest, annotations={"rebuilt": "yes"}),
        headers={"Content-Type": manifest["mediaType"]},
        timeout=30,
    )
    assert overwrite.status_code == 403  # CI holds create, never update
    assert session(pki).get(f"{registry.url}/v2/team/app/tags/list", timeout=30).status_code == 200


def test_a_certificate_from_another_ca_is_refused(registry, pki):
    with pytest.raises(requests.exceptions.SSLError):
        upload(session(pki, CI_IDENTITY, ca="other"), registry.url)


def test_the_checklist_verifies_the_certificate_and_the_client_certificate(tmp_path, registry, pki):
    args = {
        "url": registry.url,
        "access_control": registry.config["http"]["accessControl"],
        "ca_path": pki["ours"]["ca"],
        "client_cert": pki["ours"]["clients"][CI_IDENTITY][0],
        "client_key": pki["ours"]["clients"][CI_IDENTITY][1],
        "checks": ["health", "tls", "mtls"],
    }
    result, _unused = run_module(tmp_path, "zot_registry_check", args)
    assert not result.get("failed"), result
    assert {check["name"]: check["status"] for check in result["checks"]} == {
        "health": "passed",
        "tls": "passed",
        "mtls": "passed",
    }
    other = dict(args, client_cert=pki["other"]["clients"][CI_IDENTITY][0])
    other["client_key"] = pki["other"]["clients"][CI_IDENTITY][1]
    refused, _unused = run_module(tmp_path, "zot_registry_check", other)
    assert {check["name"]: check["status"] for check in refused["checks"]}["mtls"] == "failed"
