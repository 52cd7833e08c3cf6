# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The fast paths of the policy engine against straightforward reference versions.

The longest match is found through a prefix index (and glob answers are cached), groups
through a user map, and equal-length overlaps are searched only between globs whose literal
parts agree. The references below do the obvious thing instead (doublestar's procedure on
every glob, every pair searched); on many seeded random policies and names the answers must
be identical. (Whether that procedure is doublestar's is proven against the library itself
in tests/integration/test_glob_differential.py.)
"""

import random

import pytest

from ansible_collections.zotops.registry.plugins.module_utils._policy.engine import (
    LoadedPolicy,
    decide,
    normalise,
    validate_access_control,
)
from ansible_collections.zotops.registry.plugins.module_utils._policy.glob_match import (
    GlobError,
    doublestar_match,
    glob_matches,
    is_valid_glob,
)
from ansible_collections.zotops.registry.plugins.module_utils._policy.glob_overlap import (
    CompiledGlob,
    overlap_example,
    overlapping_pairs,
)

# Pieces of glob segments: literals (one two bytes long in UTF-8), wildcards, classes,
# alternatives, escapes, and a few invalid ones.
ATOMS = ("a", "b", "ab", "c", "é", "-", "*", "?", "[ab]", "[!a]", "[a-c]", "[c-a]", "{a,b}")
ATOMS += ("{a,b*}", "{a,{b,c}}", "\\*", "A", "**", "[", "}")
# The every-pair overlap search of the references is exponential on some globs (an empty
# class such as `[c-a]` next to nested alternatives); overlap tests leave those atoms out.
OVERLAP_ATOMS = [atom for atom in ATOMS if atom not in ("[c-a]", "{a,{b,c}}")]
NAME_CHARS = "aabbcé-*A/"


def reference_matches(pattern, name):
    """doublestar's procedure on every glob, without the engine's caches and indexes."""
    return is_valid_glob(pattern) and doublestar_match(pattern, name) == (True, False)


def nfa_matches(pattern, name):
    try:
        return CompiledGlob(pattern).matches(name)
    except GlobError:
        return False


def reference_longest_match(access_control, repo):
    matching = [p for p in (access_control.get("repositories") or {}) if p and reference_matches(p, repo)]
    if not matching:
        # The "" glob is the catch-all for repositories no other glob matches.
        return ("", []) if "" in (access_control.get("repositories") or {}) else (None, [])
    longest = max(len(p.encode()) for p in matching)
    tied = sorted(p for p in matching if len(p.encode()) == longest)
    return tied[0], tied[1:]


def reference_groups(access_control, who):
    if who.get("anonymous"):
        return []
    groups = list(who.get("groups") or [])
    if not who.get("oidc"):
        for name, group in sorted((access_control.get("groups") or {}).items()):
            if who["user"] in group["users"] and name not in groups:
                groups.append(name)
    return groups


def reference_overlap_messages(patterns):
    lowered = sorted({p.lower() for p in patterns})
    messages = []
    for index, first in enumerate(lowered):
        for second in lowered[index + 1 :]:
            length = len(first.encode())
            if length != len(second.encode()):
                continue
            witness = overlap_example(first, second)
            if witness:
                messages.append(
                    f'accessControl.repositories["{first}"]: overlaps "{second}" with the same '
                    f'length ({length}): for a repository such as "{witness}" '
                    "zot picks either policy at random; make one glob longer or disjoint"
                )
    return messages


def random_glob(rng, atoms=ATOMS):
    segments = [
        "".join(rng.choice(atoms) for _unused in range(rng.randint(1, 2)))
        for _unused in range(rng.randint(1, 3))
    ]
    glob = "/".join(segments)
    if rng.random() < 0.2:
        glob = "**/" + glob
    if rng.random() < 0.3:
        glob += rng.choice(["/**", "/**/", "/*"])
    return glob


def random_name(rng, globs):
    if globs and rng.random() < 0.3:
        # Built from a glob, so that names often match something.
        name = rng.choice(globs).lower()
        for wildcard in "*?[]{}!,\\":
            name = name.replace(wildcard, rng.choice("ab"))
        return name
    return "".join(rng.choice(NAME_CHARS) for _unused in range(rng.randint(0, 8)))


def random_policy(rng):
    globs = [random_glob(rng) for _unused in range(rng.randint(1, 12))]
    if rng.random() < 0.3:
        globs.append("")
    users = ["u1", "u2", "u3"]
    groups = {
        name: {"users": rng.sample(users, rng.randint(0, 3))}
        for name in ("g1", "g2", "g3")[: rng.randint(0, 3)]
    }
    repositories = {
        glob: {
            "policies": [{"users": rng.sample(users, 1), "groups": ["g1"], "actions": ["read", "create"]}],
            "defaultPolicy": rng.sample(["read", "update"], rng.randint(0, 2)),
            "anonymousPolicy": rng.sample(["read", "delete"], rng.randint(0, 2)),
        }
        for glob in globs
    }
    policy = {"groups": groups, "repositories": repositories}
    if rng.random() < 0.5:
        policy["adminPolicy"] = {"users": ["u3"], "groups": ["g2"], "actions": ["delete"]}
    return policy, globs


WHO = [
    {"anonymous": True},
    {"user": "u1"},
    {"user": "u2", "groups": ["g2"]},
    {"user": "u3"},
    {"user": "u1", "oidc": True, "groups": ["g1"]},
    {"groups": ["g3"]},
]


@pytest.mark.parametrize("seed", range(4))
def test_the_overlap_nfa_accepts_every_name_the_matcher_matches(seed):
    # The overlap search may only miss an overlap if the NFA rejects a name doublestar
    # matches; it may accept more (its witnesses are confirmed with glob_matches).
    rng = random.Random(seed)
    for _unused in range(300):
        glob = random_glob(rng)
        for _unused in range(10):
            name = random_name(rng, [glob])
            if glob_matches(glob, name):
                assert nfa_matches(glob, name), (glob, name)


@pytest.mark.parametrize("seed", range(4))
def test_decisions_equal_the_reference(seed):
    rng = random.Random(100 + seed)
    for _unused in range(40):
        policy, globs = random_policy(rng)
        loaded = LoadedPolicy(policy)
        for _unused in range(15):
            who, repo = rng.choice(WHO), random_name(rng, globs)
            action = rng.choice(["read", "create", "update", "delete"])
            once = decide(policy, who, repo, action)
            # Twice, so that the second answer comes from the indexes, not the first scan.
            assert loaded.decide(who, repo, action) == once
            assert loaded.decide(who, repo, action) == once
            expected_who = (
                {"user": "(a member of g3)", "groups": ["g3"]} if who == {"groups": ["g3"]} else who
            )
            assert once["groups"] == reference_groups(normalise(policy), expected_who)
            pattern, tied = reference_longest_match(normalise(policy), repo)
            assert (once["matched_pattern"], once["tied_patterns"]) == (pattern, tied), (globs, repo)


@pytest.mark.parametrize("seed", range(4))
def test_overlapping_pairs_equal_searching_every_pair(seed):
    rng = random.Random(200 + seed)
    for _unused in range(6):
        patterns = sorted(
            {g for g in (random_glob(rng, OVERLAP_ATOMS) for _unused in range(25)) if is_compilable(g)}
        )
        expected = [
            (first, second, witness)
            for index, first in enumerate(patterns)
            for second in patterns[index + 1 :]
            if (witness := overlap_example(first, second))
        ]
        assert overlapping_pairs(patterns) == expected


def is_compilable(glob):
    try:
        CompiledGlob(glob)
    except GlobError:
        return False
    return True


@pytest.mark.parametrize("seed", range(4))
def test_overlap_errors_equal_the_reference(seed):
    rng = random.Random(300 + seed)
    for _unused in range(8):
        globs = [random_glob(rng, OVERLAP_ATOMS) for _unused in range(20)]
        # Force equal lengths: short globs padded with literals to one common length.
        width = max(len(g.encode()) for g in globs)
        globs = [g + "b" * (width - len(g.encode())) if rng.random() < 0.7 else g for g in globs]
        valid = [g for g in globs if is_compilable(g) and not g.startswith("/")]
        policy = {"repositories": {g: {"anonymousPolicy": ["read"]} for g in globs}}
        errors, _warnings = validate_access_control(policy)
        assert [e for e in errors if ": overlaps " in e] == reference_overlap_messages(valid)
