# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""zot's web UI on the systemd test host, as the role deploys it by default (full flavour),
in a real browser (headless Chromium): an LDAP person of the CI group logs in through Dex,
makes an API key in the UI, pushes a new tag with it, cannot move it, and revokes the key
there, after which the key is refused."""

import subprocess
import uuid

import pytest
import requests

from tests.support import zot_ui
from tests.support.ldap_directory import PEOPLE, email
from tests.support.oci_layout import make_oci_layout

REGISTRY = "127.0.0.1:5060"
URL = "http://" + REGISTRY


def push(layout, uid, key, repo, tag):
    return subprocess.run(  # noqa: S603 - test argv
        [
            "skopeo",
            "--insecure-policy",
            "copy",
            "--dest-tls-verify=false",
            f"--dest-creds={email(uid)}:{key}",
            f"oci:{layout}:v1",
            f"docker://{REGISTRY}/{repo}:{tag}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def page():
    # The scenario's zot and Dex listen on 5060 and 5061, SIP's ports, which Chromium refuses
    # unless they are named.
    with zot_ui.chromium(extra_args=["--explicitly-allowed-ports=5060,5061"]) as chromium:
        yield chromium.new_context(viewport={"width": 1280, "height": 720}).new_page()


def test_the_role_serves_the_web_ui():
    answer = requests.get(URL + "/login", timeout=30)
    assert answer.status_code == 200 and "<html" in answer.text.lower()


def test_a_ci_person_logs_in_makes_a_key_in_the_ui_pushes_and_revokes_it(page, tmp_path):
    zot_ui.sign_in_with_openid(page, URL, "Dex", "ci-runner", PEOPLE["ci-runner"][0])
    assert zot_ui.open_account_menu(page).get_by_text(email("ci-runner")).is_visible()
    page.keyboard.press("Escape")
    zot_ui.open_api_keys(page)
    label = f"ui-{uuid.uuid4().hex[:6]}"
    key = zot_ui.create_api_key(page, label, "30 days")
    repo = f"team/oidc-ui-{uuid.uuid4().hex[:6]}"
    make_oci_layout(tmp_path / "one", "v1", b"from the UI key")
    make_oci_layout(tmp_path / "two", "v1", b"moved")
    first = push(tmp_path / "one", "ci-runner", key, repo, "1.0.0")
    assert first.returncode == 0, first.stderr
    moved = push(tmp_path / "two", "ci-runner", key, repo, "1.0.0")
    assert moved.returncode != 0 and "denied" in moved.stderr.lower(), moved.stderr
    zot_ui.revoke_api_key(page, label)
    assert requests.get(URL + "/v2/", auth=(email("ci-runner"), key), timeout=30).status_code == 401
