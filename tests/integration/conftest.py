# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Shared fixtures for integration tests: registry processes on loopback.

- registry_binary: path of the zot binary under test ($ZOT_BINARY, see harness/zot.py)
- start_registry / zot_registry: factory (tmp_path, config, files=None) -> Registry with
  .url .host .root .stop() .restart() .log_text(); every process is stopped at teardown
- htpasswd_line: (user, password) -> "user:$2y$10$..."
- make_oci_layout: (path, tag, payload) -> manifest digest of a tiny OCI layout for skopeo
- authentik: one real authentik (harness/authentik.py) for the whole session, on a fresh copy
  of its template database; tests share it, so each uses names of its own
"""

import pytest

from tests.support.oci_layout import make_oci_layout as _make_oci_layout
from harness import authentik as authentik_process
from harness import zot as zot_process


@pytest.fixture
def registry_binary():
    return zot_process.binary()


@pytest.fixture
def start_registry():
    started = []

    def start(tmp_path, config, files=None):
        registry = zot_process.start(tmp_path, config, files)
        started.append(registry)
        return registry

    yield start
    for registry in started:
        registry.stop()


@pytest.fixture
def zot_registry(start_registry):
    return start_registry


@pytest.fixture
def htpasswd_line():
    return zot_process.htpasswd_line


@pytest.fixture
def make_oci_layout():
    return _make_oci_layout


@pytest.fixture(scope="session")
def authentik(tmp_path_factory):
    # One start per session: a start takes 40-60 s (migrations come from the template).
    server = authentik_process.start(tmp_path_factory.mktemp("authentik"))
    yield server
    server.stop()
