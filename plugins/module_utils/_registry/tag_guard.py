# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""Refuse to reuse release tags: the logic of the oci_tag_guard module.

A tag is protected when one of the ``protected_tags`` regular expressions matches the WHOLE
tag. A protected tag that already exists in the repository must not be pushed again; any
other tag may be. Works with any OCI registry (one HEAD request per tag).
"""

import re

from ansible_collections.zotops.registry.plugins.module_utils._registry.http_client import (
    RegistryHTTPError,
)

# Release-like tags: v1, v1.2, v1.2.3, 1.2, 1.2.3, v1.2.3-rc1. A bare number without a dot
# ("1234567") is not protected because short git SHAs can be all digits. OCI tags cannot
# hold "+", so semver build metadata never appears.
_SUFFIX = r"(-[0-9A-Za-z][0-9A-Za-z.-]*)?"  # -rc1, -rc.1, -beta-2
SEMVER_LIKE = r"v\d+(\.\d+){0,2}" + _SUFFIX + r"|\d+\.\d+(\.\d+)?" + _SUFFIX
DEFAULT_PROTECTED_TAGS = [SEMVER_LIKE]
# The distribution spec's tag grammar.
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")


def compile_patterns(patterns, field="protected_tags"):
    """Compile the protected-tag regexes; ValueError names the offending list item."""
    compiled = []
    for index, pattern in enumerate(patterns):
        try:
            compiled.append(re.compile(pattern))
        except re.error as exc:
            message = "%s[%d] %r is not a valid regex: %s" % (field, index, pattern, exc)
            raise ValueError(message) from exc
    return compiled


def validate_tags(tags, field="tags"):
    for index, tag in enumerate(tags):
        if not isinstance(tag, str) or not _TAG.fullmatch(tag):
            raise ValueError("%s[%d] %r is not a valid OCI tag" % (field, index, tag))


def is_protected(tag, compiled):
    return any(pattern.fullmatch(tag) for pattern in compiled)


def guard_tags(oci, repository, tags, patterns):
    """Classify ``tags`` for a push to ``repository`` through OCIClient ``oci``.

    Returns {"existing", "protected", "refused", "allowed"}: tags already in the repository,
    tags matching a protected pattern, protected tags that already exist (the push must not
    happen), and every other tag (safe to push). Order follows ``tags``; duplicates dropped.
    """
    validate_tags(tags)
    compiled = compile_patterns(patterns)
    unique = list(dict.fromkeys(tags))
    existing = []
    for tag in unique:
        try:
            if oci.manifest_exists(repository, tag):
                existing.append(tag)
        except RegistryHTTPError as exc:
            raise RegistryHTTPError(
                "cannot tell whether %s:%s exists: %s" % (repository, tag, exc.message),
                status=exc.status,
                url=exc.url,
                body=exc.body,
            ) from exc
    protected = [tag for tag in unique if is_protected(tag, compiled)]
    refused = [tag for tag in protected if tag in existing]
    return {
        "existing": existing,
        "protected": protected,
        "refused": refused,
        "allowed": [tag for tag in unique if tag not in refused],
    }
