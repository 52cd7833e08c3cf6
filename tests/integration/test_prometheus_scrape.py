# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Debian's Prometheus scrapes real zot, configured as the zot role renders it, through its
access control with the example scrape job (docs/examples/prometheus-zot.yml): the target is
up, zot's HTTP and storage series move after a push and a pull, the same job without the
credential is refused (401, target down), and every panel query of the shipped dashboard
(docs/examples/grafana-zot-dashboard.json) returns data."""

import json
import pathlib
import time

import pytest
import requests

from harness import prometheus
from harness.oci_image import pull_image, push_image
from harness.role_defaults import start_zot_as_the_role_renders, zot_role_default

pytestmark = pytest.mark.integration

ROOT = pathlib.Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "docs" / "examples" / "grafana-zot-dashboard.json"
CI = {"name": "ci", "password": "ci-metrics-test-password", "groups": ["artifact-workloads"]}
# The role's default policy names this user in accessControl.metrics.users.
METRICS = {
    "name": zot_role_default("zot_access_control")["metrics"]["users"][0],
    "password": "scrape-password-42",
}
REPO = "team/app"
WAIT = 30  # seconds for Prometheus to scrape what just happened (it scrapes every 2 s)


def _until(what, probe):
    """probe()'s first truthy answer within WAIT seconds; fails naming what was awaited."""
    deadline = time.monotonic() + WAIT
    while True:
        answer = probe()
        if answer or time.monotonic() > deadline:
            assert answer, f"not within {WAIT}s: {what}"
            return answer
        time.sleep(0.5)


def _value(scraper, expr):
    result = scraper.query(expr)
    return float(result[0]["value"][1]) if result else None


@pytest.fixture(scope="module")
def scraped(tmp_path_factory):
    """Real zot as the role renders it, and Prometheus scraping it with and without the credential."""
    tmp_path = tmp_path_factory.mktemp("metrics")
    registry = start_zot_as_the_role_renders(tmp_path, [CI, METRICS], secure_session=False)
    password_file = tmp_path / "zot-metrics-password"
    password_file.write_text(METRICS["password"])
    jobs = [
        prometheus.job_for(registry.url, password_file),
        prometheus.job_for(registry.url, None, job_name="zot-without-credential"),
    ]
    scraper = prometheus.start(tmp_path, jobs)
    try:
        yield registry, scraper
    finally:
        scraper.stop()
        registry.stop()


def test_the_example_job_scrapes_zot_with_the_metrics_identity(scraped):
    _, scraper = scraped
    _until("up{job='zot'} == 1", lambda: _value(scraper, 'up{job="zot"}') == 1)
    assert scraper.targets()["zot"]["health"] == "up"


def test_without_the_credential_zot_refuses_the_scrape(scraped):
    _, scraper = scraped
    target = _until(
        "a failed scrape of the job without credential",
        lambda: (t := scraper.targets().get("zot-without-credential")) and t["lastError"] and t,
    )
    assert target["health"] == "down"
    assert "401" in target["lastError"]
    assert _value(scraper, 'up{job="zot-without-credential"}') == 0


def _push_and_pull(registry, tag):
    ci = requests.Session()
    ci.auth = (CI["name"], CI["password"])
    push_image(ci, registry.url, REPO, tag)
    pull_image(requests.Session(), registry.url, REPO, tag)


@pytest.fixture(scope="module")
def traffic(scraped):
    """Two rounds of a push and a pull, the second after Prometheus saw the first, so that
    counters have grown between two scrapes."""
    registry, scraper = scraped
    _until("the first scrape", lambda: _value(scraper, 'up{job="zot"}') == 1)
    before = _value(scraper, 'sum(zot_http_requests_total{job="zot"})') or 0
    _push_and_pull(registry, "v1")
    _until("team/app's first upload", lambda: _value(scraper, f'zot_repo_uploads_total{{repo="{REPO}"}}'))
    _push_and_pull(registry, "v2")
    return before


def test_http_and_storage_series_move_after_a_push_and_a_pull(scraped, traffic):
    _, scraper = scraped
    labels = f'{{job="zot",repo="{REPO}"}}'
    _until("two uploads of team/app", lambda: (_value(scraper, f"zot_repo_uploads_total{labels}") or 0) >= 2)
    _until(
        "two downloads of team/app", lambda: (_value(scraper, f"zot_repo_downloads_total{labels}") or 0) >= 2
    )
    _until("team/app's storage", lambda: (_value(scraper, f"zot_repo_storage_bytes{labels}") or 0) > 0)
    _until(
        "more HTTP requests counted",
        lambda: (_value(scraper, 'sum(zot_http_requests_total{job="zot"})') or 0) > traffic,
    )


def _panel_queries():
    dashboard = json.loads(DASHBOARD.read_text())
    return [(panel["title"], target["expr"]) for panel in dashboard["panels"] for target in panel["targets"]]


def _has_data(result):
    return any(sample["value"][1] not in ("NaN", "+Inf", "-Inf") for sample in result)


@pytest.mark.parametrize(("title", "expr"), _panel_queries(), ids=[title for title, _ in _panel_queries()])
def test_every_dashboard_panel_has_data(scraped, traffic, title, expr):
    _, scraper = scraped
    _until(f"data for the panel {title!r}: {expr}", lambda: _has_data(scraper.query(expr)))
