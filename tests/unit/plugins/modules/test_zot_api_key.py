# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""zot_api_key module: argument checks and the JSON result Ansible receives."""

import json
from datetime import datetime, timezone

import pytest
from tests.support.module_args import patch_module_args

from ansible_collections.zotops.registry.plugins.modules import zot_api_key
from ansible_collections.zotops.registry.tests.unit.plugins.module_utils._registry.zot_api_fake import (
    FakeZotApi,
)
from ansible_collections.zotops.registry.tests.unit.plugins.module_utils._registry.zot_api_fake import (
    key as fake_key,
)

OWNER_PASSWORD = "owner-password-never-shown"
BASE_ARGS = {
    "url": "http://127.0.0.1:5000",
    "username": "ci-bot",
    "password": OWNER_PASSWORD,
    "label": "ci",
}


@pytest.fixture
def zot(monkeypatch):
    """The FakeZotApi the module talks to, and the params it was built from."""
    api = FakeZotApi()
    api.params = None

    def from_params(params):
        api.params = dict(params)
        return api

    monkeypatch.setattr(zot_api_key, "zot_api_from_params", from_params)
    return api


def key(uuid, **dates):
    """A key dated relative to the real clock, which the module uses."""
    return fake_key(uuid, now=datetime.now(timezone.utc), **dates)


def run_module(capsys, **args):
    """Run the module; an argument given as None is left out, as Ansible leaves out omit."""
    args = {name: value for name, value in dict(BASE_ARGS, **args).items() if value is not None}
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        zot_api_key.main()
    out = capsys.readouterr().out
    return exit_info.value.code, json.loads(out), out


def test_creation_returns_secret_uuid_username_and_hides_the_password(capsys, zot):
    code, result, out = run_module(capsys, expiration="90", scopes=["push"])
    assert code == 0 and result["changed"] is True
    assert result["api_key"].startswith("zak_")
    assert result["uuid"] == "new-1" and result["username"] == "ci-bot"
    assert result["rotated"] is False and result["revoked"] == []
    assert result["expiration_date"].endswith("Z")
    assert OWNER_PASSWORD not in out
    assert zot.calls[0][:3] == ("create", "ci", ("push",))


def test_kept_key_returns_no_secret(capsys, zot):
    zot.keys = [key("a", expires_in_days=60)]
    code, result, _unused = run_module(capsys)
    assert code == 0 and result["changed"] is False
    assert "api_key" not in result
    assert result["uuid"] == "a" and result["expiration_date"].endswith("Z")


def test_check_mode_is_passed_through_and_changes_nothing(capsys, zot):
    zot.keys = [key("old", expires_in_days=2)]
    _unused, result, _unused = run_module(capsys, expiration=60, _ansible_check_mode=True, _ansible_diff=True)
    assert result["changed"] and result["rotated"] and result["revoked"] == ["old"]
    assert zot.calls == [] and "api_key" not in result
    assert result["diff"]["before"]["keys"][0]["uuid"] == "old"


def test_session_login_is_handed_to_the_client_builder(capsys, zot):
    args = dict(session="c00kie", username="alice@example.org")
    _unused, result, out = run_module(capsys, password=None, **args)
    assert zot.params["session"] == "c00kie" and zot.params["password"] is None
    assert result["username"] == "alice@example.org"
    assert "c00kie" not in out


@pytest.mark.parametrize(
    "args, message",
    [
        ({"session": "c00kie"}, "mutually exclusive"),
        ({"password": None}, "one of the following is required: password, session"),
        ({"expiration": 5}, "expiration (5 days) must be more than rotate_before_days"),
        ({"expiration": "soon"}, "expiration must be an RFC 3339 timestamp"),
        ({"rotate_before_days": -1}, "rotate_before_days must be 0 or more"),
    ],
)
def test_bad_options_fail_naming_the_option(capsys, zot, args, message):
    code, result, _unused = run_module(capsys, **args)
    assert code == 1 and result["failed"]
    assert message in result["msg"]
    assert zot.calls == []


def test_failed_rotation_still_returns_the_new_secret(capsys, zot):
    zot.keys = [key("old", expires_in_days=1)]
    zot.failing_revoke = "old"
    code, result, _unused = run_module(capsys)
    assert code == 1 and "revoking API key old failed" in result["msg"]
    assert result["api_key"].startswith("zak_")


def test_key_that_cannot_log_in_fails_the_task(capsys, zot):
    zot.authenticates = False
    code, result, _unused = run_module(capsys)
    assert code == 1 and "does not authenticate as 'ci-bot'" in result["msg"]
    assert "api_key" not in result
