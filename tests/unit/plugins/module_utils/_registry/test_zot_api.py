# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""ZotApi against a scripted stand-in for zot's /zot/auth/apikey endpoints on 127.0.0.1."""

import base64
import json
from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.zotops.registry.plugins.module_utils._registry.http_client import RegistryClient
from ansible_collections.zotops.registry.plugins.module_utils._registry.zot_api import (
    ZotApi,
    ZotApiError,
    format_rfc3339,
    parse_api_key,
    parse_rfc3339,
    zot_api_from_params,
)
from tests.support.http_server import QuietHandler, serve

OWNER = ("alice", "alice-password")
SECRET = "zak_" + "ab" * 16
KEY_ENTRY = {
    "createdAt": "2030-06-01T12:00:00.123456789+02:00",
    "expirationDate": "0001-01-01T00:00:00Z",
    "isExpired": False,
    "creatorUa": "test",
    "generatedBy": "manual",
    "lastUsed": "0001-01-01T00:00:00Z",
    "label": "ci",
    "scopes": None,
    "uuid": "4b8f7c4e-0000-4000-8000-000000000001",
}


def _basic(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


class _Handler(QuietHandler):
    """Answers /zot/auth/apikey with ``server.status`` and records each request."""

    def _reply(self, status, payload=None):
        body = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="zot"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append(
            {"method": self.command, "path": self.path, "headers": self.headers, "body": body}
        )
        if self.path == "/v2/":
            ok = self.headers.get("Authorization") == _basic("ci-bot", SECRET)
            return self._reply(200 if ok else 401, {})
        if self.server.status is not None:
            return self._reply(self.server.status)
        if self.command == "GET":
            return self._reply(200, {"apiKeys": [KEY_ENTRY]})
        if self.command == "POST":
            request = json.loads(body)
            return self._reply(201, dict(KEY_ENTRY, label=request["label"], apiKey=SECRET))
        return self._reply(200)

    do_GET = do_POST = do_DELETE = _handle


@pytest.fixture
def server():
    with serve(_Handler, status=None) as httpd:
        yield httpd


def basic_api(server):
    return zot_api_from_params({"url": server.url, "username": OWNER[0], "password": OWNER[1]})


def session_api(server):
    params = {"url": server.url, "username": "alice@example.org", "session": "c00kie"}
    return zot_api_from_params(params)


def test_list_reads_zero_time_as_never_and_keeps_nanosecond_timestamps(server):
    [key] = basic_api(server).list_api_keys()
    assert key.uuid == KEY_ENTRY["uuid"] and key.label == "ci"
    assert key.expires_at is None and key.expiration_text() is None
    assert key.created_at == datetime(2030, 6, 1, 10, 0, 0, 123456, tzinfo=timezone.utc)
    assert server.seen[0]["headers"]["Authorization"] == _basic(*OWNER)


def test_create_sends_label_scopes_and_expiration_and_returns_the_secret(server):
    created = basic_api(server).create_api_key("ci", ["repo:push"], "2031-01-01T00:00:00Z")
    request = server.seen[0]
    assert request["method"] == "POST" and request["path"] == "/zot/auth/apikey"
    assert json.loads(request["body"]) == {
        "label": "ci",
        "scopes": ["repo:push"],
        "expirationDate": "2031-01-01T00:00:00Z",
    }
    assert created.secret == SECRET
    assert created.key.uuid == KEY_ENTRY["uuid"]


def test_create_without_expiration_sends_an_empty_date(server):
    basic_api(server).create_api_key("ci", None, None)
    assert json.loads(server.seen[0]["body"])["expirationDate"] == ""


def test_revoke_names_the_uuid_in_the_query(server):
    basic_api(server).revoke_api_key("some-uuid")
    assert server.seen[0]["method"] == "DELETE"
    assert server.seen[0]["path"] == "/zot/auth/apikey?id=some-uuid"


def test_session_calls_send_the_cookie_and_the_ui_header(server):
    session_api(server).list_api_keys()
    headers = server.seen[0]["headers"]
    assert headers["Cookie"] == "session=c00kie"
    assert headers["X-ZOT-API-CLIENT"] == "zot-ui"
    assert headers.get("Authorization") is None


def test_401_names_the_identity(server):
    server.status = 401
    with pytest.raises(ZotApiError, match="authentication as alice with basic auth failed"):
        basic_api(server).list_api_keys()


@pytest.mark.parametrize("status", [404, 405])
def test_missing_endpoint_says_api_keys_are_off(server, status):
    server.status = status
    with pytest.raises(ZotApiError, match="http.auth.apikey"):
        basic_api(server).create_api_key("ci", [], None)


def test_500_with_a_session_points_at_the_session(server):
    server.status = 500
    with pytest.raises(ZotApiError, match="session cookie is probably expired"):
        session_api(server).list_api_keys()


def test_other_failures_keep_zot_status(server):
    server.status = 500
    with pytest.raises(ZotApiError, match="HTTP 500"):
        basic_api(server).revoke_api_key("x")


def test_key_authenticates_only_with_the_right_username(server):
    api = basic_api(server)
    assert api.key_authenticates("ci-bot", SECRET) is True
    assert api.key_authenticates("someone-else", SECRET) is False


def test_unreachable_registry_is_an_api_error():
    api = ZotApi(RegistryClient("http://127.0.0.1:9", timeout=2), identity="alice")
    with pytest.raises(
        ZotApiError, match="zot API call failed: GET http://127.0.0.1:9/zot/auth/apikey failed"
    ):
        api.list_api_keys()


def test_report_names_label_expiry_and_last_use_with_go_zero_times_as_null():
    never_used = parse_api_key(KEY_ENTRY)
    used = parse_api_key(
        dict(KEY_ENTRY, lastUsed="2030-06-02T08:00:00Z", expirationDate="2030-07-01T00:00:00Z")
    )
    now = datetime(2030, 6, 3, tzinfo=timezone.utc)
    assert never_used.report(now) == {
        "uuid": KEY_ENTRY["uuid"],
        "label": "ci",
        "created_at": "2030-06-01T10:00:00Z",
        "expiration_date": None,
        "last_used": None,
        "expired": False,
    }
    assert used.report(now)["last_used"] == "2030-06-02T08:00:00Z"
    assert used.report(datetime(2030, 7, 2, tzinfo=timezone.utc))["expired"] is True


def test_entry_without_uuid_is_refused():
    with pytest.raises(ZotApiError, match="without a uuid"):
        parse_api_key({"label": "ci"})


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2031-01-01T00:00:00Z", datetime(2031, 1, 1, tzinfo=timezone.utc)),
        ("2031-01-01T01:30:00+01:30", datetime(2031, 1, 1, tzinfo=timezone.utc)),
        ("2030-12-31T23:00:00.5-01:00", datetime(2031, 1, 1, 0, 0, 0, 500000, timezone.utc)),
    ],
)
def test_parse_rfc3339(text, expected):
    assert parse_rfc3339(text) == expected


@pytest.mark.parametrize("text", ["2031-01-01", "2031-01-01 00:00:00Z", "2031-02-30T00:00:00Z"])
def test_parse_rfc3339_refuses_what_zot_refuses(text):
    with pytest.raises(ValueError, match="^when"):
        parse_rfc3339(text, "when")


def test_format_rfc3339_is_utc_whole_seconds():
    moment = datetime(2031, 1, 1, 2, 0, 0, 999, tzinfo=timezone(timedelta(hours=2)))
    assert format_rfc3339(moment) == "2031-01-01T00:00:00Z"


def test_a_client_logging_in_with_an_api_key_switches_to_the_new_key(server):
    params = {"url": server.url, "username": "ci-bot", "password": "zak_" + "00" * 16}
    api = zot_api_from_params(params)
    api.adopt_key("ci-bot", SECRET)
    api.list_api_keys()
    assert server.seen[-1]["headers"]["Authorization"] == _basic("ci-bot", SECRET)


def test_a_client_logging_in_with_a_password_keeps_it(server):
    api = basic_api(server)
    api.adopt_key("alice", SECRET)
    api.list_api_keys()
    assert server.seen[-1]["headers"]["Authorization"] == _basic(*OWNER)
