# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The authentik_* modules and the authentik_client role through ansible-playbook.

They run against tests/authentik_double (a contract-checked double of Authentik's API on
127.0.0.1, see its docstring); the double rejects any request body Authentik's own request
models would reject, so a passing run means the modules sent well-formed requests.
"""

import json
import re

import pathlib

import pytest
import yaml

from tests.support.authentik import API_TOKEN
from tests.support.playbook import run_playbook

pytestmark = pytest.mark.integration

CLIENT_SECRET = "zot-client-secret-8d77e0a1"
ZOT_URL = "https://zot.example.test"
CALLBACK = ZOT_URL + "/zot/auth/callback/oidc"
# zot sends users here after logout (post_logout_redirect_uri).
POST_LOGOUT = ZOT_URL + "/login"
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


def test_role_registers_zot_idempotently_and_corrects_drift(tmp_path, start_authentik):
    authentik = start_authentik()
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
    assert [(u["matching_mode"], u["url"], u["redirect_uri_type"]) for u in provider["redirect_uris"]] == [
        ("strict", CALLBACK, "authorization"),
        ("strict", POST_LOGOUT, "logout"),
    ]
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
    # The real token (the double issues token_urlsafe(45)), not Ansible's no_log mask.
    assert re.fullmatch(r"[A-Za-z0-9_-]{60}", facts["ci_token"]), facts["ci_token"]
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
    assert [(u["url"], u["redirect_uri_type"]) for u in provider["redirect_uris"]] == [
        (CALLBACK, "authorization"),
        (POST_LOGOUT, "logout"),
    ]
    assert "******** (changed)" in output
    for secret in (CLIENT_SECRET, "someone-else-set-this", API_TOKEN):
        assert secret not in output


def test_failing_role_run_shows_no_secret(tmp_path, start_authentik):
    # Every secret option of the role (its no_log options) is planted by role_play.
    spec = yaml.safe_load(ROLE_SPEC.read_text())["argument_specs"]["main"]["options"]
    secret_options = {name for name, option in spec.items() if option.get("no_log")}
    assert secret_options == {"authentik_client_token", "zot_oidc_client_secret"}

    authentik = start_authentik()
    wrong_token = "authentik-token-that-was-revoked-5e1d"
    play = role_play(tmp_path, authentik.url, wrong_token)
    run = run_playbook(tmp_path, play, verbose=3, diff=True, expect_success=False)
    assert "Authentik refused the token (HTTP 403)" in run.output
    for secret in (wrong_token, CLIENT_SECRET):
        assert secret not in run.output


def test_role_speaks_the_pre_2024_10_redirect_uri_format(tmp_path, start_authentik):
    authentik = start_authentik(version="2024.8.4")
    play = role_play(tmp_path, authentik.url)
    _unused, _unused, recap = run_with_facts(tmp_path, play)
    assert recap["changed"] > 0
    provider = authentik.one("/providers/oauth2/", name="zot")
    assert provider["redirect_uris"] == CALLBACK
    assert "invalidation_flow" not in provider
    _unused, _unused, recap = run_with_facts(tmp_path, play)
    assert recap["changed"] == 0


def test_role_leaves_the_logout_uri_out_before_redirect_uri_types(tmp_path, start_authentik):
    # 2025.10 speaks redirect URI objects but has no types (the double refuses the field).
    authentik = start_authentik(version="2025.10.3")
    play = role_play(tmp_path, authentik.url)
    _, _, recap = run_with_facts(tmp_path, play)
    assert recap["failed"] == 0 and recap["changed"] > 0
    provider = authentik.one("/providers/oauth2/", name="zot")
    assert provider["redirect_uris"] == [{"matching_mode": "strict", "url": CALLBACK}]
    _, _, recap = run_with_facts(tmp_path, play)
    assert recap["changed"] == 0


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


@pytest.mark.parametrize(
    "module, args, token, message",
    [
        (
            "authentik_oauth2_provider",
            {
                "name": "zot",
                "client_id": "zot",
                "redirect_uris": [{"url": CALLBACK}],
                "authorization_flow": "no-such-flow",
            },
            API_TOKEN,
            "no authorization flow found at /flows/instances/?slug=no-such-flow",
        ),
        (
            "authentik_oauth2_provider",
            {
                "name": "zot",
                "client_id": "x" * 256,
                "redirect_uris": [{"url": CALLBACK}],
            },
            API_TOKEN,
            "POST /providers/oauth2/ failed (HTTP 400): client_id:",
        ),
        (
            "authentik_application",
            {"slug": "zot", "name": "zot", "provider": "missing"},
            API_TOKEN,
            "provider: no OAuth2 provider named 'missing'",
        ),
        (
            "authentik_application",
            {"slug": "not a slug", "name": "zot"},
            API_TOKEN,
            'POST /core/applications/ failed (HTTP 400): slug: Enter a valid "slug"',
        ),
        (
            "authentik_group_member",
            {"group": "artifact-workloads", "username": "zot-ci"},
            API_TOKEN,
            "group: 'artifact-workloads' does not exist in Authentik",
        ),
        (
            "authentik_group",
            {"name": "ci"},
            "wrong-token",
            "Authentik refused the token (HTTP 403): Token invalid/expired",
        ),
    ],
)
def test_module_errors_name_the_offending_field(tmp_path, start_authentik, module, args, token, message):
    authentik = start_authentik()
    _unused, output, recap = run_with_facts(tmp_path, module_play(authentik.url, module, args, token))
    assert recap["failed"] == 0  # ignore_errors: the failure is in the registered result
    assert message in " ".join(output.split())  # the YAML callback wraps long messages


def test_too_old_authentik_is_refused_with_its_version(tmp_path, start_authentik):
    authentik = start_authentik(version="2024.6.3")
    args = {"name": "zot", "client_id": "zot", "redirect_uris": [{"url": CALLBACK}]}
    _unused, output, _unused = run_with_facts(
        tmp_path, module_play(authentik.url, "authentik_oauth2_provider", args)
    )
    assert "Authentik 2024.6.3 is older than 2024.8" in output
