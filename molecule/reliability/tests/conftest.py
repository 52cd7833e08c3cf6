# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Fixtures for the reliability scenario: the converged host at 127.0.0.1:5090.

- inventory: an inventory file for ansible-playbook runs against the host
- seed_image: an image pushed before any scenario ran; every scenario pulls it afterwards
- host_state: the host's fingerprint before a test; restore() re-converges with the
  scenario's own settings when a test left the host changed (so one failure does not
  cascade into the next test)
"""

import http.server
import os
import threading

import pytest
import reliability_host as rh


def pytest_collection_modifyitems(config, items):
    """The `extended` series run only with ZOTOPS_RELIABILITY_EXTENDED=1 (see docs/testing.md)."""
    if os.environ.get("ZOTOPS_RELIABILITY_EXTENDED") == "1":
        return
    skip = pytest.mark.skip(reason="extended reliability series: set ZOTOPS_RELIABILITY_EXTENDED=1")
    for item in items:
        if "extended" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def inventory(tmp_path_factory):
    return rh.write_inventory(tmp_path_factory.mktemp("inventory"))


@pytest.fixture(scope="session")
def seed_image(tmp_path_factory):
    assert rh.registry_ready(), (
        "the reliability host is not converged: run `molecule converge -s reliability`"
    )
    return rh.push_seed(tmp_path_factory.mktemp("seed"), "seed")


class HostState:
    def __init__(self, inventory):
        self.inventory = inventory
        self.baseline = rh.fingerprint()

    def restore(self):
        """Converge with the scenario's settings, then take the new baseline."""
        run = rh.run_playbook(self.inventory)
        assert run.returncode == 0, run
        self.baseline = rh.fingerprint()


@pytest.fixture(scope="session")
def host_state(inventory, seed_image):
    return HostState(inventory)


@pytest.fixture
def restore_after(host_state):
    """Re-converge after the test when it left the host different from its baseline."""
    yield host_state
    if rh.fingerprint() != host_state.baseline or not rh.registry_ready():
        host_state.restore()


@pytest.fixture(scope="session")
def static_server(tmp_path_factory):
    """An HTTP server on 127.0.0.1 serving a directory (the test host shares loopback).
    Yields (url, directory)."""
    directory = tmp_path_factory.mktemp("static")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(directory), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % server.server_address[1], directory
    server.shutdown()
    server.server_close()
