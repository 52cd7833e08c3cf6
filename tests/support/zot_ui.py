# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""zot's web UI (zui, served by the full zot binary) in a real browser: Debian's Chromium,
headless, driven by Playwright, which downloads no browser of its own. One function per thing
a person does, each keyed on what the person sees (button texts, the fields' ids)."""

import contextlib
import pathlib
import re

CHROMIUM = "/usr/bin/chromium"
# Headless on a machine without a network of its own: no background connections to refuse.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = pathlib.Path(__file__).resolve().parents[2] / "docs" / "images" / "ui"
API_KEY = re.compile(r"^zak_[0-9a-f]{32}$")


@contextlib.contextmanager
def chromium(extra_args=()):
    """A headless Chromium; each person gets a context of their own (browser.new_context())."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only the browser tests need it

    if not pathlib.Path(CHROMIUM).exists():
        raise RuntimeError("chromium is not installed: run `bash scripts/setup.sh` (Debian's chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + list(extra_args))
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page, name, hide=()):
    """docs/images/ui/<name>.png, as the docs show it, once the page's transitions are over;
    the locators in `hide` (a secret) are covered."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")
    page.screenshot(path=str(SCREENSHOTS / ("%s.png" % name)), mask=list(hide))


def open_login_page(page, zot_url):
    page.goto(zot_url + "/login")
    page.wait_for_load_state("networkidle")


def sign_in_with_openid(page, zot_url, provider_name, login, password, shots=None):
    """The OpenID button, then the identity provider's own form (Dex's), back to the UI.
    shots: (name of the login page's screenshot, name of the provider's) to take on the way."""
    open_login_page(page, zot_url)
    if shots:
        screenshot(page, shots[0])
    page.get_by_role("button", name="Sign in with %s" % provider_name).click()
    page.wait_for_load_state("networkidle")
    page.fill("#login", login)
    page.fill("#password", password)
    if shots:
        screenshot(page, shots[1])
    page.click("#submit-login")
    page.wait_for_url(zot_url + "/home")
    page.wait_for_load_state("networkidle")


def sign_in_with_password(page, zot_url, username, password):
    """The username/password form (htpasswd or LDAP users: the break-glass admin)."""
    open_login_page(page, zot_url)
    page.fill("#username", username)
    page.fill("#password", password)
    page.get_by_role("button", name="Continue", exact=True).click()
    page.wait_for_url(zot_url + "/home")
    page.wait_for_load_state("networkidle")


def continue_as_guest(page, zot_url):
    open_login_page(page, zot_url)
    page.get_by_role("button", name="Continue as guest").click()
    page.wait_for_url(zot_url + "/home")
    page.wait_for_load_state("networkidle")


def open_account_menu(page):
    """The avatar menu: the person's name, API Keys (when zot has them) and Log out."""
    page.get_by_test_id("user-icon-header-button").click()
    menu = page.get_by_role("menu")
    menu.wait_for()
    return menu


def open_api_keys(page):
    open_account_menu(page).get_by_text("API Keys").click()
    page.get_by_role("button", name="Create new API key").wait_for()


def create_api_key(page, label, expiry, shots=None):
    """Create a key on the API Keys page with a label and an expiry ("30 days", ...); returns
    the zak_ key the dialog shows once. shots: (dialog's name, created dialog's name)."""
    page.get_by_role("button", name="Create new API key").click()
    dialog = page.get_by_role("dialog")
    dialog.locator("#apikeylabel").fill(label)
    dialog.get_by_role("combobox").click()
    page.get_by_role("option", name=expiry, exact=True).click()
    if shots:
        screenshot(page, shots[0])
    dialog.get_by_role("button", name="Create", exact=True).click()
    key = dialog.get_by_text(API_KEY)
    key.wait_for()
    if shots:
        screenshot(page, shots[1], hide=[key])
    secret = key.inner_text().strip()
    dialog.get_by_role("button", name="Close").click()
    return secret


def revoke_api_key(page, label):
    """REVOKE on the row of `label`, confirmed where the UI asks."""
    row = (
        page.locator("li, tr, .MuiCard-root, .MuiPaper-root")
        .filter(has_text=label)
        .filter(has=page.get_by_role("button", name="Revoke"))
        .last
    )
    row.get_by_role("button", name="Revoke").click()
    confirm = page.get_by_role("dialog").get_by_role(
        "button", name=re.compile("^(Revoke|Confirm|Yes)$", re.I)
    )
    if confirm.count():
        confirm.first.click()
    page.get_by_text(label, exact=True).wait_for(state="detached")


def log_out(page, zot_url):
    open_account_menu(page).get_by_text("Log out").click()
    page.wait_for_url(re.compile(re.escape(zot_url) + "/login"))
