# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""An in-memory stand-in for zot's API-key endpoints (the ZotApi interface) for unit tests."""

from datetime import datetime, timedelta, timezone

from ansible_collections.zotops.registry.plugins.module_utils._registry.zot_api import (
    ApiKey,
    CreatedApiKey,
    ZotApiError,
)

NOW = datetime(2030, 6, 1, 12, 0, 0, tzinfo=timezone.utc)


def key(uuid, label="ci", created_days_ago=10, expires_in_days=None, marked_expired=False, now=NOW):
    """An ApiKey whose dates are relative to ``now``."""
    return ApiKey(
        uuid=uuid,
        label=label,
        created_at=now - timedelta(days=created_days_ago),
        expires_at=None if expires_in_days is None else now + timedelta(days=expires_in_days),
        marked_expired=marked_expired,
    )


class FakeZotApi:
    """Keeps keys in memory like zot does; records every mutating call."""

    def __init__(self, keys=(), authenticates=True, failing_revoke=None):
        self.keys = list(keys)
        self.authenticates = authenticates
        self.failing_revoke = failing_revoke
        self.calls = []

    def list_api_keys(self):
        return list(self.keys)

    def create_api_key(self, label, scopes, expiration_date):
        self.calls.append(("create", label, tuple(scopes or ()), expiration_date))
        expires_at = None
        if expiration_date:
            expires_at = datetime.strptime(expiration_date, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        new = ApiKey("new-%d" % len(self.calls), label, NOW, expires_at)
        self.keys.append(new)
        return CreatedApiKey(key=new, secret="zak_" + "0" * 32)

    def revoke_api_key(self, uuid):
        self.calls.append(("revoke", uuid))
        if uuid == self.failing_revoke:
            raise ZotApiError("DELETE failed: HTTP 500")
        self.keys = [k for k in self.keys if k.uuid != uuid]

    def adopt_key(self, username, secret):
        self.calls.append(("adopt", username, secret))

    def key_authenticates(self, username, secret):
        self.calls.append(("login", username, secret))
        return self.authenticates
