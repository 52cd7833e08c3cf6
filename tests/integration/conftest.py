"""Shared fixtures for integration tests: registry processes on loopback.

- registry_binary: path of the registry under test ($ZOT_BINARY or the zot double)
- start_registry / zot_registry: factory (tmp_path, config, files=None) -> Registry with
  .url .host .root .stop() .restart() .log_text(); every process is stopped at teardown
- htpasswd_line: (user, password) -> "user:$2y$10$..."
- make_oci_layout: (path, tag, payload) -> manifest digest of a tiny OCI layout for skopeo
"""

import pytest

from tests.support.oci_layout import make_oci_layout as _make_oci_layout
from tests.zot_double import harness


@pytest.fixture
def registry_binary():
    return harness.registry_binary()


@pytest.fixture
def start_registry():
    started = []

    def start(tmp_path, config, files=None):
        registry = harness.start_registry(tmp_path, config, files)
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
    return harness.htpasswd_line


@pytest.fixture
def make_oci_layout():
    return _make_oci_layout
