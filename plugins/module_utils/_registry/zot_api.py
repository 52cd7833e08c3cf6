# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""Client for zot's own management API (``/zot/auth/...``), on top of RegistryClient.

Covers API keys: ``POST /zot/auth/apikey`` (201, the secret ``zak_...`` shown once),
``GET /zot/auth/apikey`` (``{"apiKeys": [...]}`` without secrets) and
``DELETE /zot/auth/apikey?id=<uuid>``. Every call acts for the identity the RegistryClient
authenticates as: basic credentials (password, LDAP, or another API key) or a ``session``
cookie from a login, which zot only honours with ``X-ZOT-API-CLIENT: zot-ui``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ansible_collections.zotops.registry.plugins.module_utils._registry.oci import OCIClient
from ansible_collections.zotops.registry.plugins.module_utils._registry.http_client import (
    RegistryHTTPError,
    client_from_params,
)

API_KEY_PATH = "/zot/auth/apikey"
API_KEY_PREFIX = "zak_"
SESSION_COOKIE = "session"
# Without this header zot ignores the session cookie and treats the caller as anonymous.
SESSION_CLIENT_HEADER = {"X-ZOT-API-CLIENT": "zot-ui"}

# zot marshals Go's zero time.Time for "never expires".
_GO_ZERO_YEAR = 1

# RFC 3339 as Go's time.RFC3339 parses it: a 'T', optional fraction, mandatory offset.
# Written out (not datetime.fromisoformat) so that nanosecond fractions and 'Z' parse on
# every Python a managed host may run.
_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))$"
)


class ZotApiError(Exception):
    """A zot API call failed; the message says why in zot's terms."""


def parse_rfc3339(text, field_name="timestamp"):
    """Parse an RFC 3339 timestamp into an aware datetime; ValueError names ``field_name``."""
    match = _RFC3339.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError(
            "%s must be an RFC 3339 timestamp with an offset, such as "
            "2030-01-31T00:00:00Z, got %r" % (field_name, text)
        )
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    offset = timedelta(0)
    if not zulu:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        if sign == "-":
            offset = -offset
    microsecond = int((fraction or "0")[:6].ljust(6, "0"))
    fields = (year, month, day, hour, minute, second)
    try:
        return datetime(*map(int, fields), microsecond, tzinfo=timezone(offset))
    except ValueError as exc:
        raise ValueError("%s is not a valid date: %r (%s)" % (field_name, text, exc)) from exc


def format_rfc3339(moment):
    """UTC RFC 3339 with whole seconds, a form zot's expirationDate parser accepts."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class ApiKey:
    """One API key as zot lists it (zot never lists the secret)."""

    uuid: str
    label: str
    created_at: datetime | None
    expires_at: datetime | None  # None: the key never expires
    marked_expired: bool = False  # zot's own isExpired flag
    last_used: datetime | None = None  # None: never used to log in

    def is_valid(self, now):
        """True while zot still accepts the key."""
        if self.marked_expired:
            return False
        return self.expires_at is None or self.expires_at > now

    def expiration_text(self):
        return None if self.expires_at is None else format_rfc3339(self.expires_at)

    def report(self, now):
        """What the module reports about the key: never a secret (zot does not list one)."""
        return {
            "uuid": self.uuid,
            "label": self.label,
            "created_at": _text_or_none(self.created_at),
            "expiration_date": self.expiration_text(),
            "last_used": _text_or_none(self.last_used),
            "expired": not self.is_valid(now),
        }


def _text_or_none(moment):
    return None if moment is None else format_rfc3339(moment)


def _go_time(entry, field_name):
    """An optional timestamp of zot's answer; Go's zero time.Time (year 1) means unset."""
    text = entry.get(field_name)
    moment = parse_rfc3339(text, field_name) if text else None
    return None if moment is None or moment.year == _GO_ZERO_YEAR else moment


def parse_api_key(entry):
    """Build an ApiKey from one JSON object of zot's key list or creation answer."""
    if not isinstance(entry, dict) or not entry.get("uuid"):
        raise ZotApiError("zot answered with an API key entry without a uuid: %r" % (entry,))
    try:
        created_at = _go_time(entry, "createdAt")
        expires_at = _go_time(entry, "expirationDate")
        last_used = _go_time(entry, "lastUsed")
    except ValueError as exc:
        raise ZotApiError("zot answered with an unreadable API key entry: %s" % exc) from exc
    return ApiKey(
        uuid=entry["uuid"],
        label=entry.get("label") or "",
        created_at=created_at,
        expires_at=expires_at,
        marked_expired=bool(entry.get("isExpired")),
        last_used=last_used,
    )


