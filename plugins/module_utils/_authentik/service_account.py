# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""Authentik service accounts, for the authentik_service_account module.

Authentik creates a service account together with its app-password token and shows the token
only in that one response, so an existing account is never recreated or changed here.
"""

from ansible_collections.zotops.registry.plugins.module_utils._authentik.api import AuthentikError

USERS_PATH = "/core/users/"
SERVICE_ACCOUNT_PATH = "/core/users/service_account/"


def ensure_service_account(api, name, expiring, check_mode):
    """(changed, user, token); ``token`` is set only when the account was created now."""
    user = api.find_one(USERS_PATH, username=name)
    if user is not None:
        if user.get("type") != "service_account":
            raise AuthentikError(
                "name: user %r exists but is a %r user, not a service account" % (name, user.get("type"))
            )
        return False, user, None
    if check_mode:
        return True, {"username": name, "type": "service_account"}, None
    created = api.call(
        "POST",
        SERVICE_ACCOUNT_PATH,
        body={"name": name, "create_group": False, "expiring": expiring},
        expected=200,
    )
    return (
        True,
        api.require_one(USERS_PATH, "user", username=created["username"]),
        created["token"],
    )
