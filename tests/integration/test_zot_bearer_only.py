# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""zot v2.1.20 with workload-identity bearer auth (http.auth.bearer.oidc) authenticates with
bearer tokens only: anonymous pulls, htpasswd and API keys all get 401, whatever the access
policy says (pkg/api/authn.go AuthHandler swaps in the bearer middleware). This is why the zot
role refuses bearer together with an anonymousPolicy (zot_config.bearer_enabled)."""

import copy

import pytest
import requests

from ansible_collections.zotops.registry.plugins.plugin_utils._zot.config import bearer_enabled

pytestmark = pytest.mark.integration

USER, PASSWORD = "ci", "ci-password-0123"
# Never contacted: zot fetches the issuer's keys only when a token arrives.
BEARER = {"oidc": [{"issuer": "http://127.0.0.1:9/issuer", "audiences": ["zot"]}]}
CONFIG = {
    "storage": {"rootDirectory": "{tmp}/storage"},
    "http": {
        "auth": {"htpasswd": {"path": "{tmp}/htpasswd"}, "apikey": True},
        "accessControl": {
            "repositories": {
                "**": {"anonymousPolicy": ["read"], "policies": [{"users": [USER], "actions": ["read"]}]}
            }
        },
    },
}


def statuses(registry, api_key):
    """(anonymous, htpasswd, API key) status of reading the catalog."""
    url = registry.url + "/v2/_catalog"
    return (
        requests.get(url, timeout=30).status_code,
        requests.get(url, auth=(USER, PASSWORD), timeout=30).status_code,
        requests.get(url, auth=(USER, api_key), timeout=30).status_code,
    )


def test_bearer_turns_off_anonymous_and_basic_auth(tmp_path, start_registry, htpasswd_line):
    files = {"htpasswd": htpasswd_line(USER, PASSWORD) + "\n"}
    with_bearer = copy.deepcopy(CONFIG)
    with_bearer["http"]["auth"]["bearer"] = BEARER
    assert bearer_enabled(with_bearer["http"]["auth"]) and not bearer_enabled(CONFIG["http"]["auth"])

    plain = start_registry(tmp_path, CONFIG, files)
    created = requests.post(
        plain.url + "/zot/auth/apikey", json={"label": "ci"}, auth=(USER, PASSWORD), timeout=30
    )
    assert created.status_code == 201
    api_key = created.json()["apiKey"]
    assert statuses(plain, api_key) == (200, 200, 200)
    plain.stop()

    # The same storage (and its API key) behind bearer auth.
    assert statuses(start_registry(tmp_path, with_bearer, files), api_key) == (401, 401, 401)
