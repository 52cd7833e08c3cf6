# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Preflight checks of the host: a storage directory whose filesystem is missing."""

from ansible_collections.zotops.registry.plugins.plugin_utils._zot.host_checks import unmounted_mount_of

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
