# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""zot's storage.retention, built so that retention never deletes a write-once tag.

Every tag is write-once except those CI may move: the movable globs of ``zot_tag_rules``
that hold in every repository CI pushes to (zot_tag_rules.retention_tags), such as
``latest`` or ``dev-*``. zot v2.1.20 (pkg/retention/retention.go) gives each tag the first
``keepTags`` entry whose regexes match it: an entry without rules keeps its tags, an entry
with rules keeps only the tags its rules select, and a tag no entry matches is deleted. So
every policy gets a rule-less entry for the locked tags first (a movable glob may cover
them too), the operator's rules for the movable tags next, and a rule-less catch-all entry
last, which keeps every other (write-once) tag.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.zotops.registry.plugins.module_utils._policy.tag_rules import tag_glob_regex

# The keepTags keys that select which tags are kept (the "rules"); the others are patterns.
RULE_KEYS = ("mostRecentlyPushedCount", "mostRecentlyPulledCount", "pushedWithin", "pulledWithin")


class RetentionError(ValueError):
    """The operator's retention would delete write-once tags; the message names the field."""


def build_retention(retention, movable_tags, locked_tags=(), variable="zot_storage_retention"):
    """zot's storage.retention for the operator's ``retention`` block, the tag globs CI may
    move and those locked for everyone."""
    retention = copy.deepcopy(retention or {})
    movable = [tag_glob_regex(pattern) for pattern in movable_tags or []]
    locked = [tag_glob_regex(pattern) for pattern in locked_tags or []]
    for index, policy in enumerate(retention.get("policies") or []):
        entries = policy.get("keepTags") or []
        where = "%s.policies[%d].keepTags" % (variable, index)
        for number, entry in enumerate(entries):
            if entry.get("patterns"):
                raise RetentionError(
                    "%s[%d].patterns: the role decides which tags retention may delete: only the "
                    "movable tags (zot_tag_rules[].movable), never a write-once tag; give rules only"
                    % (where, number)
                )
        if len(entries) > 1:
            raise RetentionError(
                "%s: one entry of rules for the movable tags (zot_tag_rules[].movable); zot applies only the "
                "first entry that matches a tag" % where
            )
        if not entries:
            continue
        kept = [{"patterns": locked}] if locked else []
        if movable and any(key in entries[0] for key in RULE_KEYS):
            kept.append(dict(entries[0], patterns=movable))
        kept.append({})  # every other tag: write-once, always kept
        policy["keepTags"] = kept
    return retention
