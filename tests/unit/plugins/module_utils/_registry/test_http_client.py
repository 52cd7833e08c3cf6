# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""RegistryClient against a scripted HTTP server on 127.0.0.1."""

import base64
import json

import pytest

from ansible_collections.zotops.registry.plugins.module_utils._registry.http_client import (
    RegistryClient,
    RegistryHTTPError,
    parse_challenge,
)
from tests.support.http_server import QuietHandler, serve

SECRET = "s3cret-never-shown"


class _Handler(QuietHandler):
    """Routes: /basic (basic auth), /bearer + /token (token flow), /cookie, /redirect, /echo."""

    def _reply(self, status, body=b"", headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _auth(self):
        return self.headers.get("Authorization", "")

    def do_GET(self):
        self.server.seen.append((self.command, self.path, self._auth(), self.headers.get("Cookie")))
        basic_ok = "Basic " + base64.b64encode(("alice:" + SECRET).encode()).decode()
        if self.path == "/basic":
            if self._auth() == basic_ok:
                self._reply(200, b"hello")
            else:
                self._reply(401, b"denied", {"WWW-Authenticate": 'Basic realm="zot"'})
        elif self.path == "/bearer":
            if self._auth() == "Bearer tok-1":
                self._reply(200, b'{"ok": true}')
            else:
                challenge = (
                    'Bearer realm="http://%s:%d/token",service="reg",scope="repository:a/b:pull,push"'
                    % self.server.server_address
                )
                self._reply(401, b"", {"WWW-Authenticate": challenge})
        elif self.path == "/bearer-elsewhere":
            # The same server under another name: a different origin for the client.
            challenge = (
                'Bearer realm="http://localhost:%d/token",scope="repository:a/b:pull,push"'
                % (self.server.server_address[1])
            )
            self._reply(401, b"", {"WWW-Authenticate": challenge})
        elif self.path.startswith("/token?"):
            if self._auth() == basic_ok and "scope=repository%3Aa%2Fb%3Apull%2Cpush" in self.path:
                self._reply(200, json.dumps({"token": "tok-1"}).encode())
            else:
                self._reply(401)
        elif self.path == "/cookie":
            self._reply(200, b"", {"Set-Cookie": "session=abc123; Path=/; HttpOnly"})
        elif self.path == "/redirect":
            self._reply(302, b"", {"Location": "/echo"})
        elif self.path.startswith("/echo"):
            self._reply(200, self.path.encode(), {"X-Mixed-Case": "yes"})
        else:
            self._reply(404, b'{"errors":[{"code":"NAME_UNKNOWN"}]}')

    do_HEAD = do_GET

    def do_PUT(self):
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        self.server.seen.append((self.command, self.path, self._auth(), body))
        self._reply(201, body)


@pytest.fixture
def server():
    with serve(_Handler) as httpd:
        yield httpd


def test_basic_auth_and_lower_case_headers(server):
    client = RegistryClient(server.url, username="alice", password=SECRET)
    resp = client.request("GET", "/basic")
    assert (resp.status, resp.body) == (200, b"hello")
    assert client.request("GET", "/echo").headers["x-mixed-case"] == "yes"


def test_anonymous_sends_no_credentials(server):
    resp = RegistryClient(server.url).request("GET", "/basic", expected=401)
    assert resp.status == 401
    assert resp.headers["www-authenticate"] == 'Basic realm="zot"'
    assert server.seen[-1][2] == ""


def test_bearer_challenge_fetches_token_and_retries(server):
    client = RegistryClient(server.url, username="alice", password=SECRET)
    assert client.request("GET", "/bearer").json() == {"ok": True}
    # The second call reuses the token instead of being challenged again.
    client.request("GET", "/bearer")
    assert [s[1] for s in server.seen].count("/bearer") == 3
    assert server.seen[-1][2] == "Bearer tok-1"


def test_credentials_never_go_to_a_realm_on_another_origin(server):
    client = RegistryClient(server.url, username="alice", password=SECRET)
    with pytest.raises(RegistryHTTPError, match="realm http://localhost:.*not the registry.*token_realms"):
        client.request("GET", "/bearer-elsewhere")
    assert not any(path.startswith("/token") for _method, path, *_rest in server.seen)


def test_a_listed_token_realm_gets_the_credentials(server):
    realm = "http://localhost:%d" % server.server_address[1]
    client = RegistryClient(server.url, username="alice", password=SECRET, token_realms=[realm])
    # The token request is made (and answered), then the registry challenges again.
    with pytest.raises(RegistryHTTPError, match="401"):
        client.request("GET", "/bearer-elsewhere")
    assert any(path.startswith("/token") for _method, path, *_rest in server.seen)


def test_an_https_registry_never_sends_credentials_to_a_plain_http_realm():
    client = RegistryClient(
        "https://zot.example", username="alice", password=SECRET, token_realms=["http://zot.example"]
    )
    with pytest.raises(RegistryHTTPError, match="plain http"):
        client._check_realm("http://zot.example/token")
    client._check_realm("https://zot.example:443/token")  # the registry's own origin


def test_bearer_challenge_is_not_followed_when_turned_off(server):
    client = RegistryClient(
        server.url, headers={"Authorization": "Bearer api-token"}, follow_challenges=False
    )
    with pytest.raises(RegistryHTTPError) as caught:
        client.request("GET", "/bearer")
    assert caught.value.status == 401
    # No token request, and the client's own credential was the one sent.
    assert [(s[1], s[2]) for s in server.seen] == [("/bearer", "Bearer api-token")]


def test_unexpected_status_raises_without_the_password(server):
    client = RegistryClient(server.url, username="alice", password="wrong-" + SECRET)
    with pytest.raises(RegistryHTTPError) as info:
        client.request("GET", "/basic")
    assert info.value.status == 401
    assert info.value.url.endswith("/basic")
    assert info.value.body == b"denied"
    assert SECRET not in str(info.value) and SECRET not in repr(client)


def test_expected_list_returns_non_2xx_and_rejects_others(server):
    client = RegistryClient(server.url)
    assert client.request("GET", "/missing", expected=[200, 404]).status == 404
    with pytest.raises(RegistryHTTPError):
        client.request("GET", "/echo", expected=404)


def test_params_repeat_list_values(server):
    resp = RegistryClient(server.url).request("GET", "/echo", params={"tag": ["a", "b"]})
    assert resp.body == b"/echo?tag=a&tag=b"


def test_redirects_are_returned_unless_followed(server):
    client = RegistryClient(server.url)
    resp = client.request("GET", "/redirect", expected=302)
    assert resp.headers["location"] == "/echo"
    followed = client.request("GET", "/redirect", follow_redirects=True)
    assert followed.body == b"/echo"


def test_cookies_set_by_the_server_are_sent_back(server):
    client = RegistryClient(server.url, cookies={"theme": "dark"})
    client.request("GET", "/cookie")
    assert client.cookies == {"theme": "dark", "session": "abc123"}
    client.request("GET", "/echo")
    assert server.seen[-1][3] == "theme=dark; session=abc123"


def test_put_sends_the_body(server):
    resp = RegistryClient(server.url).request("PUT", "/x", data="payload")
    assert resp.status == 201 and server.seen[-1][3] == b"payload"


def test_connection_failure_has_no_status():
    with pytest.raises(RegistryHTTPError) as info:
        RegistryClient("http://127.0.0.1:9", timeout=5).request("GET", "/v2/")
    assert info.value.status is None


def test_url_must_be_http():
    with pytest.raises(ValueError, match="url must start with http"):
        RegistryClient("zot.example:5000")


def test_parse_challenge_keeps_commas_inside_quotes():
    scheme, params = parse_challenge(
        'Bearer realm="https://auth.example/token",service="reg",scope="repository:x:pull,push"'
    )
    assert scheme == "bearer"
    assert params == {
        "realm": "https://auth.example/token",
        "service": "reg",
        "scope": "repository:x:pull,push",
    }
