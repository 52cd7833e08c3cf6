# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Data safety across re-runs: images pushed before a converge that changes the config (here:
a pull-through upstream is added) or replaces the zot binary are still pulled with unchanged
digests afterwards; a cached upstream image is still served when the upstream is down."""

import pathlib

import pytest
import reliability_host as rh

from tests.support.oci_layout import make_oci_layout
from harness import docker_registry
from harness import zot as zot_process

# Converge after converge: on demand (ZOTOPS_RELIABILITY_EXTENDED=1), not in the suite.
pytestmark = pytest.mark.extended


@pytest.fixture
def upstream(tmp_path):
    """Debian's docker-registry on loopback (the test host shares it) as the upstream."""
    if not docker_registry.binary():
        pytest.skip("docker-registry is not installed (scripts/setup.sh installs it)")
    registry = docker_registry.start(tmp_path)
    yield registry
    registry.stop()


def test_config_change_keeps_images_and_cache_survives_upstream_outage(
    restore_after, seed_image, upstream, tmp_path
):
    pushed = rh.push_seed(tmp_path, "before-config-change")
    source = tmp_path / "upstream-layout"
    make_oci_layout(source, "v1", b"upstream image")
    copied = rh.skopeo(
        "copy", "--dest-tls-verify=false", "oci:%s:v1" % source, "docker://%s/library/app:v1" % upstream.host
    )
    assert copied.returncode == 0, copied.stderr

    run = rh.run_playbook(
        restore_after.inventory,
        {
            "zot_sync_upstreams": [
                {
                    "name": "local",
                    "urls": [upstream.url],
                    "prefix": "upstream",
                    "tls_verify": False,
                    # Sent to an upstream that ignores them; here to put a secret file on the path.
                    "credentials": {"username": "mirror", "password": "{{ vault_zot_viewer_password }}"},
                }
            ],
        },
    )
    assert run.returncode == 0, run
    assert "changed=0" not in run.output, "the config change was not applied"
    for image in (seed_image, pushed):
        assert rh.pull_digest(image) == image.digest

    cached = rh.SeedImage("upstream/library/app", "v1", None)
    cached.digest = rh.pull_digest(cached)  # first pull fetches and caches it
    upstream.stop()
    assert rh.pull_digest(cached) == cached.digest


def _changed_binary(path):
    """A copy of the zot binary that differs in bytes only (trailing NULs: an ELF file
    still runs)."""
    data = pathlib.Path(zot_process.binary()).read_bytes() + b"\0" * 16
    path.write_bytes(data)
    path.chmod(0o755)
    return path


def test_binary_change_keeps_images(restore_after, seed_image, tmp_path):
    pushed = rh.push_seed(tmp_path, "before-binary-change")
    old_binary = rh.host_shell("sha256sum < /usr/local/bin/zot").stdout
    old_pid = rh.zot_pid()

    run = rh.run_playbook(
        restore_after.inventory, {"zot_binary_local_path": str(_changed_binary(tmp_path / "zot"))}
    )
    assert run.returncode == 0, run
    assert rh.host_shell("sha256sum < /usr/local/bin/zot").stdout != old_binary
    assert rh.zot_pid() != old_pid, "zot was not restarted on the new binary"
    for image in (seed_image, pushed):
        assert rh.pull_digest(image) == image.digest
    version = rh.host_run("/usr/local/bin/zot", "-v", check=False)
    assert version.returncode == 0, version.stderr
