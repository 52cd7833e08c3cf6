# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
from ansible_collections.zotops.registry.plugins.module_utils._policy.glob_match import glob_matches
from ansible_collections.zotops.registry.plugins.module_utils._policy.glob_overlap import (
    example_name,
    overlap_example,
)


def test_overlap_example_finds_a_repo_both_globs_match():
    witness = overlap_example("ci/*", "*/x")
    assert witness is not None
    assert glob_matches("ci/*", witness) and glob_matches("*/x", witness)


def test_overlap_example_none_for_disjoint_globs():
    assert overlap_example("ci/*", "cd/*") is None
    assert overlap_example("a/*", "a/*/b") is None


def test_example_name_matches_its_glob():
    for pattern in ("ci/**", "{prod,stage}/*/[a-c]x", "**", "apps/*"):
        assert glob_matches(pattern, example_name(pattern))
