# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""Whose API keys a run revokes: the local users it removes or whose secret it changes.

zot v2.1.20 checks only an API key's hash and expiry, never its owner's htpasswd entry
(pkg/api/authn.go basicAuthn), and lets only the owner list and revoke its keys (routes.go
GetAPIKeys, RevokeAPIKey). A key therefore outlives a password change and the owner's removal,
and once the owner is gone nobody can revoke it. So the role revokes every key of a user it
removes while the user's current secret still logs in (before the new htpasswd is written),
and of a user whose secret it changes once the new secret is live.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.zotops.registry.plugins.plugin_utils._zot import htpasswd


class KeyOwnerError(ValueError):
    """A removed user's keys cannot be revoked; the message names the user."""


def removed_names(current_htpasswd, users):
    """Names in the live htpasswd that `users` no longer lists."""
    listed = {user.get("name") for user in users or []}
    return sorted(set(htpasswd.parse_htpasswd(current_htpasswd)) - listed)


def removed_owners(current_htpasswd, users, removed_users=None):
    """[{name, password}] of the users of the live htpasswd that `users` no longer lists, each
    with the secret it logs in with now, from its entry of zot_htpasswd_removed_users."""
    given = {
        entry.get("name"): entry.get("password") for entry in removed_users or [] if isinstance(entry, dict)
    }
    owners = []
    for name in removed_names(current_htpasswd, users):
        secret = given.get(name)
        if not secret:
            raise KeyOwnerError(
                "zot_htpasswd_users: %s is being removed, but its API keys would keep working (zot "
                "checks only the key, and only its owner may revoke it): list it in "
                "zot_htpasswd_removed_users with its current password, so the role revokes its "
                "keys first" % name
            )
        owners.append({"name": name, "password": secret})
    return owners


def rotated_owners(current_htpasswd, users, generated=None):
    """[{name, password}] of the listed users whose live hash does not match the password they
    are given (`generated`: {name: secret} of machine users without one): this run changes
    their secret."""
    live = htpasswd.parse_htpasswd(current_htpasswd)
    users = htpasswd.with_generated_secrets(users, generated or {})
    return [
        {"name": user["name"], "password": user["password"]}
        for user in users or []
        if user["name"] in live and not htpasswd.password_matches(user["password"], live[user["name"]])
    ]
