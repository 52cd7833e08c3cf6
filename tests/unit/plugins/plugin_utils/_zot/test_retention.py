# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""zot_retention.build_retention: write-once tags always kept, movable tags follow the rules."""

import re

import pytest

from ansible_collections.zotops.registry.plugins.plugin_utils._zot.retention import (
    RetentionError,
    build_retention,
)
from ansible_collections.zotops.registry.plugins.module_utils._policy.tag_rules import tag_glob_regex

OPERATOR = {
    "delay": "24h",
    "policies": [
        {"repositories": ["team/**"], "deleteUntagged": True, "keepTags": [{"mostRecentlyPushedCount": 5}]},
        {"repositories": ["infra/**"], "deleteUntagged": True},
    ],
}


@pytest.mark.parametrize(
    "pattern, matches, misses",
    [
        ("latest", ["latest"], ["not-latest", "latest-1", "v1"]),
        ("dev-*", ["dev-", "dev-abc"], ["xdev-1", "v1.2.3"]),
        ("v1.?", ["v1.2"], ["v1x2", "v1.23"]),
    ],
)
def test_tag_globs_become_anchored_regexes(pattern, matches, misses):
    regex = tag_glob_regex(pattern)
    assert all(re.search(regex, tag) for tag in matches)
    assert not any(re.search(regex, tag) for tag in misses)


def test_rules_apply_to_movable_tags_and_every_other_tag_is_kept():
    built = build_retention(OPERATOR, ["latest", "dev-*"])
    assert built["policies"][0]["keepTags"] == [
        {"mostRecentlyPushedCount": 5, "patterns": ["^latest$", "^dev-.*$"]},
        {},
    ]
    assert "keepTags" not in built["policies"][1]  # no tag retention there: zot keeps all tags
    assert built["delay"] == "24h" and built["policies"][0]["deleteUntagged"] is True
    assert OPERATOR["policies"][0]["keepTags"] == [{"mostRecentlyPushedCount": 5}]  # not modified


def test_without_movable_tags_every_tag_is_kept():
    assert build_retention(OPERATOR, [])["policies"][0]["keepTags"] == [{}]


def test_operator_patterns_are_refused_naming_the_field():
    operator = {
        "policies": [{"repositories": ["**"], "keepTags": [{"patterns": ["v.*"], "pushedWithin": "720h"}]}]
    }
    with pytest.raises(
        RetentionError, match=r"^zot_storage_retention.policies\[0\].keepTags\[0\].patterns: "
    ):
        build_retention(operator, ["latest"])


def test_more_than_one_entry_is_refused():
    operator = {
        "policies": [{"repositories": ["**"], "keepTags": [{"pushedWithin": "1h"}, {"pulledWithin": "1h"}]}]
    }
    with pytest.raises(RetentionError, match=r"^zot_storage_retention.policies\[0\].keepTags: one entry"):
        build_retention(operator, ["latest"])


def test_locked_tags_are_kept_before_the_movable_rules_see_them():
    built = build_retention(OPERATOR, ["*"], ["v*"])
    assert built["policies"][0]["keepTags"] == [
        {"patterns": ["^v.*$"]},
        {"mostRecentlyPushedCount": 5, "patterns": ["^.*$"]},
        {},
    ]
