# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Make `ansible_collections.zotops.registry` importable from this checkout for pytest."""

import os
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
COLLECTIONS = os.path.join(ROOT, ".cache", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "zotops", "registry")

if not os.path.islink(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(os.path.relpath(ROOT, os.path.dirname(LINK)), LINK)
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)


def pytest_report_header():
    """Every run names the zot binaries under test and what `zot -v` says of them."""
    from harness import zot  # pylint: disable=import-outside-toplevel # needs the path set above

    lines = []
    for flavour in ("full", "minimal"):
        try:
            path = zot.binary(flavour)
        except RuntimeError as error:
            lines.append(f"zot ({flavour}): {error}")
        else:
            lines.append(f"zot ({flavour}): {path}: {zot.version_line(path)}")
    return lines
