# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Life cycle decisions for labelled zot API keys: plan_api_key, resolve_expiration, and
ensure_api_key against an in-memory stand-in for zot's key endpoints."""

from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.zotops.registry.plugins.module_utils._registry.api_keys import (
    DEFAULT_EXPIRATION_DAYS,
    DEFAULT_ROTATE_BEFORE_DAYS,
    NEW_KEY_PLACEHOLDER,
    ApiKeyError,
    ensure_api_key,
    overlived_keys,
    plan_api_key,
    resolve_expiration,
)
from ansible_collections.zotops.registry.tests.unit.plugins.module_utils._registry.zot_api_fake import (
    NOW,
    FakeZotApi,
    key,
)

# --- plan_api_key ---------------------------------------------------------------------------


def test_missing_key_is_created():
    plan = plan_api_key([key("other", label="deploy")], "ci", "present", NOW, 14)
    assert plan.create and plan.changed
    assert plan.revoke == () and plan.keep is None


def test_valid_key_is_kept_without_change():
    kept = key("a", expires_in_days=60)
    plan = plan_api_key([kept], "ci", "present", NOW, 14)
    assert not plan.changed
    assert plan.keep == kept


def test_never_expiring_key_is_never_rotated():
    plan = plan_api_key([key("a", created_days_ago=5000)], "ci", "present", NOW, 14)
    assert not plan.changed


def test_key_inside_rotation_window_is_replaced_and_revoked():
    old = key("a", expires_in_days=10)
    plan = plan_api_key([old], "ci", "present", NOW, 14)
    assert plan.create
    assert plan.revoke == (old,)
    assert "within rotate_before_days" in plan.reason


def test_rotation_window_boundary_counts_as_inside():
    plan = plan_api_key([key("a", expires_in_days=14)], "ci", "present", NOW, 14)
    assert plan.create
    plan = plan_api_key([key("a", expires_in_days=15)], "ci", "present", NOW, 14)
    assert not plan.create


def test_expired_keys_are_replaced_whether_by_date_or_by_zot_flag():
    by_date = key("a", expires_in_days=-1)
    by_flag = key("b", expires_in_days=100, marked_expired=True)
    plan = plan_api_key([by_date, by_flag], "ci", "present", NOW, 14)
    assert plan.create
    assert {k.uuid for k in plan.revoke} == {"a", "b"}


def test_several_keys_keep_the_newest_valid_and_report_the_rest():
    newest_valid = key("new", created_days_ago=1, expires_in_days=90)
    older = key("old", created_days_ago=30, expires_in_days=60)
    newest_but_expired = key("dead", created_days_ago=0, marked_expired=True)
    plan = plan_api_key([older, newest_but_expired, newest_valid], "ci", "present", NOW, 14)
    assert not plan.changed
    assert plan.keep.uuid == "new"
    assert {k.uuid for k in plan.duplicates} == {"old", "dead"}


def test_keys_created_in_the_same_second_keep_the_longest_lived():
    short = key("short", created_days_ago=1, expires_in_days=30)
    never = key("never", created_days_ago=1)
    longer = key("longer", created_days_ago=1, expires_in_days=60)
    plan = plan_api_key([short, never, longer], "ci", "present", NOW, 14)
    assert plan.keep.uuid == "never"
    assert [k.uuid for k in plan.duplicates] == ["longer", "short"]


def test_rotation_revokes_every_key_with_the_label_only():
    stale = key("stale", created_days_ago=1, expires_in_days=3)
    older = key("older", created_days_ago=50, expires_in_days=2)
    foreign = key("foreign", label="deploy", expires_in_days=1)
    plan = plan_api_key([stale, older, foreign], "ci", "present", NOW, 14)
    assert plan.create
    assert [k.uuid for k in plan.revoke] == ["stale", "older"]


def test_absent_revokes_all_keys_with_the_label():
    keys = [key("a"), key("b", expires_in_days=-3), key("c", label="other")]
    plan = plan_api_key(keys, "ci", "absent", NOW, 14)
    assert plan.changed and not plan.create
    assert {k.uuid for k in plan.revoke} == {"a", "b"}


def test_absent_without_keys_changes_nothing():
    assert not plan_api_key([key("c", label="other")], "ci", "absent", NOW, 14).changed


# --- resolve_expiration ---------------------------------------------------------------------


def test_expiration_omitted_means_never():
    assert resolve_expiration(None, NOW, 14) is None
    assert resolve_expiration("", NOW, 14) is None


@pytest.mark.parametrize("days", [90, "90"])
def test_expiration_in_days(days):
    assert resolve_expiration(days, NOW, 14) == NOW + timedelta(days=90)


