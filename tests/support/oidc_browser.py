# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""A scripted browser login to zot through its OpenID provider: oidc-provider-mock
(browser_login) or real Dex with its LDAP connector (dex_login).

GET <zot>/zot/auth/login?provider=oidc -> 302 to the IdP's authorize URL -> POST sub=<user>
(the mock's login form) -> 302 to <zot>/zot/auth/callback/oidc?code&state -> zot checks
state and tokens and sets the `session` cookie. Redirects are followed by hand so every
hop can be checked.

zot keeps the OAuth2 state in a cookie that is always `Secure`. Browsers keep and send Secure
cookies on https and on loopback origins served over http (http://127.0.0.1, http://localhost:
"potentially trustworthy" in the W3C Secure Contexts spec), so the scripted browser does the
same; on any other http origin a browser drops the cookie and zot's callback answers 401.
"""

import html
import ipaddress
import re
import urllib.parse

import requests

SESSION_HEADERS = {"X-ZOT-API-CLIENT": "zot-ui"}


class LoginError(AssertionError):
    """A hop of the login flow answered something else than the flow expects."""


def _is_loopback(host):
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Browser(requests.Session):
    """A requests.Session that, like a browser, sends Secure cookies back to loopback origins
    over http (Python's cookie jar sends them over https only)."""

    def send(self, request, **kwargs):
        response = super().send(request, **kwargs)
        for cookie in self.cookies:
            if cookie.secure and _is_loopback(cookie.domain):
                cookie.secure = False
        return response


def upload_status_with_session(zot_url, repo, cookie):
    """Status of starting a blob upload with only a `session` cookie as the credential (as
    zot's UI does, with its header): 202 while the session lives, 401 after logout."""
    return requests.post(
        f"{zot_url}/v2/{repo}/blobs/uploads/",
        cookies={"session": cookie},
        headers=SESSION_HEADERS,
        timeout=10,
    ).status_code


def _expect_redirect(response, what):
    if response.status_code != 302 or "Location" not in response.headers:
        raise LoginError(f"{what}: expected a 302, got {response.status_code}: {response.text[:300]}")
    return response.headers["Location"]


def browser_login(zot_url, user, provider="oidc", callback_ui="/", timeout=30):
    """Log `user` (the IdP subject) in; returns (requests.Session with the cookies, hops).

    hops holds the authorize URL and the callback URL, for tests that look at them.
    """
    browser = Browser()
    query = urllib.parse.urlencode({"provider": provider, "callback_ui": callback_ui})
    login = browser.get(f"{zot_url}/zot/auth/login?{query}", allow_redirects=False, timeout=timeout)
    authorize_url = _expect_redirect(login, "zot /zot/auth/login")
    consent = browser.post(authorize_url, data={"sub": user}, allow_redirects=False, timeout=timeout)
    callback_url = _expect_redirect(consent, "IdP authorize")
    callback = browser.get(callback_url, allow_redirects=False, timeout=timeout)
    if callback.status_code not in (200, 302) or "session" not in browser.cookies:
        raise LoginError(f"zot callback: {callback.status_code} without a session: {callback.text[:300]}")
    return browser, {"authorize": authorize_url, "callback": callback_url, "final": callback}


_FORM_ACTION = re.compile(r'<form[^>]*\saction="([^"]*)"', re.IGNORECASE)


def dex_login(zot_url, username, password, callback_ui="/", timeout=30):
    """Log an LDAP user in to zot through Dex's own pages; returns (session, hops) like
    browser_login. zot -> Dex /auth -> the LDAP connector's login page (Dex skips its
    connector chooser when it has one connector) -> POST login/password to the form's action
    -> Dex's approval step (skipped by skipApprovalScreen) -> zot's callback."""
    browser = Browser()
    query = urllib.parse.urlencode({"provider": "oidc", "callback_ui": callback_ui})
    url = _expect_redirect(
        browser.get(f"{zot_url}/zot/auth/login?{query}", allow_redirects=False, timeout=timeout),
        "zot /zot/auth/login",
    )
    hops = {"authorize": url}
    page = browser.get(url, allow_redirects=True, timeout=timeout)
    action = _FORM_ACTION.search(page.text)
    if page.status_code != 200 or not action:
        raise LoginError(f"Dex login page: {page.status_code} without a form: {page.text[:300]}")
    hops["login_page"] = page.url
    form_url = urllib.parse.urljoin(page.url, html.unescape(action.group(1)))
    answer = browser.post(form_url, data={"login": username, "password": password}, allow_redirects=False)
    while answer.status_code in (302, 303) and not answer.headers["Location"].startswith(zot_url):
        answer = browser.get(
            urllib.parse.urljoin(answer.url, answer.headers["Location"]), allow_redirects=False
        )
    if answer.status_code not in (302, 303):
        raise LoginError(f"Dex login: {answer.status_code} instead of a redirect to zot: {answer.text[:300]}")
    hops["callback"] = answer.headers["Location"]
    callback = browser.get(hops["callback"], allow_redirects=False, timeout=timeout)
    if callback.status_code not in (200, 302) or "session" not in browser.cookies:
        raise LoginError(f"zot callback: {callback.status_code} without a session: {callback.text[:300]}")
    hops["final"] = callback
    return browser, hops
