"""A scripted browser login to zot through its OpenID provider (oidc-provider-mock).

GET <zot>/zot/auth/login?provider=oidc -> 302 to the IdP's authorize URL -> POST sub=<user>
(the mock's login form) -> 302 to <zot>/zot/auth/callback/oidc?code&state -> zot checks
state and tokens and sets the `session` cookie. Redirects are followed by hand so every
hop can be checked.
"""

import urllib.parse

import requests

SESSION_HEADERS = {"X-ZOT-API-CLIENT": "zot-ui"}


class LoginError(AssertionError):
    """A hop of the login flow answered something else than the flow expects."""


def _expect_redirect(response, what):
    if response.status_code != 302 or "Location" not in response.headers:
        raise LoginError(f"{what}: expected a 302, got {response.status_code}: {response.text[:300]}")
    return response.headers["Location"]


def browser_login(zot_url, user, provider="oidc", callback_ui="/", timeout=30):
    """Log `user` (the IdP subject) in; returns (requests.Session with the cookies, hops).

    hops holds the authorize URL and the callback URL, for tests that look at them.
    """
    browser = requests.Session()
    query = urllib.parse.urlencode({"provider": provider, "callback_ui": callback_ui})
    login = browser.get(f"{zot_url}/zot/auth/login?{query}", allow_redirects=False, timeout=timeout)
    authorize_url = _expect_redirect(login, "zot /zot/auth/login")
    consent = browser.post(authorize_url, data={"sub": user}, allow_redirects=False, timeout=timeout)
    callback_url = _expect_redirect(consent, "IdP authorize")
    callback = browser.get(callback_url, allow_redirects=False, timeout=timeout)
    if callback.status_code not in (200, 302) or "session" not in browser.cookies:
        raise LoginError(f"zot callback: {callback.status_code} without a session: {callback.text[:300]}")
    return browser, {"authorize": authorize_url, "callback": callback_url, "final": callback}
