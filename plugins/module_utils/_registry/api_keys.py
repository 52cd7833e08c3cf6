# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""Decide and carry out the life cycle of one labelled zot API key.

zot identifies API keys by a uuid and shows the secret only once, at creation. A key is made
idempotent by its label: keep a valid key; create one when it is missing, expired or about to
expire; revoke older keys with the label only after the new key has proven that it
authenticates. ``plan_api_key`` decides (pure: the key list and the clock in, a KeyPlan out);
``ensure_api_key`` carries a plan out against a ZotApi and shapes the module result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ansible_collections.zotops.registry.plugins.module_utils._registry.zot_api import (
    ZotApiError,
    format_rfc3339,
    parse_rfc3339,
)

# Shown in check-mode diffs where the uuid of a key zot has not created yet would be.
NEW_KEY_PLACEHOLDER = "(new key)"

# The collection's default key lifetime policy (docs/security-model.md says why): keys live
# 90 days and are replaced once 30 or fewer are left, so a monthly rotation job that misses
# a run or two still replaces a key well before it stops working.
DEFAULT_EXPIRATION_DAYS = 90
DEFAULT_ROTATE_BEFORE_DAYS = 30
# The longest a key of the owner may live from now (0: no limit). zot accepts keys without an
# expiry (it stores Go's zero time), and such a key works whatever happens to its owner's
# password; a key over the limit is refused when asked for and revoked when found.
DEFAULT_MAX_LIFETIME_DAYS = DEFAULT_EXPIRATION_DAYS
# The ``expiration`` value that asks for a key that never expires (and is never rotated).
NEVER = "never"


class ApiKeyError(Exception):
    """A life cycle step failed. ``result`` is what had happened by then (it may hold the
    secret of a key that was created before the failure, so the caller can still return it).
    """

    def __init__(self, message, result=None):
        super().__init__(message)
        self.result = result or {}


def resolve_expiration(expiration, now, rotate_before_days, max_lifetime_days=0):
    """Turn the ``expiration`` option into the moment a new key expires (None: never).

    ``expiration`` is a number of days from now (an int or a string of digits), an RFC 3339
    timestamp, or ``never``. It must lie beyond the rotation window, or every run would rotate
    the key, and within ``max_lifetime_days`` of now (0: no limit).
    """
    expires_at = _expiration_moment(expiration, now, rotate_before_days)
    if max_lifetime_days and (expires_at is None or expires_at > now + timedelta(days=max_lifetime_days)):
        raise ValueError(
            "expiration %s is longer than max_lifetime_days (%d): a key must expire within %d "
            "days (max_lifetime_days: 0 allows keys that never expire)"
            % (expiration if expires_at else NEVER, max_lifetime_days, max_lifetime_days)
        )
    return expires_at


def _expiration_moment(expiration, now, rotate_before_days):
    if expiration is None or expiration == "" or expiration == NEVER:
        return None
    if isinstance(expiration, bool):
        raise ValueError("expiration must be a number of days or an RFC 3339 timestamp")
    if isinstance(expiration, int) or (isinstance(expiration, str) and expiration.isdigit()):
        days = int(expiration)
        if days <= rotate_before_days:
            raise ValueError(
                "expiration (%d days) must be more than rotate_before_days (%d), or every run "
                "would rotate the key" % (days, rotate_before_days)
            )
        return now + timedelta(days=days)
    expires_at = parse_rfc3339(expiration, "expiration")
    if expires_at <= now + timedelta(days=rotate_before_days):
        raise ValueError(
            "expiration %s is in the past or within rotate_before_days (%d) of now, so a new "
            "key would be rotated again at once" % (expiration, rotate_before_days)
        )
    return expires_at


@dataclass(frozen=True)
class KeyPlan:
    """What one run does with the keys of one label.

    ``create``: make a new key, then revoke ``revoke`` once the new key authenticates.
    ``keep``: the key left in place when nothing is created.
    ``revoke``: keys to delete. ``duplicates``: other keys with the label left in place.
    """

    create: bool
    reason: str
    keep: object = None
    revoke: tuple = ()
    duplicates: tuple = ()

    @property
    def changed(self):
        return self.create or bool(self.revoke)


def _newest_first(keys):
    """Newest creation first; among keys created at the same moment, the longest-lived first."""
    oldest = datetime.min.replace(tzinfo=timezone.utc)
    never = datetime.max.replace(tzinfo=timezone.utc)

    def age(key):
        return (key.created_at or oldest, key.expires_at or never)

    return sorted(keys, key=age, reverse=True)


def overlived_keys(keys, now, max_lifetime_days):
    """The owner's valid keys that would live longer than ``max_lifetime_days`` from now
    (never-expiring ones included), whatever their label; none without a limit."""
    if not max_lifetime_days:
        return ()
    limit = now + timedelta(days=max_lifetime_days)
    return tuple(
        key for key in keys if key.is_valid(now) and (key.expires_at is None or key.expires_at > limit)
    )


def plan_api_key(keys, label, state, now, rotate_before_days, max_lifetime_days=0):
    """Decide what to do with the keys labelled ``label`` (every key of the owner when
    ``label`` is None, which only state absent allows); every key of the owner that outlives
    ``max_lifetime_days`` is revoked as well.

    ``keys`` are ApiKey objects (zot's list for the owner), ``now`` an aware datetime.
    """
    overlived = overlived_keys(keys, now, max_lifetime_days)
    plan = _plan_label(keys, label, state, now, rotate_before_days, overlived)
    extra = tuple(key for key in _newest_first(overlived) if key not in plan.revoke)
    if not extra:
        return plan
    return KeyPlan(
        create=plan.create,
        reason="%s; %d key(s) outlive max_lifetime_days (%d)" % (plan.reason, len(extra), max_lifetime_days),
        keep=plan.keep,
        revoke=plan.revoke + extra,
        duplicates=tuple(key for key in plan.duplicates if key not in extra),
    )


