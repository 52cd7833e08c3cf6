# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""_checks/checklist: judging probes against policy decisions, and check mode."""

import shutil
import ssl
import subprocess

import pytest

from ansible_collections.zotops.registry.plugins.module_utils._checks.checklist import (
    CHECK_NAMES,
    READ_ONLY_CHECKS,
    error_summary,
    first_refusal,
    judge,
    ldap_cause,
    metrics_decision,
    must_go_through,
    report,
    run_checklist,
    settle,
)
from ansible_collections.zotops.registry.plugins.module_utils._registry.http_client import (
    RegistryHTTPError,
)
from tests.support.http_server import QuietHandler, serve

ALLOWED = {"allowed": True, "status": 200, "reason": "group grants create"}
DENIED_403 = {"allowed": False, "status": 403, "reason": "no grant"}
DENIED_401 = {"allowed": False, "status": 401, "reason": "no grant"}


def test_allowed_decision_passes_only_when_the_probe_went_through():
    assert judge("pusher_push", "r", ALLOWED, 201)["passed"] is True
    failed = judge("pusher_push", "r", ALLOWED, 403, "registry error DENIED")
    assert failed["status"] == "failed"
    assert failed["expected"] == "allowed: group grants create"
    assert failed["observed"] == "refused with HTTP 403; registry error DENIED"


def test_refusal_must_carry_the_policy_status():
    assert judge("x", "r", DENIED_403, 403)["passed"] is True
    # 401 where zot must say 403 means the identity was not recognised: a finding.
    assert judge("x", "r", DENIED_403, 401)["passed"] is False
    assert judge("x", "r", DENIED_401, 201)["passed"] is False


def test_an_intent_probe_fails_when_refused_even_if_the_policy_refuses_it_too():
    # The pusher's push of a new tag: a policy that took it away is the finding.
    refused = must_go_through("pusher_push", "r", DENIED_403, 403, 201, "CI pushes new tags")
    assert refused["status"] == "failed"
    assert refused["expected"] == (
        "allowed (CI pushes new tags, whatever the policy says); the policy refuses it too: no grant"
    )
    assert must_go_through("pusher_push", "r", ALLOWED, 201, 201, "CI pushes new tags")["passed"] is True
    assert must_go_through("admin_delete", "r", ALLOWED, None, 202, "x", "timeout")["passed"] is False


def test_no_answer_fails():
    result = judge("health", "/livez", ALLOWED, None, "connection refused")
    assert result["passed"] is False and "no HTTP answer" in result["observed"]


def test_metrics_decision_follows_zot_metrics_rules():
    policy = {"metrics": {"users": ["prometheus"]}, "adminPolicy": {"users": ["admin"]}}
    assert metrics_decision(policy, {"anonymous": True})["status"] == 401
    assert metrics_decision(policy, {"user": "prometheus", "groups": []})["allowed"] is True
    # Admins are not implied.
    assert metrics_decision(policy, {"user": "admin", "groups": []})["status"] == 403
    anonymous_read = {"metrics": {"anonymousPolicy": ["read"]}}
    assert metrics_decision(anonymous_read, {"anonymous": True})["allowed"] is True


def test_error_summary_prefers_the_registry_error_code():
    body = b'{"errors": [{"code": "DENIED", "message": "requested access is denied"}]}'
    assert error_summary(RegistryHTTPError("m", 403, "u", body)) == "registry error DENIED"
    assert error_summary(RegistryHTTPError("plain text", 502, "u", b"<html>")) == "plain text"


class _Health(QuietHandler):
    """Answers health and the catalog; records every request so writes would show up."""

    def _answer(self):
        self.server.seen.append((self.command, self.path))
        body = b'{"repositories": []}' if self.path.startswith("/v2/_catalog") else b""
        status = 200 if self.path in ("/livez", "/readyz") or body else 404
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _answer


@pytest.fixture
def server():
    with serve(_Health) as httpd:
        yield httpd


def test_check_mode_only_reads(server):
    options = {
        "url": server.url,
        "access_control": {"repositories": {"**": {"anonymousPolicy": ["read"]}}},
        "pusher": {"username": "ci", "password": "p", "groups": []},
        "admin": {"username": "admin", "password": "p", "groups": []},
        "repository": "zotops/registry-check",
    }
    outcome = run_checklist(options, check_mode=True)
    checks, leftovers = outcome["checks"], outcome["leftovers"]
    assert {method for method, _unused in server.seen} <= {"GET", "HEAD"}
    by_status = {}
    for check in checks:
        by_status.setdefault(check["status"], set()).add(check["name"])
    assert by_status["skipped"] >= set(CHECK_NAMES) - set(READ_ONLY_CHECKS)
    assert by_status["passed"] == {"health", "anonymous_catalog"}
    assert leftovers == []


