# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The authentik_* modules and the authentik_client role through ansible-playbook.

They run against real authentik 2025.12 on loopback (harness/authentik.py), one server for
the session: each test uses names of its own.
"""

import json
import re

import pathlib

import pytest
import yaml

from harness.authentik import TOKEN as API_TOKEN
from tests.support.playbook import run_playbook

pytestmark = pytest.mark.integration

CLIENT_SECRET = "zot-client-secret-8d77e0a1"
ZOT_URL = "https://zot.example.test"
CALLBACK = ZOT_URL + "/zot/auth/callback/oidc"
ROLE_SPEC = pathlib.Path(__file__).resolve().parents[2] / "roles/authentik_client/meta/argument_specs.yml"


def run_with_facts(tmp_path, plays, check=False):
    """Run ``plays`` with -vvv --diff; return (facts dumped by the play, all output, recap)."""
    run = run_playbook(tmp_path, plays, check=check, diff=True, verbose=3)
    dumped = tmp_path / "facts.json"
    facts = json.loads(dumped.read_text()) if dumped.exists() else {}
    dumped.unlink(missing_ok=True)
    return facts, run.output, run.recap


def role_play(tmp_path, url, token=API_TOKEN):
    """Apply the role, then dump the facts it publishes (secret dump under no_log)."""
    return [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "vars": {
                "authentik_client_url": url,
                "authentik_client_token": token,
                "zot_oidc_client_secret": CLIENT_SECRET,
                "zot_external_url": ZOT_URL,
            },
            "roles": ["zotops.registry.authentik_client"],
            "post_tasks": [
                {
                    "ansible.builtin.copy": {
                        "content": "{{ {'issuer': zot_oidc_issuer,"
                        " 'ci_token': authentik_client_ci_token | default('')} | to_json }}",
                        "dest": str(tmp_path / "facts.json"),
                    },
                    "check_mode": False,
                    "no_log": True,
                    "changed_when": False,
                }
            ],
        }
    ]


def test_role_registers_zot_idempotently_and_corrects_drift(tmp_path, authentik):
    play = role_play(tmp_path, authentik.url)

    # Check mode on a fresh Authentik predicts changes and creates nothing.
    _unused, _unused, recap = run_with_facts(tmp_path, play, check=True)
    assert recap["changed"] > 0
    assert authentik.one("/providers/oauth2/", name="zot") is None
    assert authentik.one("/core/users/", username="zot-ci") is None

    facts, output, recap = run_with_facts(tmp_path, play)
    assert recap["changed"] > 0
    assert facts["issuer"] == authentik.url + "/application/o/zot/"
    provider = authentik.one("/providers/oauth2/", name="zot")
    assert provider["client_id"] == "zot" and provider["client_secret"] == CLIENT_SECRET
    assert provider["client_type"] == "confidential"
    assert provider["redirect_uris"] == [{"matching_mode": "strict", "url": CALLBACK}]
    scopes = {
        authentik.one("/propertymappings/provider/scope/", managed=m)["pk"]
        for m in (
            "goauthentik.io/providers/oauth2/scope-openid",
            "goauthentik.io/providers/oauth2/scope-email",
            "goauthentik.io/providers/oauth2/scope-profile",
        )
    }
    assert set(provider["property_mappings"]) == scopes
    key = authentik.one("/crypto/certificatekeypairs/", name="authentik Self-signed Certificate")
    assert provider["signing_key"] == key["pk"]
    app = authentik.one("/core/applications/", slug="zot")
    assert app["provider"] == provider["pk"]
    group = authentik.one("/core/groups/", name="artifact-workloads")
    ci_user = authentik.one("/core/users/", username="zot-ci")
    assert ci_user["type"] == "service_account" and group["pk"] in ci_user["groups"]
    # The CI token was published once, and no secret reached the output.
    # The real token (authentik 2025.12's keys are 60 letters and digits), not Ansible's no_log mask.
    assert re.fullmatch(r"[A-Za-z0-9]{60}", facts["ci_token"]), facts["ci_token"]
    for secret in (CLIENT_SECRET, API_TOKEN, facts["ci_token"]):
        assert secret not in output

    # A second run changes nothing; the service account keeps its token, none is re-published.
    facts, _unused, recap = run_with_facts(tmp_path, play)
    assert recap["changed"] == 0
    assert facts["ci_token"] == ""

    # Drift made behind Ansible's back: check mode reports it and leaves it alone...
    authentik.patch(
        "/providers/oauth2/%s/" % provider["pk"],
        {
            "client_secret": "someone-else-set-this",
            "redirect_uris": [{"matching_mode": "regex", "url": "https://.*"}],
        },
    )
    _unused, output, recap = run_with_facts(tmp_path, play, check=True)
    assert recap["changed"] == 1
    assert authentik.one("/providers/oauth2/", name="zot")["client_secret"] == "someone-else-set-this"
    # ...and a real run puts it back, with both secrets blanked in the diff.
    _unused, output, recap = run_with_facts(tmp_path, play)
    assert recap["changed"] == 1
    provider = authentik.one("/providers/oauth2/", name="zot")
    assert provider["client_secret"] == CLIENT_SECRET
    assert provider["redirect_uris"] == [{"matching_mode": "strict", "url": CALLBACK}]
    assert "******** (changed)" in output
    for secret in (CLIENT_SECRET, "someone-else-set-this", API_TOKEN):
        assert secret not in output


def test_failing_role_run_shows_no_secret(tmp_path, authentik):
    # Every secret option of the role (its no_log options) is planted by role_play.
    spec = yaml.safe_load(ROLE_SPEC.read_text())["argument_specs"]["main"]["options"]
    secret_options = {name for name, option in spec.items() if option.get("no_log")}
    assert secret_options == {"authentik_client_token", "zot_oidc_client_secret"}

    wrong_token = "authentik-token-that-was-revoked-5e1d"
    play = role_play(tmp_path, authentik.url, wrong_token)
    run = run_playbook(tmp_path, play, verbose=3, diff=True, expect_success=False)
    assert "Authentik refused the token (HTTP 403)" in run.output
    for secret in (wrong_token, CLIENT_SECRET):
        assert secret not in run.output


def module_play(url, module, args, token=API_TOKEN):
    return [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "tasks": [
                {
                    "zotops.registry." + module: dict({"url": url, "token": token}, **args),
                    "register": "result",
                    "ignore_errors": True,
                },
                {"ansible.builtin.debug": {"var": "result.msg"}},
            ],
        }
    ]


NO_RIGHTS = "no-rights-user-token-7c2d9e"  # noqa: S105 - a token made by the test below


@pytest.mark.parametrize(
    "module, args, token, message",
    [
        (
            "authentik_oauth2_provider",
            {
                "name": "errors-flow",
                "client_id": "errors-flow",
                "redirect_uris": [{"url": CALLBACK}],
                "authorization_flow": "no-such-flow",
            },
            API_TOKEN,
            "no authorization flow found at /flows/instances/?slug=no-such-flow",
        ),
        (
            "authentik_oauth2_provider",
            {
                "name": "errors-key",
                "client_id": "errors-key",
                "redirect_uris": [{"url": CALLBACK}],
                "signing_key": "no-such-key",
            },
            API_TOKEN,
            "no certificate-key pair found at /crypto/certificatekeypairs/?name=no-such-key",
        ),
        (
            "authentik_oauth2_provider",
            {
                "name": "errors-regex",
                "client_id": "errors-regex",
                "redirect_uris": [{"url": "https://(", "matching_mode": "regex"}],
            },
            API_TOKEN,
            "POST /providers/oauth2/ failed (HTTP 400): redirect_uris: Invalid Regex Pattern: https://(",
        ),
        (
            "authentik_oauth2_provider",
            {"name": "errors-long", "client_id": "x" * 256, "redirect_uris": [{"url": CALLBACK}]},
            API_TOKEN,
            "POST /providers/oauth2/ failed (HTTP 400): client_id: Ensure this field has no more than 255",
        ),
        (
            "authentik_oauth2_provider",
            {"name": "errors-rights", "client_id": "errors-rights", "redirect_uris": [{"url": CALLBACK}]},
            NO_RIGHTS,
            "GET /flows/instances/: Authentik refused the token (HTTP 403): You do not have permission",
        ),
        (
            "authentik_application",
            {"slug": "errors-app", "name": "errors-app", "provider": "missing"},
            API_TOKEN,
            "provider: no OAuth2 provider named 'missing'",
        ),
        (
            "authentik_application",
            {"slug": "not a slug", "name": "errors-slug"},
            API_TOKEN,
            "POST /core/applications/ failed (HTTP 400): slug: Enter a valid",
        ),
        (
            "authentik_group_member",
            {"group": "errors-no-group", "username": "akadmin"},
            API_TOKEN,
            "group: 'errors-no-group' does not exist in Authentik",
        ),
        (
            "authentik_group",
            {"name": "errors-token"},
            "wrong-token",
            "Authentik refused the token (HTTP 403): Token invalid/expired",
        ),
    ],
)
def test_module_errors_name_the_offending_field(tmp_path, authentik, module, args, token, message):
    if token == NO_RIGHTS and authentik.one("/core/users/", username="no-rights") is None:
        authentik.post("/core/users/", {"username": "no-rights", "name": "no-rights"})
        authentik.api_token("no-rights-api", NO_RIGHTS, username="no-rights")
    _unused, output, recap = run_with_facts(tmp_path, module_play(authentik.url, module, args, token))
    assert recap["failed"] == 0  # ignore_errors: the failure is in the registered result
    assert message in " ".join(output.split())  # the YAML callback wraps long messages
