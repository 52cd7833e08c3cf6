# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The role's release install path and the minimal flavour, on real zot.

A loopback server publishes the real zot binaries (full and minimal) the way a GitHub
release does: assets `zot-linux-amd64[-minimal]` and `checksums.sha256.txt`. The role
downloads from `zot_release_base_url`, checks the sum and installs; the host then runs the
downloaded zot and passes the checklist. Tampered assets and wrong sums are refused with the
host unchanged in test_reliability_bad_inputs.py (release-* cases)."""

import hashlib
import json
import os
import re

import pytest
import reliability_host as rh

from harness import zot as zot_process

# Converge after converge: on demand (ZOTOPS_RELIABILITY_EXTENDED=1), not in the suite.
pytestmark = pytest.mark.extended

ASSETS = {"full": "zot-linux-amd64", "minimal": "zot-linux-amd64-minimal"}


@pytest.fixture(scope="module")
def release(static_server):
    """(base URL, {asset: sha256}) of a release holding the real binaries under test."""
    url, directory = static_server
    folder = directory / "real-release"
    folder.mkdir()
    sums = {}
    for flavour, asset in ASSETS.items():
        binary = zot_process.binary(flavour)
        os.symlink(binary, folder / asset)
        with open(binary, "rb") as handle:
            sums[asset] = hashlib.file_digest(handle, "sha256").hexdigest()
    (folder / "checksums.sha256.txt").write_text("".join("%s  %s\n" % (s, a) for a, s in sums.items()))
    return url + "/real-release", sums


def installed_sha256():
    return rh.host_shell("sha256sum /usr/local/bin/zot").stdout.split()[0]


def converge_from(release_url, flavour, restore_after, **extra):
    extra_vars = dict(
        zot_binary_source="release", zot_release_base_url=release_url, zot_flavour=flavour, **extra
    )
    run = rh.run_playbook(restore_after.inventory, extra_vars)
    assert run.returncode == 0, run
    return run


def test_minimal_then_full_flavour_install_from_the_release(release, restore_after, seed_image):
    url, sums = release
    # Minimal: differs from the full binary the host runs, so the asset is downloaded.
    run = converge_from(url, "minimal", restore_after, zot_metrics_enabled=False)
    assert re.search(r"PASSED +anonymous_pull", run.output)  # the checklist ran against it
    assert installed_sha256() == sums[ASSETS["minimal"]]
    version = rh.host_run("/usr/local/bin/zot", "-v")
    assert '"binary-type":"minimal"' in version.stdout + version.stderr
    config = json.loads(rh.host_run("cat", "/etc/zot/config.json").stdout)
    assert "extensions" not in config
    assert rh.pull_digest(seed_image) == seed_image.digest

    # Back to full from the same release: downloaded, verified, running, data kept.
    converge_from(url, "full", restore_after)
    assert installed_sha256() == sums[ASSETS["full"]]
    assert rh.pull_digest(seed_image) == seed_image.digest