def _plan_label(keys, label, state, now, rotate_before_days, overlived):
    labelled = _newest_first([key for key in keys if label is None or key.label == label])
    if state == "absent":
        if not labelled:
            return KeyPlan(create=False, reason="no key with this label")
        return KeyPlan(create=False, reason="state is absent", revoke=tuple(labelled))

    if not labelled:
        return KeyPlan(create=True, reason="no key with this label")
    valid = [key for key in labelled if key.is_valid(now) and key not in overlived]
    if not valid:
        return KeyPlan(create=True, reason="every key with this label has expired", revoke=tuple(labelled))
    newest = valid[0]
    if newest.expires_at is not None and newest.expires_at <= now + timedelta(days=rotate_before_days):
        return KeyPlan(
            create=True,
            reason="key %s expires %s, within rotate_before_days (%d)"
            % (newest.uuid, newest.expiration_text(), rotate_before_days),
            revoke=tuple(labelled),
        )
    others = tuple(key for key in labelled if key is not newest)
    return KeyPlan(create=False, reason="key is valid", keep=newest, duplicates=others)


def _diff_entry(uuid, expiration_date):
    return {"uuid": uuid, "expiration_date": expiration_date}


def ensure_api_key(
    api,
    *,
    label,
    state,
    username,
    scopes=None,
    expiration=DEFAULT_EXPIRATION_DAYS,
    rotate_before_days=DEFAULT_ROTATE_BEFORE_DAYS,
    max_lifetime_days=DEFAULT_MAX_LIFETIME_DAYS,
    all_labels=False,
    check_mode=False,
    now=None,
):
    """Bring the keys labelled ``label`` to ``state`` and return the module result.

    ``api`` is a ZotApi acting as the key's owner; ``username`` is the identity CI sends with
    the key (checked by a login with the new key before any older key is revoked).
    ``all_labels`` (state absent only, without a label) revokes every key of the owner.
    Raises ValueError for bad options, ZotApiError for API failures and ApiKeyError when a
    step fails after something was changed.
    """
    if all_labels:
        if state != "absent" or label:
            raise ValueError("all_labels needs state absent and no label (it revokes every key of the owner)")
        label = None
    elif not label or not label.strip():
        # zot's UI lets keys go without a label; an empty label would manage all of those.
        raise ValueError("label must not be empty (use all_labels to revoke every key of the owner)")
    now = now or datetime.now(timezone.utc)
    expires_at = None
    if state == "present":
        expires_at = resolve_expiration(expiration, now, rotate_before_days, max_lifetime_days)
    keys = api.list_api_keys()
    plan = plan_api_key(keys, label, state, now, rotate_before_days, max_lifetime_days)
    labelled = _newest_first([key for key in keys if label is None or key.label == label])

    result = {
        "changed": plan.changed,
        "label": label,
        "username": username,
        "reason": plan.reason,
        "uuid": plan.keep.uuid if plan.keep else None,
        "expiration_date": plan.keep.expiration_text() if plan.keep else None,
        "rotated": plan.create and bool(plan.revoke),
        "revoked": [key.uuid for key in plan.revoke],
        "duplicates": [key.uuid for key in plan.duplicates],
    }
    before = [_diff_entry(key.uuid, key.expiration_text()) for key in labelled]
    after = [entry for entry in before if entry["uuid"] not in result["revoked"]]
    if plan.create:
        result["expiration_date"] = None if expires_at is None else format_rfc3339(expires_at)
        after.insert(0, _diff_entry(NEW_KEY_PLACEHOLDER, result["expiration_date"]))
    result["diff"] = {"before": {"label": label, "keys": before}}

    remaining = [key for key in keys if key.uuid not in result["revoked"]]
    result["keys"] = [key.report(now) for key in _newest_first(remaining)]
    if plan.create and not check_mode:
        created = _create_verified_key(api, label, scopes, result["expiration_date"], username)
        result["api_key"] = created.secret
        result["uuid"] = created.key.uuid
        result["expiration_date"] = created.key.expiration_text()
        result["keys"].insert(0, created.key.report(now))
        after[0] = _diff_entry(created.key.uuid, result["expiration_date"])
    if plan.revoke and not check_mode:
        _revoke_all(api, plan.revoke, result)
    result["diff"]["after"] = {"label": label, "keys": after}
    return result


def _create_verified_key(api, label, scopes, expiration_date, username):
    """Create a key and prove it logs in as ``username``; a key that does not is revoked."""
    created = api.create_api_key(label, scopes, expiration_date)
    if not api.key_authenticates(username, created.secret):
        api.revoke_api_key(created.key.uuid)
        raise ApiKeyError(
            "the new API key %s does not authenticate as %r (GET /v2/ answered 401), so it "
            "was revoked and older keys were kept. username must be the identity zot gave "
            "the key's owner (for OpenID logins, the claimMapping.username claim)"
            % (created.key.uuid, username)
        )
    api.adopt_key(username, created.secret)
    return created


def _revoke_all(api, keys, result):
    for key in keys:
        try:
            api.revoke_api_key(key.uuid)
        except ZotApiError as exc:
            done = result["revoked"][: result["revoked"].index(key.uuid)]
            raise ApiKeyError(
                "revoking API key %s failed (revoked so far: %s): %s"
                % (key.uuid, ", ".join(done) or "none", exc),
                result=dict(result, revoked=done),
            ) from exc
