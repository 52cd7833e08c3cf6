# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Shared fixtures for integration tests: registry processes on loopback.

- registry_binary: path of the zot binary under test ($ZOT_BINARY, see harness/zot.py)
- start_registry / zot_registry: factory (tmp_path, config, files=None) -> Registry with
  .url .host .root .stop() .restart() .log_text(); every process is stopped at teardown
- htpasswd_line: (user, password) -> "user:$2y$10$..."
- make_oci_layout: (path, tag, payload) -> manifest digest of a tiny OCI layout for skopeo
- start_authentik: factory (version=..., token=...) -> tests.support.authentik.Authentik of a
  running Authentik double, stopped at teardown
"""

import signal

import pytest

from tests.support import authentik
from tests.support.oci_layout import make_oci_layout as _make_oci_layout
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


@pytest.fixture
def start_authentik(tmp_path):
    procs = []

    def start(version="2026.8.5", token=authentik.API_TOKEN):
        proc, double = authentik.start_double(tmp_path, token=token, version=version)
        procs.append(proc)
        return double

    yield start
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
