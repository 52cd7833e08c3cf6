# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""Checks of the host's state (and of the zot binary it gets) that the zot role makes before
anything changes."""

import json
import posixpath
import re


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


# zot's build stamps `zot -v` with `git describe --tags --long` of its source: the release tag,
# optionally followed by -<commits since>-g<hash> and -dirty.
_RELEASE_COMMIT = re.compile(r"^(v\d+\.\d+\.\d+)(?:-\d+-g[0-9a-f]+)?(?:-dirty)?$")


def binary_version_error(output, zot_version, zot_flavour, variable):
    """Why the zot binary whose `zot -v` printed `output` cannot be installed as
    `zot_version` in `zot_flavour` ("" when it can). The access policy and tag rules were
    checked for `zot_version` and the config is built for the flavour, so the binary must be
    that release in that flavour. `variable` names where the binary comes from
    (zot_binary_local_path, zot_release_base_url)."""
    record = None
    for line in (output or "").splitlines():
        try:
            parsed = json.loads(line)
        except ValueError:
            continue
        if isinstance(parsed, dict) and "commit" in parsed:
            record = parsed
            break
    if record is None:
        return "%s: `zot -v` printed no version line; is it a zot binary?" % variable
    commit = str(record["commit"])
    match = _RELEASE_COMMIT.match(commit)
    if not match:
        return (
            '%s: `zot -v` reports commit "%s", not a release; the role checks the access policy '
            "and tag rules against zot_version (%s), so it installs release builds only"
            % (variable, commit, zot_version)
        )
    if match.group(1) != zot_version:
        return (
            "%s is zot %s (`zot -v`), but zot_version is %s: the access policy and tag rules "
            "were checked for %s; set zot_version: %s, and the preflight says what that release "
            "cannot enforce" % (variable, match.group(1), zot_version, zot_version, match.group(1))
        )
    flavour = "minimal" if record.get("binary-type") == "minimal" else "full"
    if flavour != zot_flavour:
        return "%s is the %s flavour of zot (`zot -v`), but zot_flavour is %s" % (
            variable,
            flavour,
            zot_flavour,
        )
    return ""
