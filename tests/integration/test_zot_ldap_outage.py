# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""zot's own LDAP login when the LDAP server is gone (real slapd, stopped): zot v2.1.20
retries it for about 28 s per login it cannot check, one login at a time, and then refuses
it; the checklist's fail_delay probe names that cause instead of reporting timings alone.

Bounded: one login that waits out zot's retries (about 30 s)."""

import pytest
import requests

from ansible_collections.zotops.registry.plugins.module_utils._checks.checklist import run_checklist
from harness.zot import htpasswd_line
from tests.support import ldap_directory as ldap
from tests.support.policies import role_default_access_control

pytestmark = pytest.mark.integration

ADMIN = ("admin", "admin-outage-password")
PUSHER = "ci-bot"


@pytest.fixture
def zot_with_ldap_gone(tmp_path, start_registry):
    """zot with htpasswd (the admin) and zot's LDAP login, whose slapd has been stopped."""
    directory = ldap.start_ldap_directory(tmp_path / "ldap")
    try:
        section, files = ldap.zot_ldap_auth(directory.zot_ldap_settings())
        files["htpasswd"] = htpasswd_line(*ADMIN) + "\n"
        config = {
            "http": {
                "auth": {"ldap": section, "htpasswd": {"path": "{tmp}/htpasswd"}, "failDelay": 1},
                "accessControl": role_default_access_control({"artifact-admins": [ADMIN[0]]}),
            },
            "log": {"level": "error"},
        }
        zot = start_registry(tmp_path / "zot", config, files)
        person = (PUSHER, ldap.PEOPLE[PUSHER][0])
        assert requests.get(f"{zot.url}/v2/", auth=person, timeout=30).status_code == 200
    finally:
        directory.stop()
    return zot


def test_fail_delay_probe_names_the_unreachable_ldap_server(zot_with_ldap_gone):
    zot = zot_with_ldap_gone
    # htpasswd is asked before LDAP: its people still log in.
    assert requests.get(f"{zot.url}/v2/", auth=ADMIN, timeout=30).status_code == 200

    outcome = run_checklist(
        {
            "url": zot.url,
            "repository": "zotops/registry-check",
            "access_control": role_default_access_control(),
            "pusher": {"username": PUSHER, "password": ldap.PEOPLE[PUSHER][0], "groups": []},
            "fail_delay": 1,
            "checks": ["fail_delay"],
        }
    )

    (check,) = [item for item in outcome["checks"] if item["name"] == "fail_delay"]
    assert check["status"] == "failed", check
    assert "the good login got HTTP 401" in check["observed"], check
    assert "LDAP server it cannot reach" in check["observed"], check
