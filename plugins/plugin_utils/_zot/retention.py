# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""zot's storage.retention, built so that retention never deletes a write-once tag.

Every tag is write-once except those matching ``zot_movable_tags`` (tag globs CI may move,
such as ``latest`` or ``dev-*``). zot v2.1.20 (pkg/retention/retention.go) gives each tag
the first ``keepTags`` entry whose regexes match it: an entry without rules keeps its tags,
an entry with rules keeps only the tags its rules select, and a tag no entry matches is
deleted. So every policy gets the operator's rules for the movable tags first and a
rule-less catch-all entry last, which keeps every other (write-once) tag.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

# The keepTags keys that select which tags are kept (the "rules"); the others are patterns.
RULE_KEYS = ("mostRecentlyPushedCount", "mostRecentlyPulledCount", "pushedWithin", "pulledWithin")


class RetentionError(ValueError):
    """The operator's retention would delete write-once tags; the message names the field."""


def tag_glob_regex(pattern):
    """A tag glob (``*`` any run, ``?`` one character) as the anchored regex zot matches with
    (Go's MatchString is unanchored: ``latest`` alone would also match ``not-latest-1``)."""
    parts = []
    for char in pattern:
        parts.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
    return "^" + "".join(parts) + "$"


def build_retention(retention, movable_tags, variable="zot_storage_retention"):
    """zot's storage.retention for the operator's ``retention`` block and ``movable_tags``."""
    retention = copy.deepcopy(retention or {})
    movable = [tag_glob_regex(pattern) for pattern in movable_tags or []]
    for index, policy in enumerate(retention.get("policies") or []):
        entries = policy.get("keepTags") or []
        where = "%s.policies[%d].keepTags" % (variable, index)
        for number, entry in enumerate(entries):
            if entry.get("patterns"):
                raise RetentionError(
                    "%s[%d].patterns: the role decides which tags retention may delete: only the "
                    "movable tags (zot_movable_tags), never a write-once tag; give rules only"
                    % (where, number)
                )
        if len(entries) > 1:
            raise RetentionError(
                "%s: one entry of rules for the movable tags (zot_movable_tags); zot applies only the "
                "first entry that matches a tag" % where
            )
        if not entries:
            continue
        kept = []
        if movable and any(key in entries[0] for key in RULE_KEYS):
            kept.append(dict(entries[0], patterns=movable))
        kept.append({})  # every other tag: write-once, always kept
        policy["keepTags"] = kept
    return retention
