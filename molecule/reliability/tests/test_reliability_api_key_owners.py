# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""API keys do not outlive their owner's password or account. zot v2.1.20 checks only an API
key, never its owner's htpasswd entry, and lets only the owner revoke it. With API keys on, a
converge that removes a local user revokes its keys first, with the password
zot_htpasswd_removed_users gives, and refuses the removal without it (host unchanged); a
converge that changes a user's password revokes its keys once the new one is live."""

from datetime import datetime, timedelta, timezone

import pytest
import reliability_host as rh
from ansible_collections.zotops.registry.plugins.module_utils._registry.http_client import RegistryClient
from ansible_collections.zotops.registry.plugins.module_utils._registry.oci import OCIClient
from ansible_collections.zotops.registry.plugins.module_utils._registry.zot_api import ZotApi, format_rfc3339
from test_reliability_bad_inputs import USERS

# Converge after converge: the slow series.
pytestmark = pytest.mark.extended

# Test values, not secrets of the inventory.
LEAVER = {"name": "leaver", "password": "leaver-password-0123456789"}
ROTATOR = {"name": "rotator", "password": "rotator-password-0123456789"}
ROTATED = {"name": "rotator", "password": "rotator-password-changed-0123456789"}
SECRETS = [LEAVER["password"], ROTATOR["password"], ROTATED["password"]]


def converge(inventory, users, **extra):
    settings = dict({"zot_api_keys_enabled": True, "zot_htpasswd_users": USERS + users}, **extra)
    return rh.run_playbook(inventory, settings, extra_secrets=SECRETS)


def api_key(user):
    owner = ZotApi(RegistryClient(rh.URL, username=user["name"], password=user["password"]), user["name"])
    expires = format_rfc3339(datetime.now(timezone.utc) + timedelta(days=30))
    return owner.create_api_key("ci", [], expires).secret


def login(name, secret):
    return OCIClient(RegistryClient(rh.URL, username=name, password=secret)).ping().status


def test_removed_and_rotated_users_lose_their_api_keys(inventory, host_state):
    try:
        started = converge(inventory, [LEAVER, ROTATOR])
        assert started.returncode == 0, started
        leaver_key, rotator_key = api_key(LEAVER), api_key(ROTATOR)

        before = rh.fingerprint()
        refused = converge(inventory, [ROTATOR])
        assert refused.returncode != 0
        assert "zot_htpasswd_users: leaver is being removed" in refused.output
        assert "zot_htpasswd_removed_users" in refused.output
        assert rh.fingerprint() == before and login("leaver", leaver_key) == 200

        changed = converge(inventory, [ROTATED], zot_htpasswd_removed_users=[LEAVER])
        assert changed.returncode == 0, changed
        assert login("leaver", leaver_key) == 401 and login("leaver", LEAVER["password"]) == 401
        assert login("rotator", rotator_key) == 401 and login("rotator", ROTATED["password"]) == 200
    finally:
        host_state.restore()
