# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""How zot v2.1.20 picks up a changed config.json, on the real binary.

zot's hot reloader (pkg/cli/server/config_reloader.go) watches the config file with
fsnotify and reloads on a Write event only; a reload swaps the reloadable settings
(Config.UpdateReloadableConfig: accessControl, htpasswd/LDAP/API-key/OpenID settings,
storage GC and retention) and recompiles the policy, without closing the listener. A file
replaced by rename (what ansible.builtin.copy does) gives no Write event on the watched
inode: zot keeps the old policy and stops watching. So a policy-only change is written in
place and needs no restart; everything else restarts zot.
"""

import json
import os
import threading
import time

import pytest
import requests

from ansible_collections.zotops.registry.plugins.module_utils._registry.oci import OCIClient
from ansible_collections.zotops.registry.plugins.module_utils._registry.http_client import RegistryClient

pytestmark = pytest.mark.integration

ADMIN = ("admin", "admin-password-0123")
# Generous bound for zot to notice and apply a write (it takes milliseconds).
CONVERGE_WITHIN = 10.0
POLL_EVERY = 0.02


def policy(anonymous_read_private):
    repositories = {"public/**": {"anonymousPolicy": ["read"]}}
    if anonymous_read_private:
        repositories["private/**"] = {"anonymousPolicy": ["read"]}
    return {
        "repositories": repositories,
        "adminPolicy": {"users": ["admin"], "actions": ["read", "create", "update", "delete"]},
    }


def config(anonymous_read_private):
    return {
        "http": {
            "auth": {"htpasswd": {"path": "{tmp}/htpasswd"}},
            "accessControl": policy(anonymous_read_private),
        }
    }


@pytest.fixture
def registry(tmp_path, start_registry, htpasswd_line):
    started = start_registry(tmp_path, config(False), {"htpasswd": htpasswd_line(*ADMIN) + "\n"})
    admin = OCIClient(RegistryClient(started.url, username=ADMIN[0], password=ADMIN[1]))
    admin.push_image("public/app", "v1")
    admin.push_image("private/app", "v1")
    return started


class RequestLoop:
    """Anonymous pulls of public/app:v1 every POLL_EVERY seconds in a thread: every answer
    must be 200; anything else (an error status, a refused or reset connection) is a drop."""

    def __init__(self, url):
        self.url = url + "/v2/public/app/manifests/v1"
        self.answers, self.drops = 0, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        session = requests.Session()
        while not self._stop.is_set():
            try:
                status = session.get(self.url, timeout=5).status_code
                if status != 200:
                    self.drops.append(status)
            except requests.RequestException as exc:
                self.drops.append(type(exc).__name__)
            self.answers += 1
            time.sleep(POLL_EVERY)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()


def private_status(registry):
    return requests.get(registry.url + "/v2/private/app/manifests/v1", timeout=5).status_code


def wait_for_private_status(registry, status):
    deadline = time.monotonic() + CONVERGE_WITHIN
    while time.monotonic() < deadline:
        if private_status(registry) == status:
            return True
        time.sleep(POLL_EVERY)
    return False


def test_policy_written_in_place_converges_without_a_dropped_request(registry):
    assert private_status(registry) == 401
    new = dict(registry.config, http=dict(registry.config["http"], accessControl=policy(True)))
    with RequestLoop(registry.url) as loop:
        time.sleep(0.5)
        with open(registry.config_path, "w", encoding="utf-8") as handle:  # truncate + write: same inode
            json.dump(new, handle, indent=2)
        assert wait_for_private_status(registry, 200), "zot did not apply the new policy"
        time.sleep(0.5)
    assert loop.answers > 20 and loop.drops == []


def test_policy_replaced_by_rename_is_not_noticed(registry):
    new = dict(registry.config, http=dict(registry.config["http"], accessControl=policy(True)))
    staged = registry.config_path + ".new"
    with open(staged, "w", encoding="utf-8") as handle:
        json.dump(new, handle, indent=2)
    os.replace(staged, registry.config_path)
    assert not wait_for_private_status(registry, 200)
    # Nor a later in-place write: the watch went with the old inode.
    with open(registry.config_path, "w", encoding="utf-8") as handle:
        json.dump(new, handle, indent=2)
    assert not wait_for_private_status(registry, 200)
