# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""Authentik REST API (``/api/v3``) access for the authentik_* modules.

Runs on the managed host: standard library and ansible.module_utils only. HTTP goes through
the collection's one client (_registry/http_client.RegistryClient) with a Bearer token header.

The modules share one shape: look an object up by a filtered GET that must return 0 or 1
result, then create it or PATCH only the fields that differ (``ensure_object``).
"""

import json
import re

from ansible.module_utils.basic import env_fallback
from ansible_collections.zotops.registry.plugins.module_utils._registry.http_client import (
    RegistryClient,
    RegistryHTTPError,
)

# What diffs and results show instead of a secret value.
SECRET_PLACEHOLDER = "********"  # noqa: S105 - the mask, not a secret

# The one release line these modules speak and are tested against (real authentik 2025.12.4,
# tests/integration/test_authentik_client.py). Its API format is not versioned, so another
# release is refused rather than sent requests written for this one.
SUPPORTED_RELEASE = (2025, 12)


def authentik_argument_spec():
    """Options every authentik_* module takes (documented in doc_fragments/authentik.py)."""
    return dict(
        url=dict(type="str", required=True, fallback=(env_fallback, ["AUTHENTIK_URL"])),
        token=dict(type="str", required=True, no_log=True, fallback=(env_fallback, ["AUTHENTIK_TOKEN"])),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
    )


class AuthentikError(Exception):
    """A failed Authentik call, with a message that names the request and the field."""


def parse_version(text):
    """``"2024.8.3"`` -> (2024, 8, 3); AuthentikError when it is not a release number."""
    match = re.match(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?", text or "")
    if not match:
        raise AuthentikError("cannot read Authentik version from %r" % (text,))
    return tuple(int(part or 0) for part in match.groups())


def blank_secrets(value, secret_keys):
    """A copy of ``value`` (dict/list tree) with every key in ``secret_keys`` blanked."""
    if isinstance(value, dict):
        return {
            key: (
                SECRET_PLACEHOLDER
                if key in secret_keys and item not in (None, "")
                else blank_secrets(item, secret_keys)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [blank_secrets(item, secret_keys) for item in value]
    return value


def _error_detail(body):
    """Authentik's error body (``{"field": ["msg"]}`` or ``{"detail": "..."}``) as one line."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, AttributeError):
        return (body or b"")[:300].decode("utf-8", "replace").strip()
    if isinstance(payload, dict):
        parts = []
        for field, messages in payload.items():
            if isinstance(messages, list):
                messages = "; ".join(str(m) for m in messages)
            parts.append(str(messages) if field == "detail" else "%s: %s" % (field, messages))
        return ", ".join(parts)
    return str(payload)


