# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The schema check's shortcut (validating a deduplicated stand-in) agrees with validating
the policy itself, on valid policies and on every single-value corruption of them."""

import copy
import random

import jsonschema

from ansible_collections.zotops.registry.plugins.module_utils._policy.schema import (
    ACCESS_CONTROL_SCHEMA,
    schema_errors,
)

POLICY = {
    "groups": {"ci": {"users": ["ci", "bot"]}, "ops": {"users": ["olga"]}},
    "repositories": {
        "**": {"defaultPolicy": ["read"], "anonymousPolicy": []},
        "apps/**": {
            "policies": [
                {"groups": ["ci"], "actions": ["read", "create"]},
                {
                    "users": ["alice"],
                    "actions": ["read"],
                    "conditions": [{"expression": "true", "message": "m"}],
                },
            ],
        },
        "team/**": {"policies": [{"groups": ["ci"], "actions": ["read", "create"]}]},
    },
    "adminPolicy": {"users": ["admin"], "actions": ["delete"]},
    "metrics": {"users": ["prom"], "anonymousPolicy": ["read"]},
}
BAD_VALUES = ["", "x", 1, True, None, [], ["x"], [""], {}, {"bogus": 1}, (1,)]


def _slots(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _slots(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _slots(item, (*path, index))


def _replaced(policy, path, new):
    policy = copy.deepcopy(policy)
    target = policy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = new
    return policy


def test_shortcut_agrees_with_full_validation():
    validator = jsonschema.Draft202012Validator(ACCESS_CONTROL_SCHEMA)
    rng = random.Random(12)
    assert schema_errors(POLICY) == []
    slots = [path for path in _slots(POLICY) if path]
    for path in slots:
        for bad in BAD_VALUES:
            policy = _replaced(POLICY, path, bad)
            assert (schema_errors(policy) == []) == validator.is_valid(policy), (path, bad)
    # Corrupting one of several identical globs must not hide behind its twins.
    policy = copy.deepcopy(POLICY)
    for index in range(50):
        policy["repositories"][f"t{index}/**"] = copy.deepcopy(policy["repositories"]["team/**"])
    policy["repositories"][f"t{rng.randrange(50)}/**"]["policies"][0]["users"] = [""]
    assert schema_errors(policy) and not validator.is_valid(policy)
