# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Preflight checks of the host: a storage directory whose filesystem is missing."""

import pytest

from ansible_collections.zotops.registry.plugins.plugin_utils._zot.host_checks import (
    binary_version_error,
    unmounted_mount_of,
)

FSTAB = """# <file system> <mount point> <type> <options> <dump> <pass>
UUID=abc  /  ext4  defaults  0 1
UUID=def  /srv/registry  xfs  defaults,nofail  0 2
UUID=ghi  /srv/registry/blobs  xfs  defaults  0 2
"""


def test_a_directory_on_an_unmounted_fstab_entry_is_named():
    assert unmounted_mount_of("/srv/registry/zot", FSTAB, ["/"]) == "/srv/registry"
    assert unmounted_mount_of("/srv/registry", FSTAB, ["/"]) == "/srv/registry"


def test_the_innermost_mount_counts():
    assert unmounted_mount_of("/srv/registry/blobs/x", FSTAB, ["/", "/srv/registry"]) == "/srv/registry/blobs"
    assert unmounted_mount_of("/srv/registry/blobs/x", FSTAB, ["/", "/srv/registry/blobs"]) == ""


def test_mounted_or_not_in_fstab_is_fine():
    assert unmounted_mount_of("/srv/registry/zot", FSTAB, ["/", "/srv/registry"]) == ""
    assert unmounted_mount_of("/var/lib/zot", FSTAB, ["/"]) == ""
    assert unmounted_mount_of("/srv/registryX", FSTAB, ["/"]) == ""  # a sibling, not a child
    assert unmounted_mount_of("/var/lib/zot", "", []) == ""


FULL = "-sync-search-scrub-metrics-lint-mgmt-profile-userprefs-imagetrust-events"


def _version_line(commit, binary_type="minimal"):
    # The line `zot -v` prints (pkg/cli/server/root.go), abridged.
    return (
        '{"level":"info","message":"version","distribution-spec":"1.1.1","commit":"%s","binary-type":"%s"}'
        % (commit, binary_type)
    )


@pytest.mark.parametrize("commit", ["v2.1.20", "v2.1.20-0-g1a2b3c4", "v2.1.20-3-g1a2b3c4-dirty"])
def test_a_build_of_the_release_zot_version_names_passes(commit):
    assert binary_version_error(_version_line(commit), "v2.1.20", "minimal", "zot_binary_local_path") == ""


def test_another_release_is_refused_naming_both_versions():
    message = binary_version_error(_version_line("v2.1.16"), "v2.1.20", "minimal", "zot_binary_local_path")
    assert message.startswith("zot_binary_local_path is zot v2.1.16 (`zot -v`), but zot_version is v2.1.20")
    assert "set zot_version: v2.1.16" in message


def test_a_build_without_a_release_tag_is_refused():
    message = binary_version_error(_version_line("1a2b3c4"), "v2.1.20", "minimal", "zot_release_base_url")
    assert message.startswith('zot_release_base_url: `zot -v` reports commit "1a2b3c4", not a release')


@pytest.mark.parametrize("output", ["", "zot: command not found", '{"message":"no version here"}'])
def test_output_without_a_version_line_is_refused(output):
    assert "printed no version line" in binary_version_error(
        output, "v2.1.20", "full", "zot_binary_local_path"
    )


def test_the_other_flavour_is_refused():
    full = _version_line("v2.1.20", FULL)
    assert binary_version_error(full, "v2.1.20", "full", "zot_release_base_url") == ""
    message = binary_version_error(full, "v2.1.20", "minimal", "zot_release_base_url")
    assert message == "zot_release_base_url is the full flavour of zot (`zot -v`), but zot_flavour is minimal"
