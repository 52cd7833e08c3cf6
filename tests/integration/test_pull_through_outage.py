# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Cached images keep pulling through real zot while the upstream is down or hangs.

zot answers a pull by tag only after its on-demand sync from the upstream has finished or
failed. The sync block comes from the collection's own builder (zot_config.sync_extension),
so these tests hold the role's outage defaults to their promise: with zot's retry settings
the role rendered before (3 retries, 5 min apart), the same pull hung for more than ten
minutes. The deadlines are what a node waiting for an image tolerates, not measurements.
"""

import socket
import subprocess
import threading

import pytest
import requests

from ansible_collections.zotops.registry.plugins.plugin_utils._zot import config as zot_config
from harness import docker_registry
from tests.support.oci_layout import make_oci_layout

pytestmark = pytest.mark.integration

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
# A cached pull must answer before a client gives up; the defaults answer in about 2 s
# (upstream down) and 11 s (upstream hanging).
CACHED_PULL_DEADLINE = 30


class HangingUpstream:
    """Accepts connections on loopback and never answers: a registry that hangs."""

    def __init__(self, port):
        self.port, self.url = port, f"http://127.0.0.1:{port}"
        self.listener = socket.create_server(("127.0.0.1", port))
        self.listener.settimeout(0.2)
        self.connections, self.stopped = [], threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopped.is_set():
            try:
                self.connections.append(self.listener.accept()[0])
            except OSError:
                continue

    def stop(self):
        self.stopped.set()
        self.thread.join()
        for connection in self.connections + [self.listener]:
            connection.close()


@pytest.fixture
def cache(tmp_path, start_registry):
    """(zot, upstream, cached repository): one image already pulled through the cache."""
    upstream = docker_registry.start(tmp_path)
    port = int(upstream.host.rsplit(":", 1)[1])
    layout = tmp_path / "layout"
    make_oci_layout(layout, "1.0", b"cached payload")
    pushed = subprocess.run(
        [
            "skopeo",
            "copy",
            "--insecure-policy",
            "--dest-tls-verify=false",
            f"oci:{layout}:1.0",
            f"docker://{upstream.host}/library/payload:1.0",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert pushed.returncode == 0, pushed.stderr
    upstreams = [{"name": "docker.io", "urls": [upstream.url], "prefix": "docker.io", "tls_verify": False}]
    config = {
        "http": {"accessControl": {"repositories": {"**": {"anonymousPolicy": ["read"]}}}},
        "extensions": {"sync": zot_config.sync_extension(upstreams, str(tmp_path))},
    }
    zot = start_registry(tmp_path, config)
    assert manifest(zot).status_code == 200  # the first pull fills the cache
    yield zot, upstream, port
    upstream.stop()


def manifest(zot, timeout=CACHED_PULL_DEADLINE):
    return requests.get(
        f"{zot.url}/v2/docker.io/library/payload/manifests/1.0",
        headers={"Accept": OCI_MANIFEST},
        timeout=timeout,
    )


def test_cached_pull_answers_with_the_upstream_down(cache):
    zot, upstream, _port = cache
    upstream.stop()
    for _attempt in range(3):  # zot's backoff state grows with failures; it stays bounded
        assert manifest(zot).status_code == 200


def test_cached_pull_answers_with_the_upstream_hanging(cache):
    zot, upstream, port = cache
    upstream.stop()
    hanging = HangingUpstream(port)
    try:
        assert manifest(zot).status_code == 200
    finally:
        hanging.stop()


def test_an_uncached_image_fails_cleanly_with_the_upstream_down(cache):
    zot, upstream, _port = cache
    upstream.stop()
    missing = requests.get(
        f"{zot.url}/v2/docker.io/library/absent/manifests/1.0",
        headers={"Accept": OCI_MANIFEST},
        timeout=CACHED_PULL_DEADLINE,
    )
    assert missing.status_code == 404
