# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""zot's own LDAP login (zot_ldap, as the collection renders it) against real slapd on loopback:
bind account from the credentials file, people by uid, groups from memberOf, LDAPS with the
directory's CA, and StartTLS as far as zot allows it.

zot's LDAP groups are the raw values of user_group_attribute: with memberOf they are group
DNs, so the policy names DNs. zot's TLS quirks (pkg/api/authn.go and ldap.go at v2.1.20):
UseSSL is `!insecure` and SkipTLS is `!startTLS`, so StartTLS on a plain LDAP port needs
`insecure: true` *and* `start_tls: true`; and StartTLS gets no ServerName, so it works only
with skip_verify (the certificate is not checked). Verified TLS is LDAPS with ca_cert.
"""

import json

import pytest
import requests
from ansible_collections.zotops.registry.plugins.plugin_utils._zot import config as zot_config

from tests.support import ldap_directory as ldap
from tests.support.policies import role_default_access_control

pytestmark = pytest.mark.integration

GROUPS = ("artifact-workloads", "artifact-admins")


@pytest.fixture
def directory(tmp_path):
    started = ldap.start_ldap_directory(tmp_path / "ldap")
    yield started
    started.stop()


def starttls(directory):
    """StartTLS on the plain port: what zot v2.1.20 needs for it (see above)."""
    return {"port": directory.port, "start_tls": True, "insecure": True, "skip_verify": True, "ca_cert": None}


def start_zot(start_registry, tmp_path, settings):
    """zot with the auth.ldap section build_config renders from zot_ldap, and the role's
    default policy with each group named by its DN."""
    ldap_section, files = ldap.zot_ldap_auth(settings)
    policy = json.dumps(role_default_access_control())
    for group in GROUPS:
        policy = policy.replace(f'"{group}"', json.dumps(ldap.group_dn(group)))
    config = {"http": {"auth": {"ldap": ldap_section, "failDelay": 0}, "accessControl": json.loads(policy)}}
    return start_registry(tmp_path / "zot", config, files)


def upload(zot, uid, password=None):
    auth = (uid, password or ldap.PEOPLE[uid][0])
    return requests.post(f"{zot.url}/v2/team/app/blobs/uploads/", auth=auth, timeout=30).status_code


@pytest.mark.parametrize("transport", ["ldaps", "starttls"])
def test_ldap_people_and_groups_decide_rights(tmp_path, start_registry, directory, transport):
    overrides = starttls(directory) if transport == "starttls" else {}
    zot = start_zot(start_registry, tmp_path, directory.zot_ldap_settings(**overrides))
    assert upload(zot, "ci-bot") == 202  # memberOf artifact-workloads: create
    assert upload(zot, "release-admin") == 202  # artifact-admins
    assert upload(zot, "visitor") == 403  # authenticated, no policy group
    assert upload(zot, "ci-bot", "wrong") == 401
    assert requests.get(f"{zot.url}/v2/_catalog", timeout=10).status_code == 200  # anonymous read
    directory.remove_member("artifact-workloads", "ci-bot")
    assert upload(zot, "ci-bot") == 403  # zot asks the directory on every request


@pytest.mark.parametrize(
    "case",
    ["LDAPS without the CA", "a wrong bind password", "StartTLS without skip_verify"],
)
def test_what_logs_nobody_in(tmp_path, start_registry, directory, case):
    """Each case fails closed; the last is what build_config refuses (zot_ldap.start_tls)."""
    if case == "StartTLS without skip_verify":
        settings = directory.zot_ldap_settings(**dict(starttls(directory), skip_verify=False))
        with pytest.raises(zot_config.ZotConfigError, match=r"zot_ldap\.start_tls"):
            start_zot(start_registry, tmp_path, settings)
        return
    overrides = {"ca_cert": None} if case == "LDAPS without the CA" else {"bind_password": "wrong"}
    zot = start_zot(start_registry, tmp_path, directory.zot_ldap_settings(**overrides))
    assert upload(zot, "ci-bot") == 401