@dataclass(frozen=True)
class CreatedApiKey:
    """A key zot has just created: its listing plus the secret, which zot never shows again."""

    key: ApiKey
    secret: str


class ZotApi:
    """zot's API-key endpoints for the identity ``client`` authenticates as.

    ``identity`` names that identity in error messages ("authentication as alice failed").
    """

    def __init__(self, client, identity, logs_in_with_api_key=False):
        self.client = client
        self.identity = identity
        # True when the client's basic password is itself an API key of the owner.
        self.logs_in_with_api_key = logs_in_with_api_key

    def _call(self, method, params=None, body=None, expected=None):
        data = None if body is None else json.dumps(body)
        headers = {"Content-Type": "application/json"} if body is not None else None
        try:
            return self.client.request(
                method, API_KEY_PATH, params=params, data=data, headers=headers, expected=expected
            )
        except RegistryHTTPError as exc:
            raise ZotApiError(self._explain(method, exc)) from exc

    def _explain(self, method, exc):
        where = "%s %s" % (method, API_KEY_PATH)
        if exc.status == 401:
            how = "the session cookie" if self._uses_session() else "basic auth"
            return "%s: authentication as %s with %s failed (HTTP 401)" % (
                where,
                self.identity,
                how,
            )
        if exc.status == 403:
            return "%s: zot denied %s (HTTP 403)" % (where, self.identity)
        if exc.status in (404, 405):
            return (
                "%s answered HTTP %s: API keys are disabled on this registry; set "
                "http.auth.apikey: true in zot's config" % (where, exc.status)
            )
        if exc.status == 500 and self._uses_session():
            # An expired session on a registry with an anonymous policy reaches the handler
            # as the anonymous user, which zot refuses with a bare 500.
            return (
                "%s answered HTTP 500: the session cookie is probably expired or invalid "
                "(zot treats the caller as anonymous); log in again" % where
            )
        return "zot API call failed: %s" % exc.message

    def _uses_session(self):
        return SESSION_COOKIE in self.client.cookies

    def list_api_keys(self):
        """Every API key of the identity, as ApiKey objects."""
        payload = self._call("GET", expected=200).json()
        entries = payload.get("apiKeys") if isinstance(payload, dict) else None
        if not isinstance(entries, list):
            raise ZotApiError("GET %s: answer has no apiKeys list: %r" % (API_KEY_PATH, payload))
        return [parse_api_key(entry) for entry in entries]

    def create_api_key(self, label, scopes, expiration_date):
        """Create a key; ``expiration_date`` is RFC 3339 text, None for one that never expires."""
        body = {
            "label": label,
            "scopes": list(scopes or []),
            "expirationDate": expiration_date or "",
        }
        payload = self._call("POST", body=body, expected=201).json()
        secret = payload.get("apiKey") if isinstance(payload, dict) else None
        if not secret or not secret.startswith(API_KEY_PREFIX):
            raise ZotApiError("POST %s: answer carries no %s... key" % (API_KEY_PATH, API_KEY_PREFIX))
        return CreatedApiKey(key=parse_api_key(payload), secret=secret)

    def revoke_api_key(self, uuid):
        self._call("DELETE", params={"id": uuid}, expected=200)

    def _basic_client(self, username, secret):
        """A client for the same registry, logging in with basic ``username:secret``."""
        return self.client.as_user(username, secret)

    def key_authenticates(self, username, secret):
        """True when ``GET /v2/`` with basic ``username:secret`` answers 200.

        ``/v2/`` needs authentication but no authorization, so this proves the key and the
        username fit together whatever the access policy grants.
        """
        try:
            response = OCIClient(self._basic_client(username, secret)).ping()
        except RegistryHTTPError as exc:
            raise ZotApiError("checking the new API key failed: %s" % exc.message) from exc
        return response.status == 200

    def adopt_key(self, username, secret):
        """Log in with a new, verified key from now on when the current login is an API key.

        Rotation revokes the old keys, possibly the very key this client logs in with; without
        the switch, the revocations after that one would fail with 401.
        """
        if self.logs_in_with_api_key:
            self.client = self._basic_client(username, secret)


def zot_api_from_params(params):
    """A ZotApi for module params: basic ``username``/``password``, or the ``session`` cookie
    (then ``username`` only names the identity; the cookie is what authenticates)."""
    session = params.get("session")
    client = client_from_params(dict(params, username=None, password=None) if session else params)
    if session:
        client.headers.update(SESSION_CLIENT_HEADER)
        client.cookies[SESSION_COOKIE] = session
    password = "" if session else params.get("password") or ""
    return ZotApi(
        client,
        identity=params["username"],
        logs_in_with_api_key=password.startswith(API_KEY_PREFIX),
    )
