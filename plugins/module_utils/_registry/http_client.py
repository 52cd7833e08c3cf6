# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""The one HTTP client every module of the collection uses to talk to a registry.

Runs on the managed host, so it is built on ``ansible.module_utils.urls.Request`` and the
standard library only. It speaks HTTP basic auth and the Bearer token challenge of the OCI
distribution spec, so the same client works against zot and any other OCI registry.
"""

import base64
import copy
import json
import socket
import ssl
import urllib.error
from http.cookies import CookieError, SimpleCookie
from urllib.parse import urlencode, urljoin, urlsplit

from ansible.module_utils.urls import Request, make_context

# How much of an error body is kept in exception messages.
_BODY_SNIPPET = 300


class RegistryHTTPError(Exception):
    """An HTTP exchange that did not end with an expected status.

    ``status`` is None when no HTTP response arrived (connection refused, TLS failure, ...).
    The message never contains credentials: the client never puts them in URLs.
    """

    def __init__(self, message, status=None, url=None, body=b""):
        super().__init__(message)
        self.message = message
        self.status = status
        self.url = url
        self.body = body


class Response:
    """A finished HTTP exchange: status, lower-case headers, raw body."""

    def __init__(self, status, headers, body, url):
        self.status = status
        self.headers = headers
        self.body = body
        self.url = url

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise RegistryHTTPError(
                "response from %s is not JSON: %s" % (self.url, exc),
                status=self.status,
                url=self.url,
                body=self.body,
            ) from exc

    def __repr__(self):
        return "Response(status=%r, url=%r)" % (self.status, self.url)


def parse_challenge(header):
    """Split a ``WWW-Authenticate`` value into (scheme, {param: value}).

    ``Bearer realm="https://auth/token",service="registry",scope="repository:a/b:pull"``
    -> ("bearer", {"realm": ..., "service": ..., "scope": ...}). Quoted values may contain
    commas (a scope such as ``repository:a:pull,push``), so this is a small tokenizer rather
    than a split on commas.
    """
    header = (header or "").strip()
    scheme, _unused, rest = header.partition(" ")
    params = {}
    i = 0
    while i < len(rest):
        while i < len(rest) and rest[i] in " ,":
            i += 1
        eq = rest.find("=", i)
        if eq < 0:
            break
        key = rest[i:eq].strip().lower()
        i = eq + 1
        if i < len(rest) and rest[i] == '"':
            end = i + 1
            value = []
            while end < len(rest) and rest[end] != '"':
                if rest[end] == "\\" and end + 1 < len(rest):
                    end += 1
                value.append(rest[end])
                end += 1
            params[key] = "".join(value)
            i = end + 1
        else:
            end = rest.find(",", i)
            end = len(rest) if end < 0 else end
            params[key] = rest[i:end].strip()
            i = end
    return scheme.lower(), params


def _lower_headers(raw_headers):
    """Lower-case header names; repeated headers are joined with ', ' as HTTP allows."""
    headers = {}
    if raw_headers is None:
        return headers
    for name, value in raw_headers.items():
        key = name.lower()
        headers[key] = "%s, %s" % (headers[key], value) if key in headers else value
    return headers


def _set_cookies(raw_headers):
    """Every (name, value) pair from the Set-Cookie headers of a response."""
    if raw_headers is None or not hasattr(raw_headers, "get_all"):
        return {}
    jar = SimpleCookie()
    for line in raw_headers.get_all("Set-Cookie") or []:
        try:
            jar.load(line)
        except CookieError:  # a malformed cookie must not break the exchange
            continue
    return {name: morsel.value for name, morsel in jar.items()}


class RegistryClient:
    """HTTP client for one registry (``base_url`` such as ``https://zot.example:5000``).

    Authentication: when ``username`` is set, HTTP basic credentials are sent with every
    request; when the registry answers 401 with a Bearer challenge, a token is fetched from
    the challenge's realm (with the basic credentials, if any) and the request is retried.
    Without ``username`` the client is anonymous (anonymous Bearer tokens still work).
    ``follow_challenges=False`` turns the token fetching off, for a client whose credential is
    fixed (an API token in ``headers``): a 401 is then an error like any other status.

    Credentials only go to the registry they belong to: a challenge whose realm is on another
    origin (scheme, host, port) is refused unless that origin is listed in ``token_realms``,
    and one on plain http is refused when the registry is https (even when listed).

    ``cookies`` is a dict sent as the Cookie header; cookies the registry sets are added to it,
    so a login flow (zot's ``session`` cookie) carries over to later requests.
    """

    def __init__(
        self,
        base_url,
        username=None,
        password=None,
        validate_certs=True,
        ca_path=None,
        client_cert=None,
        client_key=None,
        timeout=30,
        headers=None,
        cookies=None,
        follow_challenges=True,
        token_realms=None,
    ):
        if not base_url or urlsplit(base_url).scheme not in ("http", "https"):
            raise ValueError("url must start with http:// or https://, got %r" % (base_url,))
        self.base_url = base_url.rstrip("/")
        self.username = username
        self._password = password
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.client_cert = client_cert
        self.client_key = client_key
        self.timeout = timeout
        self.headers = dict(headers or {})
        self.cookies = dict(cookies or {})
        self.follow_challenges = follow_challenges
        self.token_realms = {_origin(realm) for realm in token_realms or ()}
        # Bearer token of the last challenge, reused until the registry asks for another.
        self._token = None
        self._tls_context = None

    def __repr__(self):
        return "RegistryClient(base_url=%r, username=%r)" % (self.base_url, self.username)

    def as_user(self, username, password):
        """A client for the same registry and settings, logging in as another identity
        (no cookies or token of this one carried over)."""
        other = copy.copy(self)
        other.username, other._password, other._token = username, password, None
        other.headers, other.cookies = dict(self.headers), {}
        return other

    def url_for(self, path):
        """Absolute URL for ``path``; absolute URLs (upload Locations) are kept as they are."""
        if urlsplit(path).scheme:
            return path
        return urljoin(self.base_url + "/", path.lstrip("/"))

    def _basic_header(self):
        raw = "%s:%s" % (self.username, self._password or "")
        return "Basic " + base64.b64encode(raw.encode("utf-8")).decode("ascii")

    def _context(self):
        """The TLS context, built once per client (and shared by as_user copies): building
        one reads every system CA certificate, which cost ~80 ms of CPU per request."""
        if self._tls_context is None:
            self._tls_context = make_context(
                cafile=self.ca_path,
                validate_certs=self.validate_certs,
                client_cert=self.client_cert,
                client_key=self.client_key,
            )
        return self._tls_context

    def _send(self, method, url, data, headers, follow_redirects):
        """One HTTP exchange. Every HTTP status becomes a Response; only I/O failures raise."""
        try:
            resp = Request().open(
                method,
                url,
                data=data,
                headers=headers,
                timeout=self.timeout,
                context=self._context(),
                follow_redirects="all" if follow_redirects else "none",
                # Credentials come only from this client, never from ~/.netrc: an
                # "anonymous" probe must really be anonymous.
                use_netrc=False,
            )
            status, raw_headers, body = resp.status, resp.headers, resp.read()
            final_url = resp.geturl() or url
        except urllib.error.HTTPError as exc:
            status, raw_headers = exc.code, exc.headers
            try:
                body = exc.read() or b""
            except Exception:  # some HTTPErrors (redirects) carry no readable body
                body = b""
            final_url = url
        except (urllib.error.URLError, socket.timeout, ssl.SSLError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RegistryHTTPError("%s %s failed: %s" % (method, url, reason), status=None, url=url) from exc
        self.cookies.update(_set_cookies(raw_headers))
        return Response(status, _lower_headers(raw_headers), body, final_url)

    def _fetch_token(self, challenge):
        """Get a Bearer token for a challenge's realm/service/scope (distribution token spec)."""
        realm = challenge.get("realm")
        if not realm:
            raise RegistryHTTPError("Bearer challenge without a realm", status=401)
        if self.username:
            self._check_realm(realm)
        query = {k: challenge[k] for k in ("service", "scope") if challenge.get(k)}
        url = realm + ("&" if "?" in realm else "?") + urlencode(query) if query else realm
        headers = {"Accept": "application/json"}
        if self.username:
            headers["Authorization"] = self._basic_header()
        resp = self._send("GET", url, None, headers, follow_redirects=True)
        if resp.status != 200:
            raise RegistryHTTPError(
                "token request to %s returned %s" % (realm, resp.status),
                status=resp.status,
                url=realm,
                body=resp.body,
            )
        payload = resp.json()
        token = payload.get("token") or payload.get("access_token")
        if not token:
            raise RegistryHTTPError("token response from %s has no token" % realm, url=realm)
        return token

    def _check_realm(self, realm):
        """Refuse to send the basic credentials to a realm they do not belong to."""
        registry, target = _origin(self.base_url), _origin(realm)
        if registry[0] == "https" and target[0] != "https":
            raise RegistryHTTPError(
                "the registry's Bearer challenge names the realm %s over plain http; credentials "
                "for an https registry are never sent in clear text" % realm,
                status=401,
                url=realm,
            )
        if target != registry and target not in self.token_realms:
            raise RegistryHTTPError(
                "the registry's Bearer challenge names the realm %s, which is not the registry "
                "(%s); credentials are only sent there when token_realms lists it" % (realm, self.base_url),
                status=401,
                url=realm,
            )

    def request(
        self,
        method,
        path,
        *,
        params=None,
        data=None,
        headers=None,
        expected=None,
        follow_redirects=False,
    ):
        """Send one request and return its Response.

        ``expected``: a status or list of statuses that are not errors; when it is None any
        2xx is fine. Any other status raises RegistryHTTPError. ``params`` is a dict (a list
        value repeats the key, e.g. several ``tag=``) or a list of (key, value) pairs.
        """
        url = self.url_for(path)
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params, doseq=True)
        if isinstance(data, str):
            data = data.encode("utf-8")
        send_headers = dict(self.headers)
        send_headers.update(headers or {})
        if self.cookies:
            send_headers["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        if self._token:
            send_headers["Authorization"] = "Bearer " + self._token
        elif self.username:
            send_headers["Authorization"] = self._basic_header()

        resp = self._send(method, url, data, send_headers, follow_redirects)
        if resp.status == 401 and self.follow_challenges:
            scheme, challenge = parse_challenge(resp.headers.get("www-authenticate"))
            if scheme == "bearer":
                self._token = self._fetch_token(challenge)
                send_headers["Authorization"] = "Bearer " + self._token
                resp = self._send(method, url, data, send_headers, follow_redirects)

        if expected is None:
            ok = 200 <= resp.status < 300
        else:
            ok = resp.status in (expected if isinstance(expected, (list, tuple, set)) else [expected])
        if not ok:
            snippet = resp.body[:_BODY_SNIPPET].decode("utf-8", "replace").strip()
            raise RegistryHTTPError(
                "%s %s returned HTTP %s%s" % (method, url, resp.status, ": " + snippet if snippet else ""),
                status=resp.status,
                url=url,
                body=resp.body,
            )
        return resp


def _origin(url):
    """(scheme, host, port) of a URL, with the scheme's default port filled in."""
    parts = urlsplit(url)
    scheme = (parts.scheme or "").lower()
    return scheme, (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(scheme)


def registry_argument_spec():
    """Argument spec of the options in the ``zotops.registry.registry`` doc fragment."""
    return dict(
        url=dict(type="str", required=True),
        username=dict(type="str"),
        password=dict(type="str", no_log=True),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        client_cert=dict(type="path"),
        # A file path, not a secret: no_log=False silences Ansible's "key" name heuristic.
        client_key=dict(type="path", no_log=False),
        timeout=dict(type="int", default=30),
        token_realms=dict(type="list", elements="str", default=[]),
    )


def client_from_params(params):
    """A RegistryClient from module params shaped by registry_argument_spec()."""
    return RegistryClient(
        params["url"],
        username=params.get("username"),
        password=params.get("password"),
        validate_certs=params.get("validate_certs", True),
        ca_path=params.get("ca_path"),
        client_cert=params.get("client_cert"),
        client_key=params.get("client_key"),
        timeout=params.get("timeout") or 30,
        token_realms=params.get("token_realms"),
    )