def test_checks_option_selects(server):
    options = {
        "url": server.url,
        "access_control": {},
        "repository": "r",
        "checks": ["health"],
    }
    checks = run_checklist(options)["checks"]
    assert [(c["name"], c["target"], c["status"]) for c in checks] == [
        ("health", "/livez", "passed"),
        ("health", "/readyz", "passed"),
    ]
    assert server.seen == [("GET", "/livez"), ("GET", "/readyz")]


def test_fail_delay_stops_at_a_refused_good_login(server):
    options = {
        "url": server.url,
        "access_control": {},
        "repository": "r",
        "pusher": {"username": "ci", "password": "p", "groups": []},
        "fail_delay": 1,
        "checks": ["fail_delay"],
    }
    (check,) = run_checklist(options)["checks"]
    assert check["status"] == "failed" and check["observed"].startswith("the good login got HTTP 404 after")
    assert "LDAP" not in check["observed"]  # answered at once: not zot's LDAP retries
    assert server.seen == [("GET", "/v2/")]  # no bad login, no second wait


def test_ldap_cause_only_for_as_long_as_zots_ldap_retries():
    assert ldap_cause(27.9) == ""
    assert "LDAP server it cannot reach (28 s per login" in ldap_cause(28.0)


def _openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def _issue(directory, name, ca_name, extension):
    key, csr, cert = (str(directory / (name + suffix)) for suffix in (".key", ".csr", ".pem"))
    _openssl(
        "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-subj", "/CN=" + name, "-out", csr
    )
    ext = directory / (name + ".ext")
    ext.write_text(extension)
    ca_cert, ca_key = str(directory / (ca_name + ".pem")), str(directory / (ca_name + ".key"))
    _openssl(
        "x509",
        "-req",
        "-in",
        csr,
        "-CA",
        ca_cert,
        "-CAkey",
        ca_key,
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        str(ext),
        "-out",
        cert,
    )
    return cert, key


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """Two CAs, a server certificate for 127.0.0.1 from the first, a client certificate."""
    if not shutil.which("openssl"):
        pytest.skip("needs openssl")
    directory = tmp_path_factory.mktemp("pki")
    for ca in ("ca", "other-ca"):
        _openssl(
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=" + ca,
            "-keyout",
            str(directory / (ca + ".key")),
            "-out",
            str(directory / (ca + ".pem")),
        )
    server = _issue(directory, "server", "ca", "subjectAltName=IP:127.0.0.1\n")
    client = _issue(directory, "client", "ca", "extendedKeyUsage=clientAuth\n")
    return {
        "ca": str(directory / "ca.pem"),
        "other_ca": str(directory / "other-ca.pem"),
        "server": server,
        "client": client,
    }


