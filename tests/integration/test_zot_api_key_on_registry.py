# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""zotops.registry.zot_api_key through ansible-playbook against a running registry on loopback.

The registry is real zot (env ZOT_BINARY, see harness/zot.py). The CI user owns
the key; what the key may do comes from zot's access control for that user.
"""

from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.zotops.registry.plugins.module_utils._registry.oci import OCIClient
from ansible_collections.zotops.registry.plugins.module_utils._registry.http_client import (
    RegistryClient,
    RegistryHTTPError,
)
from ansible_collections.zotops.registry.plugins.module_utils._registry.zot_api import ZotApi, format_rfc3339
from tests.support.playbook import run_tasks

pytestmark = pytest.mark.integration

CI_USER, CI_PASSWORD = "ci-bot", "ci-bot-password-0123"


def registry_config(with_api_keys=True):
    """zot config: htpasswd users, API keys on, the CI user may push (not overwrite) ci/**."""
    auth = {"htpasswd": {"path": "{tmp}/htpasswd"}}
    if with_api_keys:
        auth["apikey"] = True
    return {
        "http": {
            "auth": auth,
            "accessControl": {
                "repositories": {"ci/**": {"policies": [{"users": [CI_USER], "actions": ["read", "create"]}]}}
            },
        }
    }


@pytest.fixture
def registry(tmp_path, start_registry, htpasswd_line):
    return start_registry(
        tmp_path, registry_config(), {"htpasswd": htpasswd_line(CI_USER, CI_PASSWORD) + "\n"}
    )


def task(url, check=False, diff=False, **args):
    """One zot_api_key task as the CI user; an argument given as None is left out (as omit)."""
    task_args = dict({"url": url, "username": CI_USER, "password": CI_PASSWORD}, **args)
    return {
        "zotops.registry.zot_api_key": {k: v for k, v in task_args.items() if v is not None},
        "check_mode": check,
        "diff": diff,
        "ignore_errors": True,
    }


def login_status(url, username, secret):
    """Status of GET /v2/ with basic username:secret (200 or 401)."""
    client = RegistryClient(url, username=username, password=secret)
    return OCIClient(client).ping().status


def ui_session(url):
    """The session cookie zot sets for a UI-style login (basic auth plus the zot-ui header)."""
    login = RegistryClient(
        url, username=CI_USER, password=CI_PASSWORD, headers={"X-ZOT-API-CLIENT": "zot-ui"}
    )
    OCIClient(login).ping(expected=200)
    assert "session" in login.cookies, "zot set no session cookie for a UI-style login"
    return login.cookies["session"]


def test_key_life_cycle(tmp_path, registry):
    url = registry.url

    # Check mode, creation, second run. Had check mode created a key, the real run would keep it.
    (predicted, created, again, other), run = run_tasks(
        tmp_path,
        [
            task(url, check=True, label="ci", expiration=20, rotate_before_days=14),
            task(url, label="ci", expiration=20, rotate_before_days=14),
            task(url, label="ci", expiration=20, rotate_before_days=14),
            task(url, label="other", state="absent"),
        ],
        verbose=1,
    )
    assert predicted["changed"] is True and "api_key" not in predicted
    assert created["changed"] is True and created["rotated"] is False and created["revoked"] == []
    assert created["username"] == CI_USER
    first_key = created["api_key"]
    assert first_key.startswith("zak_")
    assert first_key not in run.stdout and CI_PASSWORD not in run.stdout
    assert again["changed"] is False and "api_key" not in again
    assert again["uuid"] == created["uuid"]
    assert again["expiration_date"] == created["expiration_date"]
    assert other["changed"] is False

    # The key authenticates a push as the CI user.
    pusher = OCIClient(RegistryClient(url, username=CI_USER, password=first_key))
    pusher.push_image("ci/app", "v1")
    assert pusher.get_manifest("ci/app", "v1").status == 200

    # The key expires in 20 days, inside a 30-day window: check mode predicts, then rotation.
    # The password may also be another API key of the same owner.
    rotate = {"label": "ci", "expiration": 60, "rotate_before_days": 30}
    (predicted, rotated, by_key), run = run_tasks(
        tmp_path,
        [
            task(url, check=True, diff=True, **rotate),
            task(url, **rotate),
            task(url, password="{{ r1.api_key }}", **rotate),
        ],
        verbose=1,
    )
    assert predicted["rotated"] is True and predicted["revoked"] == [created["uuid"]]
    assert created["uuid"] in run.stdout  # the diff shows uuids
    assert rotated["changed"] is True and rotated["rotated"] is True
    assert rotated["revoked"] == [created["uuid"]]
    second_key = rotated["api_key"]
    assert second_key not in run.stdout
    assert login_status(url, CI_USER, first_key) == 401
    assert login_status(url, CI_USER, second_key) == 200
    assert by_key["changed"] is False and by_key["uuid"] == rotated["uuid"]

    # absent: check mode revokes nothing; the real run revokes every key with the label.
    (predicted, removed, gone), _unused = run_tasks(
        tmp_path,
        [
            task(url, check=True, label="ci", state="absent"),
            task(url, label="ci", state="absent"),
            task(url, label="ci", state="absent"),
        ],
        verbose=1,
    )
    assert predicted["changed"] is True and predicted["revoked"] == [rotated["uuid"]]
    assert removed["changed"] is True and removed["revoked"] == [rotated["uuid"]]
    assert gone["changed"] is False
    assert login_status(url, CI_USER, second_key) == 401


def test_session_cookie_creates_a_key(tmp_path, registry):
    session = ui_session(registry.url)
    (created, refused), run = run_tasks(
        tmp_path,
        [
            task(registry.url, label="laptop", session=session, password=None),
            task(registry.url, label="laptop", session="not-a-session", password=None),
        ],
        verbose=1,
    )
    assert created["changed"] is True and session not in run.stdout
    assert login_status(registry.url, CI_USER, created["api_key"]) == 200
    assert refused["failed"] is True and "session" in refused["msg"]


def test_wrong_password_and_disabled_api_keys_fail_clearly(tmp_path, registry, start_registry, htpasswd_line):
    off_dir = tmp_path / "no-api-keys"
    off_dir.mkdir()
    without_keys = start_registry(
        off_dir,
        registry_config(with_api_keys=False),
        {"htpasswd": htpasswd_line(CI_USER, CI_PASSWORD) + "\n"},
    )
    (wrong_password, keys_off), _unused = run_tasks(
        tmp_path,
        [
            task(registry.url, label="ci", password="wrong"),
            task(without_keys.url, label="ci"),
        ],
        verbose=1,
    )
    assert wrong_password["failed"] is True
    assert "authentication as %s with basic auth failed" % CI_USER in wrong_password["msg"]
    assert keys_off["failed"] is True and "http.auth.apikey" in keys_off["msg"]


def test_unverifiable_username_revokes_the_new_key(tmp_path, registry):
    """With a session the username is only a claim; a wrong one must not leave a key behind."""
    session = ui_session(registry.url)
    (failed,), _unused = run_tasks(
        tmp_path,
        [
            task(registry.url, label="laptop", session=session, password=None, username="somebody-else"),
        ],
        verbose=1,
    )
    assert failed["failed"] is True and "does not authenticate as 'somebody-else'" in failed["msg"]

    owner = RegistryClient(registry.url, username=CI_USER, password=CI_PASSWORD)
    keys = owner.request("GET", "/zot/auth/apikey").json()["apiKeys"]
    assert [key for key in keys if key["label"] == "laptop"] == []


def test_a_key_is_refused_by_a_repository_the_owner_may_not_write(tmp_path, registry):
    (created,), _unused = run_tasks(tmp_path, [task(registry.url, label="ci")], verbose=1)
    pusher = OCIClient(RegistryClient(registry.url, username=CI_USER, password=created["api_key"]))
    with pytest.raises(RegistryHTTPError) as refused:
        pusher.push_image("prod/app", "v1")
    assert refused.value.status == 403


def test_rotation_while_logged_in_with_a_key_it_revokes(tmp_path, registry):
    """Two keys share the label and the task logs in with the newer one, revoked first."""
    owner = ZotApi(RegistryClient(registry.url, username=CI_USER, password=CI_PASSWORD), CI_USER)
    now = datetime.now(timezone.utc)
    older = owner.create_api_key("ci", [], format_rfc3339(now + timedelta(days=5)))
    # Also newer when both were created within the same second: it lives longer.
    newer = owner.create_api_key("ci", [], format_rfc3339(now + timedelta(days=6)))

    (rotated,), _unused = run_tasks(
        tmp_path, [task(registry.url, label="ci", expiration=60, password=newer.secret)], verbose=1
    )
    assert not rotated.get("failed"), rotated.get("msg")
    assert rotated["changed"] is True
    assert sorted(rotated["revoked"]) == sorted([older.key.uuid, newer.key.uuid])
    assert login_status(registry.url, CI_USER, older.secret) == 401
    assert login_status(registry.url, CI_USER, newer.secret) == 401
    assert login_status(registry.url, CI_USER, rotated["api_key"]) == 200


def test_keys_report_last_use_and_all_labels_revokes_every_key_of_the_owner(tmp_path, registry):
    """The step to take when the owner leaves the CI group: every key goes, labelled or not."""
    owner = ZotApi(RegistryClient(registry.url, username=CI_USER, password=CI_PASSWORD), CI_USER)
    unlabelled = owner.create_api_key("", [], format_rfc3339(datetime.now(timezone.utc) + timedelta(days=30)))
    (ci_key,), _unused = run_tasks(tmp_path, [task(registry.url, label="ci")], verbose=1)
    assert login_status(registry.url, CI_USER, unlabelled.secret) == 200

    (report,), _unused = run_tasks(tmp_path, [task(registry.url, label="ci")], verbose=1)
    listed = {key.uuid: key for key in owner.list_api_keys()}
    assert listed[unlabelled.key.uuid].last_used is not None  # zot recorded the login above
    reported = {entry["uuid"]: entry for entry in report["keys"]}
    assert set(reported) == set(listed)
    assert reported[unlabelled.key.uuid]["last_used"] == format_rfc3339(listed[unlabelled.key.uuid].last_used)
    assert reported[ci_key["uuid"]]["expiration_date"] == ci_key["expiration_date"]
    assert reported[ci_key["uuid"]]["label"] == "ci" and reported[unlabelled.key.uuid]["label"] == ""
    # The default policy: 90-day keys.
    expires = datetime.strptime(ci_key["expiration_date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert timedelta(days=89) < expires - datetime.now(timezone.utc) <= timedelta(days=90)

    (predicted, revoked, again), _unused = run_tasks(
        tmp_path,
        [
            task(registry.url, check=True, all_labels=True, state="absent"),
            task(registry.url, all_labels=True, state="absent"),
            task(registry.url, all_labels=True, state="absent"),
        ],
        verbose=1,
    )

    assert predicted["changed"] is True and sorted(predicted["revoked"]) == sorted(reported)
    assert sorted(revoked["revoked"]) == sorted(reported) and revoked["keys"] == []
    assert again["changed"] is False
    assert login_status(registry.url, CI_USER, unlabelled.secret) == 401
    assert login_status(registry.url, CI_USER, ci_key["api_key"]) == 401


def test_keys_that_never_expire_are_refused_and_revoked(tmp_path, registry):
    """zot stores a key made without an expiry (Go's zero time) and accepts it for ever, also
    after its owner's password changed; the module's lifetime limit refuses and revokes it."""
    owner = ZotApi(RegistryClient(registry.url, username=CI_USER, password=CI_PASSWORD), CI_USER)
    forever = owner.create_api_key("laptop", [], "")  # as zot's UI or API make it
    assert forever.key.expires_at is None and login_status(registry.url, CI_USER, forever.secret) == 200

    (refused, kept), run = run_tasks(
        tmp_path,
        [task(registry.url, label="ci", expiration="never"), task(registry.url, label="ci")],
        verbose=1,
    )
    assert refused["failed"] and "longer than max_lifetime_days (90)" in refused["msg"]
    assert kept["revoked"] == [forever.key.uuid] and "outlive max_lifetime_days" in kept["reason"]
    assert forever.secret not in run.stdout
    assert login_status(registry.url, CI_USER, forever.secret) == 401
    assert login_status(registry.url, CI_USER, kept["api_key"]) == 200