def test_expiration_as_timestamp_with_offset():
    moment = resolve_expiration("2031-01-01T02:00:00+02:00", NOW, 14)
    assert moment == datetime(2031, 1, 1, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("days", [14, 3, 0])
def test_expiration_inside_rotation_window_is_refused(days):
    with pytest.raises(ValueError, match="rotate_before_days"):
        resolve_expiration(days, NOW, 14)


@pytest.mark.parametrize("text", ["2030-06-10T00:00:00Z", "2020-01-01T00:00:00Z"])
def test_timestamp_too_soon_or_past_is_refused(text):
    with pytest.raises(ValueError, match="rotate_before_days"):
        resolve_expiration(text, NOW, 14)


@pytest.mark.parametrize("text", ["2031-01-01", "2031-01-01T00:00:00", "next year", "-5"])
def test_unreadable_expiration_names_the_option(text):
    with pytest.raises(ValueError, match="^expiration"):
        resolve_expiration(text, NOW, 14)


# --- ensure_api_key -------------------------------------------------------------------------


def run(api, **options):
    options.setdefault("label", "ci")
    options.setdefault("state", "present")
    options.setdefault("username", "ci-bot")
    return ensure_api_key(api, now=NOW, **options)


def test_create_returns_the_secret_once_and_verifies_it_first():
    api = FakeZotApi()
    result = run(api, scopes=["repo:push"], expiration=90)
    assert result["changed"] is True
    assert result["api_key"].startswith("zak_")
    assert result["uuid"] == "new-1"
    assert result["expiration_date"] == "2030-08-30T12:00:00Z"
    assert result["username"] == "ci-bot"
    assert result["rotated"] is False and result["revoked"] == []
    assert api.calls == [
        ("create", "ci", ("repo:push",), "2030-08-30T12:00:00Z"),
        ("login", "ci-bot", result["api_key"]),
        ("adopt", "ci-bot", result["api_key"]),
    ]


def test_second_run_is_idempotent_and_returns_no_secret():
    api = FakeZotApi()
    first = run(api, expiration=90)
    second = run(api, expiration=90)
    assert second["changed"] is False
    assert "api_key" not in second
    assert second["uuid"] == first["uuid"]
    assert second["expiration_date"] == first["expiration_date"]
    assert second["diff"]["before"] == second["diff"]["after"]


def test_never_expiring_key_reports_no_expiration_date():
    api = FakeZotApi()
    result = run(api, expiration="never", max_lifetime_days=0)
    assert api.calls[0] == ("create", "ci", (), None)
    assert result["expiration_date"] is None


def test_rotation_creates_then_revokes_the_old_keys():
    api = FakeZotApi([key("old", expires_in_days=3), key("older", created_days_ago=40)])
    result = run(api, expiration=90)
    assert result["changed"] and result["rotated"]
    assert sorted(result["revoked"]) == ["old", "older"]
    kinds = [call[0] for call in api.calls]
    # The new key is adopted before revoking: the old one may be the key the client logs in with.
    assert kinds == ["create", "login", "adopt", "revoke", "revoke"]
    assert [k.uuid for k in api.keys] == [result["uuid"]]
    assert result["diff"]["after"]["keys"] == [
        {"uuid": result["uuid"], "expiration_date": "2030-08-30T12:00:00Z"}
    ]


def test_key_that_does_not_log_in_is_revoked_and_old_keys_are_kept():
    api = FakeZotApi([key("old", expires_in_days=3)], authenticates=False)
    with pytest.raises(ApiKeyError, match="does not authenticate as 'ci-bot'"):
        run(api, expiration=90)
    assert [k.uuid for k in api.keys] == ["old"]
    assert api.calls[-1] == ("revoke", "new-1")


def test_failed_revocation_still_hands_back_the_new_secret():
    api = FakeZotApi(
        [key("old", created_days_ago=2, expires_in_days=3), key("older", created_days_ago=9)],
        failing_revoke="older",
    )
    with pytest.raises(ApiKeyError, match="revoking API key older failed") as caught:
        run(api, expiration=90)
    assert caught.value.result["api_key"].startswith("zak_")
    assert caught.value.result["revoked"] == ["old"]


def test_check_mode_predicts_creation_without_calling_zot():
    api = FakeZotApi([key("old", expires_in_days=3)])
    result = run(api, expiration=90, check_mode=True)
    assert result["changed"] and result["rotated"]
    assert result["revoked"] == ["old"]
    assert "api_key" not in result
    assert api.calls == []
    assert result["diff"]["after"]["keys"] == [
        {"uuid": NEW_KEY_PLACEHOLDER, "expiration_date": "2030-08-30T12:00:00Z"}
    ]


def test_absent_revokes_and_check_mode_only_predicts():
    keys = [key("a"), key("b", created_days_ago=1)]
    api = FakeZotApi(keys)
    predicted = run(api, state="absent", check_mode=True)
    assert predicted["changed"] and sorted(predicted["revoked"]) == ["a", "b"]
    assert api.calls == []
    result = run(api, state="absent")
    assert result["changed"] and api.keys == []
    assert result["diff"]["after"] == {"label": "ci", "keys": []}
    assert run(api, state="absent")["changed"] is False


def test_duplicates_are_reported_not_revoked():
    newer, older = (
        key("new", created_days_ago=1, expires_in_days=89),
        key("old", created_days_ago=9, expires_in_days=81),
    )
    api = FakeZotApi([newer, older])
    result = run(api)
    assert result["changed"] is False
    assert result["uuid"] == "new" and result["duplicates"] == ["old"]
    assert api.calls == []


def test_bad_expiration_fails_before_any_call():
    api = FakeZotApi()
    with pytest.raises(ValueError, match="expiration"):
        run(api, expiration=7)
    assert api.calls == []


@pytest.mark.parametrize("label", ["", "  "])
def test_empty_label_is_refused(label):
    api = FakeZotApi([key("unlabelled", label="")])
    with pytest.raises(ValueError, match="label must not be empty"):
        run(api, label=label, state="absent")
    assert api.calls == []


def test_default_policy_is_90_day_keys_rotated_at_30_days_left():
    assert (DEFAULT_EXPIRATION_DAYS, DEFAULT_ROTATE_BEFORE_DAYS) == (90, 30)
    api = FakeZotApi([key("young", created_days_ago=59, expires_in_days=31)])
    assert run(api)["changed"] is False
    api = FakeZotApi([key("due", created_days_ago=60, expires_in_days=30)])
    result = run(api)
    assert result["rotated"] is True and result["expiration_date"] == "2030-08-30T12:00:00Z"


def test_all_labels_revokes_every_key_of_the_owner_and_reports_none_left():
    keys = [key("ci"), key("laptop", label="laptop"), key("ui", label="")]
    api = FakeZotApi(keys)
    result = run(api, label=None, state="absent", all_labels=True)
    assert result["changed"] is True and sorted(result["revoked"]) == ["ci", "laptop", "ui"]
    assert api.keys == [] and result["keys"] == []
    assert run(api, label=None, state="absent", all_labels=True)["changed"] is False


@pytest.mark.parametrize("options", [{"state": "present", "label": None}, {"state": "absent", "label": "ci"}])
def test_all_labels_only_with_state_absent_and_no_label(options):
    api = FakeZotApi([key("ci")])
    with pytest.raises(ValueError, match="all_labels needs state absent and no label"):
        run(api, all_labels=True, **options)
    assert api.calls == []


def test_keys_report_every_key_of_the_owner_after_the_run():
    api = FakeZotApi([key("old", expires_in_days=3), key("laptop", label="laptop", expires_in_days=60)])
    result = run(api, expiration=90)
    reported = [(entry["uuid"], entry["label"], entry["expiration_date"]) for entry in result["keys"]]
    assert reported == [
        (result["uuid"], "ci", "2030-08-30T12:00:00Z"),
        ("laptop", "laptop", "2030-07-31T12:00:00Z"),
    ]
    assert all(set(entry) >= {"last_used", "created_at", "expired"} for entry in result["keys"])


# --- max_lifetime_days ----------------------------------------------------------------------


@pytest.mark.parametrize("expiration", ["never", 91, "2031-01-01T00:00:00Z"])
def test_a_key_longer_than_the_maximum_lifetime_is_refused_before_any_call(expiration):
    api = FakeZotApi()
    with pytest.raises(ValueError, match=r"^expiration .* is longer than max_lifetime_days \(90\)"):
        run(api, expiration=expiration)
    assert api.calls == []


def test_keys_that_outlive_the_maximum_are_revoked_whatever_their_label():
    forever = key("forever", label="laptop")  # made in zot's UI without an expiry
    far = key("far", label="deploy", expires_in_days=400)
    fine = key("fine", label="other", expires_in_days=60)
    api = FakeZotApi([forever, far, fine])
    result = run(api, expiration=90)
    assert result["changed"] and sorted(result["revoked"]) == ["far", "forever"]
    assert sorted(k.uuid for k in api.keys) == ["fine", result["uuid"]]
    assert "outlive max_lifetime_days (90)" in result["reason"]
    # Without a limit they stay.
    assert overlived_keys([forever, far, fine], NOW, 0) == ()


def test_a_labelled_key_without_expiry_is_replaced_not_kept():
    api = FakeZotApi([key("forever")])
    result = run(api, expiration=90)
    assert result["rotated"] and result["revoked"] == ["forever"]
    assert [k.uuid for k in api.keys] == [result["uuid"]]
    assert run(api, expiration=90)["changed"] is False