@pytest.fixture
def tls_server(pki):
    """HTTPS on 127.0.0.1 that asks for (and verifies) a client certificate if one is sent."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*pki["server"])
    context.load_verify_locations(pki["ca"])
    context.verify_mode = ssl.CERT_OPTIONAL
    with serve(_TLSHealth, tls_context=context) as httpd:
        yield httpd.url


class _TLSHealth(QuietHandler):
    """/livez answers everyone; /v2/ answers 200 only to a verified client certificate."""

    def do_GET(self):
        has_cert = bool(self.connection.getpeercert())
        status = 200 if self.path == "/livez" or (self.path == "/v2/" and has_cert) else 401
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


def _tls_checks(url, **options):
    checks = run_checklist(
        dict({"url": url, "access_control": {}, "repository": "r", "checks": ["tls", "mtls"]}, **options)
    )["checks"]
    return {check["name"]: check for check in checks}


def test_tls_check_verifies_the_certificate(tls_server, pki):
    assert _tls_checks(tls_server, ca_path=pki["ca"])["tls"]["status"] == "passed"
    wrong_ca = _tls_checks(tls_server, ca_path=pki["other_ca"])["tls"]
    assert wrong_ca["status"] == "failed" and "TLS failed" in wrong_ca["observed"]
    assert _tls_checks(tls_server, validate_certs=False)["tls"]["status"] == "skipped"


def test_mtls_check_presents_the_client_certificate(tls_server, pki):
    cert, key = pki["client"]
    checks = _tls_checks(tls_server, ca_path=pki["ca"], client_cert=cert, client_key=key)
    assert checks["mtls"]["status"] == "passed"
    assert _tls_checks(tls_server, ca_path=pki["ca"])["mtls"]["status"] == "skipped"


CONDITIONAL_UPDATE = {
    "repositories": {
        "**": {
            "policies": [
                {"users": ["ci"], "actions": ["read", "create"]},
                {
                    "users": ["ci"],
                    "actions": ["update"],
                    "conditions": [{"expression": "req.tag == 'latest'"}],
                },
            ]
        }
    }
}
CI = {"user": "ci", "groups": []}


def _query(tag):
    return {"who": CI, "repository": "apps/web", "action": "update", "request": {"reference": tag}}


def _undecided(*tags):
    return {"allowed": False, "status": 403, "cel_unavailable": True, "queries": [_query(t) for t in tags]}


def test_an_answer_the_host_cannot_decide_is_pending_with_its_query():
    result = judge("pusher_tag_rules", "apps/web:latest", _undecided("latest"), 201, "pushed")
    assert result["status"] == "pending" and result["passed"] is None
    assert result["pending"]["queries"] == [_query("latest")]


def test_settle_judges_pending_answers_with_the_cel_conditions():
    checks = [
        judge("pusher_tag_rules", "move latest", _undecided("latest"), 201),
        judge("pusher_tag_rules", "move v1", _undecided("v1"), 201, moved=True),
        judge("pusher_tag_rules", "refused latest", _undecided("latest"), 403),
        judge("pusher_push", "r", ALLOWED, 201),
    ]
    settled = settle(checks, CONDITIONAL_UPDATE)
    assert [c["status"] for c in settled] == ["passed", "failed", "failed", "passed"]
    assert settled[1]["expected"].startswith("refused with HTTP 403")
    assert "pending" not in settled[0]
    assert report(settled)["failed_checks"] == [
        {"name": "pusher_tag_rules", "target": "move v1"},
        {"name": "pusher_tag_rules", "target": "refused latest"},
    ]


def test_a_request_authorized_in_steps_takes_the_first_refusal():
    assert first_refusal([ALLOWED, DENIED_403, DENIED_401]) is DENIED_403
    assert first_refusal([ALLOWED, ALLOWED]) is ALLOWED
    combined = first_refusal([ALLOWED, _undecided("latest"), _undecided("v1")])
    assert combined["cel_unavailable"] and combined["queries"] == [_query("latest"), _query("v1")]
    checks = settle([judge("pusher_tag_rules", "t", combined, 201)], CONDITIONAL_UPDATE)
    assert checks[0]["status"] == "failed"  # v1 is refused, so the whole request is
    # A step decided here that refuses settles the request, whatever the undecided ones say.
    assert first_refusal([_undecided("latest"), DENIED_403]) is DENIED_403


def test_settle_skips_an_answer_that_depends_on_attributes_the_probe_left_open():
    undecided = _undecided()
    undecided["queries"] = [dict(_query("x"), request=None)]  # an access probe names no tag
    (check,) = settle([judge("pusher_access", "apps/web update", undecided, 403)], CONDITIONAL_UPDATE)
    assert check["status"] == "skipped" and "does not fix" in check["observed"]


def test_without_the_cel_library_the_checklist_defers_instead_of_guessing(monkeypatch):
    from ansible_collections.zotops.registry.plugins.module_utils._policy import engine

    monkeypatch.setattr(engine, "cel_available", lambda: False)
    monkeypatch.setattr(engine, "evaluate", _raise_unavailable)
    decision = engine.LoadedPolicy(CONDITIONAL_UPDATE).decide(
        CI, "apps/web", "update", {"reference": "latest"}
    )
    assert decision["cel_unavailable"] is True and decision["allowed"] is False
    assert decision["queries"] == [_query("latest")]  # the question, to ask the controller
    # Decisions without conditions are made as before.
    plain = engine.LoadedPolicy(CONDITIONAL_UPDATE).decide(CI, "apps/web", "create", {"reference": "x"})
    assert plain["allowed"] is True and "cel_unavailable" not in plain


def _raise_unavailable(_expression, _attributes):
    from ansible_collections.zotops.registry.plugins.module_utils._policy.cel import CelUnavailable

    raise CelUnavailable("no CEL here")
