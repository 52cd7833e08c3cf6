# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""Which access probes the checklist runs, derived from the intended access policy.

For every repository glob of the policy the plan picks a concrete repository name the glob
governs (zot applies that glob to it, not a longer one) and a name beside it that the glob
does not match. For each such name and each action it asks the policy engine what every
identity class gets; only where the answers differ between classes is the action probed,
for every class (a probe where everyone gets the same answer proves nothing about the
policy's distinctions). The plan is bounded: probes past ``limit`` are dropped and counted.
"""

from ansible_collections.zotops.registry.plugins.module_utils._policy.engine import (
    ACTIONS,
    LoadedPolicy,
)
from ansible_collections.zotops.registry.plugins.module_utils._policy.glob_match import (
    glob_matches,
)
from ansible_collections.zotops.registry.plugins.module_utils._policy.glob_overlap import (
    example_name,
)

# Identity classes, in probe order. The metrics scraper has its own checks (metrics_*).
IDENTITY_CLASSES = ("anonymous", "bystander", "pusher", "admin")
ANONYMOUS = {"anonymous": True}
# What the probe names are made of, so the registry's catalog shows where they came from.
PROBE_SEGMENT = "zotops-check"
PROBE_PATH = PROBE_SEGMENT + "/probe"
DEFAULT_LIMIT = 120


def identity_of(account):
    """The policy engine's view of an account option ({username, password, groups})."""
    return {"user": account["username"], "groups": list(account.get("groups") or [])}


def governed_name(glob, policy):
    """A repository name zot governs with ``glob`` (the longest match), or None."""
    filled = glob.replace("**", PROBE_PATH).replace("*", PROBE_SEGMENT).replace("?", "z")
    for name in (filled.strip("/"), example_name(glob)):
        if name and glob_matches(glob, name) and policy.longest_match(name)[0] == glob:
            return name
    return None


def throwaway_name(glob, policy, filler):
    """A repository name only this run uses that zot governs with ``glob`` (else the shared
    ``governed_name``, else None): tag-rule probes push tags such as ``latest`` there."""
    name = glob.replace("**", "%s/%s" % (PROBE_SEGMENT, filler)).replace("*", filler).replace("?", "z")
    name = name.strip("/")
    if name and glob_matches(glob, name) and policy.longest_match(name)[0] == glob:
        return name
    return governed_name(glob, policy)


def outside_name(name, glob):
    """A name next to ``name`` that ``glob`` does not match (None when there is none)."""
    first, _sep, rest = name.partition("/")
    candidate = "%s-outside/%s" % (first, rest or PROBE_SEGMENT)
    return None if glob_matches(glob, candidate) else candidate


def probe_repositories(policy):
    """[(repository, why)] to probe, and [glob] that no name could be found for."""
    names, unprobed = {}, []
    for glob in sorted(policy.access_control.get("repositories") or {}):
        name = governed_name(glob, policy)
        if name is None:
            unprobed.append(glob)
            continue
        names.setdefault(name, 'governed by glob "%s"' % glob)
        outside = outside_name(name, glob)
        if outside:
            names.setdefault(outside, 'beside glob "%s", which does not match it' % glob)
    return sorted(names.items()), unprobed


def plan(access_control, identities, limit=DEFAULT_LIMIT, request=None):
    """The probes for ``identities`` ({class: who}; a class left out is not probed), with
    ``request`` (e.g. {"client_ip": ...}) for CEL conditions. Where the CEL library is
    missing, a pair whose answers depend on conditions is probed for every identity.

    Returns {"probes": [{identity, repository, action, why, decision}], "planned": N,
    "limit": limit, "unprobed_globs": [...], "conditional": [(repository, action)]}.
    """
    policy = LoadedPolicy(access_control)
    repositories, unprobed = probe_repositories(policy)
    probes, conditional = [], []
    for repository, why in repositories:
        for action in ACTIONS:
            decisions = {
                identity: policy.decide(who, repository, action, request)
                for identity, who in identities.items()
            }
            # Undecided here: probed, and judged where the library is (checklist.settle).
            undecided = any(decision.get("cel_unavailable") for decision in decisions.values())
            if not undecided and any(decision["conditional"] for decision in decisions.values()):
                # The answer depends on request attributes the probe does not fix.
                conditional.append((repository, action))
                continue
            if not undecided and len({decision["allowed"] for decision in decisions.values()}) < 2:
                continue
            for identity in IDENTITY_CLASSES:
                if identity in decisions:
                    probes.append(
                        {
                            "identity": identity,
                            "repository": repository,
                            "action": action,
                            "why": why,
                            "decision": decisions[identity],
                        }
                    )
    return {
        "probes": probes[:limit],
        "planned": len(probes),
        "limit": limit,
        "unprobed_globs": unprobed,
        "conditional": conditional,
    }
