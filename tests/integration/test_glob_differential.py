# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The engine's glob matcher against zot's own: doublestar v4.10.0, pair by pair.

tests/differential/glob_oracle is a Go program calling doublestar.ValidatePattern and
doublestar.Match exactly as zot v2.1.20 does (pkg/cli/server/root.go refuses invalid globs
at start; pkg/api/authz.go applies a glob when Match returns (true, nil)). Seeded random
pairs (tests/differential/glob_cases.py) must get the same answers from the engine.

    ZOTOPS_GLOB_PAIRS=1000000 ZOTOPS_GLOB_SEED=7 \
        python -m pytest -q tests/integration/test_glob_differential.py
"""

import os
import shutil

import pytest

from ansible_collections.zotops.registry.plugins.module_utils._policy.glob_match import (
    doublestar_match,
    glob_matches,
    is_valid_glob,
)
from tests.differential import oracle
from tests.differential.glob_cases import glob_pairs

pytestmark = pytest.mark.integration

PAIRS = int(os.environ.get("ZOTOPS_GLOB_PAIRS", "100000"))
SEED = int(os.environ.get("ZOTOPS_GLOB_SEED", "20120"))
SHOWN = 25


@pytest.fixture(scope="module")
def glob_oracle():
    if not shutil.which("go"):
        pytest.skip("go is not installed: it builds the doublestar oracle")
    return oracle.build()


def test_oracle_is_doublestar(glob_oracle):
    # Answers only doublestar gives (a plain regex or fnmatch would not): the parent rule
    # holds for /** only, and an alternative starts a segment.
    answers = oracle.ask(glob_oracle, [("ci/**", "ci"), ("team*/**", "team"), ("a{**}", "ab/c"), ("[", "a")])
    assert [(a["valid"], a["match"], a["error"]) for a in answers] == [
        (True, True, False),
        (True, False, False),
        (True, True, False),
        (False, False, True),
    ]


def test_engine_matches_globs_like_doublestar(glob_oracle):
    pairs = glob_pairs(SEED, PAIRS)
    answers = oracle.ask(glob_oracle, pairs)
    disagreements = []
    matched = valid = 0
    for (pattern, name), answer in zip(pairs, answers, strict=True):
        valid += answer["valid"]
        expected = answer["valid"] and answer["match"] and not answer["error"]
        matched += expected
        engine_valid = is_valid_glob(pattern)
        engine = glob_matches(pattern, name)
        raw = doublestar_match(pattern, name)
        if (engine_valid, engine, raw) != (answer["valid"], expected, (answer["match"], answer["error"])):
            disagreements.append(
                f"glob {pattern!r} name {name!r}: doublestar valid={answer['valid']} "
                f"match={answer['match']} error={answer['error']}; engine valid={engine_valid} "
                f"applies={engine} match,error={raw}"
            )
    # The generator must produce both outcomes in quantity, or agreement proves little.
    assert matched > PAIRS // 10 and PAIRS - matched > PAIRS // 10
    assert PAIRS - valid > PAIRS // 100
    assert not disagreements, (
        f"{len(disagreements)} of {PAIRS} pairs (seed {SEED}) disagree; first {SHOWN}:\n"
        + "\n".join(disagreements[:SHOWN])
    )
