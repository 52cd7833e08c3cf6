# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The example proxy config (docs/examples/nginx-zot.conf, Debian's nginx) in front of real
zot bounds what zot alone does not: the metric series a flood of made-up repository names
adds, the length of repository names, and the SameSite attribute of zot's cookies.

Bounded: a few hundred requests on loopback, no waiting on failDelay."""

import math

import pytest
import requests

from harness import flood, nginx
from harness.role_defaults import zot_role_default
from tests.support.policies import role_default_access_control

pytestmark = pytest.mark.integration

ADMIN = ("admin", "admin-proxy-password")
SCRAPER = ("prometheus", "scraper-proxy-password")
METRICS_PATH = zot_role_default("zot_metrics_path")
# zot v2.1.20 keeps a summary per repository name (its _sum and _count lines); a few other
# series appear with the first 404 (its status code label).
LINES_PER_NAME = 2
OTHER_NEW_LINES = 20


@pytest.fixture
def zot_behind_the_example(start_registry, htpasswd_line, tmp_path):
    """zot with the role's default policy and metrics, and nginx running the example in front."""
    config = {
        "http": {
            "auth": {"htpasswd": {"path": "{tmp}/htpasswd"}, "failDelay": 0},
            "accessControl": role_default_access_control({"artifact-admins": [ADMIN[0]]}),
        },
        "extensions": {"metrics": {"enable": True, "prometheus": {"path": METRICS_PATH}}},
        "log": {"level": "error"},
    }
    htpasswd = "".join(htpasswd_line(*user) + "\n" for user in (ADMIN, SCRAPER))
    zot = start_registry(tmp_path, config, {"htpasswd": htpasswd})
    proxy = nginx.start(tmp_path, zot.url)
    yield zot, proxy
    proxy.stop()


def test_made_up_names_from_outside_add_metric_series_only_at_the_example_rate(zot_behind_the_example):
    zot, proxy = zot_behind_the_example
    rate, burst = nginx.anonymous_rate_limit()
    requests_sent = 3 * burst
    before = flood.metric_lines(zot.url, SCRAPER, METRICS_PATH)

    run = flood.made_up_names(proxy.url, requests_sent)

    statuses = run["statuses"]
    reached = statuses.get(404, 0)
    assert set(statuses) <= {404, 429} and 429 in statuses, statuses
    # nginx's leaky bucket: the burst, then `rate` per second of the flood.
    assert reached <= burst + 1 + math.ceil(rate * run["seconds"]), run
    growth = flood.metric_lines(zot.url, SCRAPER, METRICS_PATH) - before
    assert growth <= LINES_PER_NAME * reached + OTHER_NEW_LINES, (growth, run)
    assert growth < LINES_PER_NAME * requests_sent, (growth, run)


def test_own_networks_are_not_rate_limited(zot_behind_the_example):
    _zot, proxy = zot_behind_the_example
    _rate, burst = nginx.anonymous_rate_limit()

    run = flood.made_up_names(proxy.url, burst + 50, prefix="own", source="127.0.0.1")

    assert run["statuses"] == {404: burst + 50}, run


def _upload(url, name):
    return requests.post(f"{url}/v2/{name}/blobs/uploads/", auth=ADMIN, timeout=30)


def test_repository_names_over_255_characters_are_refused(zot_behind_the_example):
    zot, proxy = zot_behind_the_example
    long_part = "team/" + "p" * 256
    long_name = "/".join(["q" * 200] * 12)
    longest = "team/" + "r" * 250

    # What zot does alone: a part longer than a file name may be is a server error, and a
    # 2,411-character name is taken.
    assert _upload(zot.url, long_part).status_code == 500
    assert _upload(zot.url, long_name).status_code == 202

    for name in (long_part, long_name):
        answer = _upload(proxy.url, name)
        assert answer.status_code == 400 and "NAME_INVALID" in answer.text, (len(name), answer.text)
    assert _upload(proxy.url, longest).status_code == 202


def _login_cookies(url):
    """The Set-Cookie headers of a browser-style (zot UI) basic-auth login."""
    answer = requests.get(f"{url}/v2/", auth=ADMIN, headers={"X-ZOT-API-CLIENT": "zot-ui"}, timeout=30)
    assert answer.status_code == 200
    return {cookie.split("=", 1)[0]: cookie for cookie in answer.raw.headers.getlist("Set-Cookie")}


def test_zot_cookies_get_samesite_lax_through_the_example(zot_behind_the_example):
    zot, proxy = zot_behind_the_example

    direct = _login_cookies(zot.url)
    assert set(direct) == {"session", "user"}, direct
    assert not any("samesite" in cookie.lower() for cookie in direct.values()), direct

    proxied = _login_cookies(proxy.url)
    assert set(proxied) == {"session", "user"}, proxied
    assert all("SameSite=Lax" in cookie for cookie in proxied.values()), proxied
