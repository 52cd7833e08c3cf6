# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""Checks of the host's state that the zot role's preflight makes before anything changes."""

import posixpath


def unmounted_mount_of(path, fstab, mounted):
    """The mount point that /etc/fstab (text) gives `path`, when it is not mounted now; else "".

    A directory meant to live on its own filesystem would otherwise be created on the root
    filesystem while that filesystem is missing, and fill it.
    """
    path = posixpath.normpath(path)
    mount_points = []
    for line in (fstab or "").splitlines():
        fields = line.split()
        if len(fields) >= 2 and not fields[0].startswith("#") and fields[1].startswith("/"):
            mount_points.append(posixpath.normpath(fields[1]))
    owners = [m for m in mount_points if m != "/" and (path == m or path.startswith(m + "/"))]
    if not owners:
        return ""
    owner = max(owners, key=len)
    return "" if owner in {posixpath.normpath(m) for m in mounted} else owner