class AuthentikAPI:
    """Thin wrapper over RegistryClient for ``<url>/api/v3``."""

    def __init__(self, url, token, validate_certs=True, ca_path=None, timeout=30):
        self.http = RegistryClient(
            url.rstrip("/") + "/api/v3",
            validate_certs=validate_certs,
            ca_path=ca_path,
            timeout=timeout,
            headers={"Authorization": "Bearer " + token, "Accept": "application/json"},
            # The API token is the only credential: a Bearer challenge (Authentik sends none;
            # a proxy in front of it might) must not swap it for a token from another realm.
            follow_challenges=False,
        )
        self._version = None

    @classmethod
    def from_module(cls, module):
        """The API of the module's server; AuthentikError when its release is not supported."""
        params = module.params
        api = cls(
            params["url"],
            params["token"],
            validate_certs=params["validate_certs"],
            ca_path=params["ca_path"],
        )
        api.version()
        return api

    def call(self, method, path, params=None, body=None, expected=None):
        """One request; returns the decoded JSON body (None when there is none)."""
        headers = None
        data = None
        if body is not None:
            data = json.dumps(body)
            headers = {"Content-Type": "application/json"}
        try:
            resp = self.http.request(
                method, path, params=params, data=data, headers=headers, expected=expected
            )
        except RegistryHTTPError as exc:
            if exc.status in (401, 403):
                raise AuthentikError(
                    "%s %s: Authentik refused the token (HTTP %s): %s"
                    % (method, path, exc.status, _error_detail(exc.body))
                ) from exc
            if exc.status is None:
                raise AuthentikError(exc.message) from exc
            raise AuthentikError(
                "%s %s failed (HTTP %s): %s" % (method, path, exc.status, _error_detail(exc.body))
            ) from exc
        return resp.json() if resp.body else None

    def version(self):
        """The server's release as a tuple, read once from ``/admin/version/``."""
        if self._version is None:
            current = self.call("GET", "/admin/version/")["version_current"]
            version = parse_version(current)
            if version[:2] != SUPPORTED_RELEASE:
                raise AuthentikError(
                    "Authentik %s is not supported: these modules support Authentik %d.%d only"
                    % ((current,) + SUPPORTED_RELEASE)
                )
            self._version = version
        return self._version

    def find_one(self, path, **filters):
        """The single object matching ``filters`` at list endpoint ``path``, or None.

        More than one match is an error naming the filter: acting on an arbitrary one of
        several objects would make the module's result depend on database order.
        """
        page = self.call("GET", path, params=filters)
        results = page.get("results", [])
        count = page.get("pagination", {}).get("count", len(results))
        if count > 1 or len(results) > 1:
            raise AuthentikError(
                "GET %s?%s matched %s objects; expected at most one"
                % (path, _describe(filters), max(count, len(results)))
            )
        return results[0] if results else None

    def require_one(self, path, what, **filters):
        """Like find_one, but a missing object is an error naming ``what`` and the filter."""
        found = self.find_one(path, **filters)
        if found is None:
            raise AuthentikError("no %s found at %s?%s" % (what, path, _describe(filters)))
        return found


def _describe(filters):
    return "&".join("%s=%s" % item for item in sorted(filters.items()))


def changed_fields(desired, existing, normalize=None):
    """The items of ``desired`` whose value differs from ``existing``.

    ``normalize`` maps a field name to a function applied to both sides before comparing
    (e.g. order-insensitive lists); a field absent from ``existing`` always differs.
    """
    normalize = normalize or {}
    diff = {}
    for key, want in desired.items():
        if key not in existing:
            diff[key] = want
            continue
        canon = normalize.get(key, lambda value: value)
        if canon(want) != canon(existing[key]):
            diff[key] = want
    return diff


def ensure_object(api, list_path, lookup, desired, detail_key, check_mode, normalize=None):
    """Create the object found by ``lookup`` at ``list_path`` or PATCH what differs.

    ``detail_key`` names the field that addresses the object (``pk`` or ``slug``).
    Returns ``(changed, before, after)``; ``before`` is None on creation. In check mode
    ``after`` is the predicted object and nothing is sent.
    """
    existing = api.find_one(list_path, **lookup)
    if existing is None:
        if check_mode:
            return True, None, dict(desired)
        return True, None, api.call("POST", list_path, body=desired, expected=201)
    diff = changed_fields(desired, existing, normalize)
    if not diff:
        return False, existing, existing
    if check_mode:
        return True, existing, dict(existing, **diff)
    detail_path = "%s%s/" % (list_path, existing[detail_key])
    return True, existing, api.call("PATCH", detail_path, body=diff, expected=200)


def object_diff(before, after, keys, secret_keys=()):
    """Ansible ``diff`` dict restricted to ``keys``, secrets blanked.

    A secret that changes is shown as a placeholder on both sides with a marker on the
    new one, so the diff says that it changed without saying what it was or became.
    """

    def pick(obj):
        if obj is None:
            return {}
        return blank_secrets({k: obj.get(k) for k in keys if k in obj}, set(secret_keys))

    diff = {"before": pick(before), "after": pick(after)}
    for key in secret_keys:
        if before and after and before.get(key) != after.get(key) and after.get(key):
            diff["after"][key] = SECRET_PLACEHOLDER + " (changed)"
    return diff
