# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Whose API keys a run revokes (plugins/plugin_utils/_zot/key_owners.py)."""

import pytest

from ansible_collections.zotops.registry.plugins.plugin_utils._zot import key_owners
from ansible_collections.zotops.registry.plugins.plugin_utils._zot.htpasswd import hash_password

LIVE = "".join(
    "%s:%s\n" % (name, hash_password(secret, 4))
    for name, secret in (("ci", "old-ci"), ("leaver", "leaver-pw"), ("bot", "b" * 43))
)


def test_a_removed_user_is_revoked_with_the_password_given_for_it():
    owners = key_owners.removed_owners(
        LIVE, [{"name": "ci"}, {"name": "bot"}], [{"name": "leaver", "password": "pw"}]
    )
    assert owners == [{"name": "leaver", "password": "pw"}]


def test_a_removed_user_without_its_password_is_refused_naming_it():
    with pytest.raises(
        key_owners.KeyOwnerError,
        match=r"^zot_htpasswd_users: leaver is being removed, .*zot_htpasswd_removed_users",
    ):
        key_owners.removed_owners(
            LIVE, [{"name": "ci"}, {"name": "bot"}], [{"name": "someone-else", "password": "x"}]
        )


def test_nothing_is_removed_on_a_fresh_host_or_when_every_user_stays():
    assert key_owners.removed_owners("", [{"name": "ci"}]) == []
    assert key_owners.removed_owners(LIVE, [{"name": "ci"}, {"name": "leaver"}, {"name": "bot"}]) == []


def test_only_users_whose_secret_changes_are_rotated():
    users = [
        {"name": "ci", "password": "new-ci"},  # rotated
        {"name": "leaver", "password": "leaver-pw"},  # same password (a cost change alone is no rotation)
        {"name": "bot", "machine": True},  # its generated secret, unchanged
        {"name": "newcomer", "password": "x"},  # not live yet: no keys
    ]
    owners = key_owners.rotated_owners(LIVE, users, {"bot": "b" * 43})
    assert owners == [{"name": "ci", "password": "new-ci"}]
    assert key_owners.rotated_owners(LIVE, users[2:], {"bot": "c" * 43}) == [
        {"name": "bot", "password": "c" * 43}
    ]
