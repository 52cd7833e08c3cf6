# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Seeded random access policies and requests for the decision differential test.

Policies mix users and groups (local group keys sometimes upper-case, so zot lowercases
them), overlapping globs including the "" catch-all and `**`, defaultPolicy,
anonymousPolicy, adminPolicy and metrics. Equal-length globs that can both match are
avoided where zot would pick one at random (the test skips requests that still hit a tie).
Some entries (and adminPolicy) carry CEL conditions on req.tag, req.action,
req.referenceType and req.client.ip (zot >= v2.1.17). Each policy comes with a second version
whose group memberships changed, for API keys whose owner logged in under the first one.
"""

import random

USERS = ("u1", "u2", "u3", "u4")
GROUPS = ("g1", "g2", "g3")
ACTIONS = ("read", "create", "update", "delete")
GLOBS = ("", "**", "a/**", "a/*", "a/b", "b/**", "{a,b}/x", "a*/**", "[ab]/*", "c", "a/**/d", "*/x", "b/c/**")
# Requests come from 127.0.0.1 with tags "seed" and "new-N", digests, or no reference.
CONDITIONS = (
    'req.tag == "seed"',
    'req.tag.startsWith("new-")',
    'req.action != "delete"',
    'req.action in ["read", "update"]',
    'req.client.ip == "127.0.0.1"',
    'req.client.ip.startsWith("10.")',
    'req.referenceType == "digest"',
    'req.reference == ""',
)
REPOS = ("a", "a/b", "a/x", "a/b/d", "b", "b/x", "b/c/d", "ab/x", "c", "x/y", "c/x")


def _subset(rng, items, low=0):
    return sorted(rng.sample(list(items), rng.randint(low, len(items))))


def _groups(rng):
    groups = {}
    for group in GROUPS:
        if rng.random() < 0.75:
            key = group.upper() if rng.random() < 0.1 else group
            groups[key] = {"users": _subset(rng, USERS)}
    return groups


def _conditions(rng):
    return [{"expression": e, "message": "denied"} for e in rng.sample(CONDITIONS, rng.randint(1, 2))]


def random_policy(rng: random.Random) -> tuple[dict, dict]:
    """(access_control, access_control with other group memberships)."""
    repositories = {}
    for glob in rng.sample(GLOBS, rng.randint(1, 6)):
        group = {}
        policies = []
        for _unused in range(rng.randint(0, 3)):
            policy = {"actions": _subset(rng, ACTIONS, 1)}
            if rng.random() < 0.6:
                policy["users"] = _subset(rng, USERS, 1)
            if rng.random() < 0.6:
                policy["groups"] = _subset(rng, GROUPS, 1)
            if rng.random() < 0.5:
                policy["conditions"] = _conditions(rng)
            policies.append(policy)
        if policies:
            group["policies"] = policies
        if rng.random() < 0.5:
            group["defaultPolicy"] = _subset(rng, ACTIONS)
        if rng.random() < 0.4:
            group["anonymousPolicy"] = _subset(rng, ("read", "create"))
        repositories[glob] = group
    access_control = {"repositories": repositories, "groups": _groups(rng)}
    if rng.random() < 0.6:
        admin = {"actions": _subset(rng, ACTIONS, 1)}
        if rng.random() < 0.7:
            admin["users"] = _subset(rng, USERS, 1)[:1]
        if rng.random() < 0.4:
            admin["groups"] = _subset(rng, GROUPS, 1)[:1]
        if rng.random() < 0.5:
            admin["conditions"] = _conditions(rng)
        access_control["adminPolicy"] = admin
    if rng.random() < 0.6:
        metrics = {}
        if rng.random() < 0.6:
            metrics["users"] = _subset(rng, USERS, 1)
        if rng.random() < 0.5:
            metrics["anonymousPolicy"] = ["read"]
        access_control["metrics"] = metrics
    changed = dict(access_control, groups=_groups(rng))
    return access_control, changed


def random_requests(rng: random.Random, count: int) -> list[dict]:
    """Requests: who (anonymous / password / api_key), operation, repository."""
    requests = []
    for _unused in range(count):
        roll = rng.random()
        if roll < 0.2:
            who = {"kind": "anonymous"}
        elif roll < 0.75:
            who = {"kind": "password", "user": rng.choice(USERS)}
        else:
            who = {"kind": "api_key", "user": rng.choice(USERS)}
        operation = rng.choice(
            [
                "read_tag",
                "read_digest",
                "upload",
                "put_new_tag",
                "put_existing_tag",
                "put_digest",
                "delete",
                "metrics",
                "catalog",
            ]
        )
        requests.append({"who": who, "operation": operation, "repo": rng.choice(REPOS)})
    return requests
