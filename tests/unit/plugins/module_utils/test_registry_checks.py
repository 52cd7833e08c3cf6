"""registry_checks: judging probes against policy decisions, and check mode."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.zotops.registry.plugins.module_utils.registry_checks import (
    CHECK_NAMES,
    READ_ONLY_CHECKS,
    error_summary,
    judge,
    metrics_decision,
    run_checklist,
)
from ansible_collections.zotops.registry.plugins.module_utils.registry_http import (
    RegistryHTTPError,
)

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


class _Health(BaseHTTPRequestHandler):
    """Answers health and the catalog; records every request so writes would show up."""

    def log_message(self, *args):
        pass

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
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    httpd.seen = []
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_check_mode_only_reads(server):
    options = {
        "url": "http://%s:%d" % server.server_address,
        "access_control": {"repositories": {"**": {"anonymousPolicy": ["read"]}}},
        "pusher": {"username": "ci", "password": "p", "groups": []},
        "admin": {"username": "admin", "password": "p", "groups": []},
        "repository": "zotops/registry-check",
    }
    checks, leftovers = run_checklist(options, check_mode=True)
    assert {method for method, _ in server.seen} <= {"GET", "HEAD"}
    by_status = {}
    for check in checks:
        by_status.setdefault(check["status"], set()).add(check["name"])
    assert by_status["skipped"] >= set(CHECK_NAMES) - set(READ_ONLY_CHECKS)
    assert by_status["passed"] == {"health", "anonymous_catalog"}
    assert leftovers == []


def test_checks_option_selects(server):
    options = {
        "url": "http://%s:%d" % server.server_address,
        "access_control": {},
        "repository": "r",
        "checks": ["health"],
    }
    checks, _ = run_checklist(options)
    assert [(c["name"], c["target"], c["status"]) for c in checks] == [
        ("health", "/livez", "passed"),
        ("health", "/readyz", "passed"),
    ]
    assert server.seen == [("GET", "/livez"), ("GET", "/readyz")]
