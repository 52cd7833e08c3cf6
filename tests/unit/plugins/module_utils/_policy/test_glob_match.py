# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
import pytest

from ansible_collections.zotops.registry.plugins.module_utils._policy.glob_match import (
    glob_matches,
    is_valid_glob,
)


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("**", "a/b/c", True),
        ("*", "alpine", True),
        ("*", "library/alpine", False),  # `*` stays inside one segment
        ("ci/*", "ci/app", True),
        ("ci/*", "ci/app/sub", False),
        ("ci/*", "ci", False),
        ("ci/**", "ci", True),  # a trailing /** also matches its parent
        ("ci/**", "ci/a/b/c", True),
        ("ci/**", "cix/a", False),
        ("a**", "abc", True),  # `**` not forming a segment is a plain `*`
        ("a**", "a/b", False),
        ("**/x", "x", True),
        ("**/x", "a/b/x", True),
        ("a/**/b", "a/b", True),
        ("a/**/b", "a/x/y/b", True),
        ("a/**/b", "a/xb", False),
        ("{prod,stage}/*", "stage/web", True),
        ("{prod,stage}/*", "dev/web", False),
        ("[a-c]x", "bx", True),
        ("[!a-c]x", "bx", False),
        ("ap?s", "apps", True),
        ("ap?s", "ap/s", False),
        ("/ci/**", "ci/a", False),  # repository names never start with `/`
        ("a\\*", "a*", True),
        ("a\\*", "ab", False),
    ],
)
def test_glob_matches_like_doublestar(pattern, name, expected):
    assert glob_matches(pattern, name) is expected


# Answers of doublestar v4.10.0 (zot v2.1.20) that a regular-expression reading gets wrong;
# each was confirmed with tests/differential/glob_oracle.
@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        # Only the exact tails /**, **/ and /**/ (or * and **) may be left when the name ends.
        ("team*/**", "team", False),
        ("team*/**", "teamx", True),
        ("ci/**/", "ci", True),
        ("team**/", "team", True),
        ("a*{,b}", "a", False),
        ("a{,b}", "a", True),
        ("a***", "a", False),
        ("a***", "ab", True),
        # An escaped `-` in a class is a member, not a range.
        ("[a\\-c]", "b", False),
        ("[a\\-c]", "-", True),
        ("[a\\-c]", "c", True),
        # An alternative starts a segment: `**` right after `{` spans separators.
        ("a{**}", "ab/c", True),
        ("a**", "ab/c", False),
        ("ab{**/c,d}", "abx/y/c", True),
        # Commas inside a class still split alternatives; a broken class is an error (no match).
        ("{a,[,]}", "a", True),
        ("{a,[,]}", ",", False),
        ("{[,a]}b]", "b", True),
        # A class may match the separator.
        ("a[!x]b", "a/b", True),
        # The empty name only matches what may be left over entirely.
        ("**/**", "", False),
        ("**", "", True),
    ],
)
def test_glob_matches_doublestar_corner_cases(pattern, name, expected):
    assert glob_matches(pattern, name) is expected


def test_long_names_do_not_backtrack_forever():
    # The former regular expressions took exponential time on globs like this one.
    pattern = "*a*a*a*a*a*a*a*a*a*a*a*a*b"
    assert glob_matches(pattern, "a" * 60) is False


@pytest.mark.parametrize("pattern", ["a[", "a[]", "a{b", "a}", "a\\", "[!]"])
def test_invalid_globs_are_refused_and_match_nothing(pattern):
    assert not is_valid_glob(pattern)
    assert glob_matches(pattern, "a") is False


@pytest.mark.parametrize("pattern", ["**", "ci/**", "{a,b}/[xy]*", "a\\{b"])
def test_valid_globs(pattern):
    assert is_valid_glob(pattern)
