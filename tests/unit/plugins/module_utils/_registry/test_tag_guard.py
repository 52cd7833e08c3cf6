# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""tag_guard: which tags are protected, and which pushes are refused."""

import pytest

from ansible_collections.zotops.registry.plugins.module_utils._registry.http_client import (
    RegistryHTTPError,
)
from ansible_collections.zotops.registry.plugins.module_utils._registry.tag_guard import (
    DEFAULT_PROTECTED_TAGS,
    compile_patterns,
    guard_tags,
    is_protected,
)

DEFAULT = compile_patterns(DEFAULT_PROTECTED_TAGS)


@pytest.mark.parametrize(
    "tag", ["v1", "v1.2", "v1.2.3", "1.2.3", "1.2", "v1.2.3-rc1", "v2.0.0-rc.1", "10.20.30"]
)
def test_release_tags_are_protected_by_default(tag):
    assert is_protected(tag, DEFAULT)


@pytest.mark.parametrize(
    "tag",
    ["latest", "main", "sha-abc123", "3f2a9c1", "1234567", "v1.2.3.4", "release", "v", "1."],
)
def test_moving_tags_and_git_shas_are_not_protected(tag):
    assert not is_protected(tag, DEFAULT)


def test_patterns_match_the_whole_tag():
    assert not is_protected("prerelease-1", compile_patterns(["release-.*"]))
    assert is_protected("release-1", compile_patterns(["release-.*"]))


def test_bad_regex_names_the_list_item():
    with pytest.raises(ValueError, match=r"protected_tags\[1\] '\(' is not a valid regex"):
        compile_patterns(["ok", "("])


class FakeOCI:
    def __init__(self, existing, fail=None):
        self.existing = existing
        self.fail = fail
        self.asked = []

    def manifest_exists(self, repository, tag):
        self.asked.append((repository, tag))
        if self.fail:
            raise RegistryHTTPError("HTTP %s" % self.fail, status=self.fail)
        return tag in self.existing


def test_existing_protected_tag_is_refused_and_others_allowed():
    oci = FakeOCI({"v1.0.0", "latest"})
    result = guard_tags(oci, "team/app", ["v1.0.0", "v1.0.1", "latest", "latest"], DEFAULT_PROTECTED_TAGS)
    assert result == {
        "existing": ["v1.0.0", "latest"],
        "protected": ["v1.0.0", "v1.0.1"],
        "refused": ["v1.0.0"],
        "allowed": ["v1.0.1", "latest"],
    }
    assert oci.asked == [("team/app", t) for t in ("v1.0.0", "v1.0.1", "latest")]


def test_invalid_tag_is_rejected_before_any_request():
    oci = FakeOCI(set())
    with pytest.raises(ValueError, match=r"tags\[1\] 'bad tag' is not a valid OCI tag"):
        guard_tags(oci, "r", ["ok", "bad tag"], DEFAULT_PROTECTED_TAGS)
    assert oci.asked == []


def test_lookup_failure_says_which_tag():
    with pytest.raises(RegistryHTTPError, match="cannot tell whether r:v1 exists") as info:
        guard_tags(FakeOCI(set(), fail=401), "r", ["v1"], DEFAULT_PROTECTED_TAGS)
    assert info.value.status == 401
