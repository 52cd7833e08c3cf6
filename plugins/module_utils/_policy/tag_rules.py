# -*- coding: utf-8 -*-
# Copyright: zotops.registry contributors
# Apache License 2.0 (see LICENSE)
"""Tag rules (``zot_tag_rules``) and CI networks (``zot_pusher_networks``), rendered into
zot's accessControl as CEL conditions (zot >= v2.1.17).

A pusher is a policy entry that grants ``create`` without ``update``: by default every tag
it pushes is write-once. A rule ``{repositories: GLOB, movable: [...], locked: [...]}``
governs the repositories zot applies GLOB to (the longest matching glob):

- each pusher entry there gets ``update`` back under a condition: the tag matches a movable
  glob and no locked one. zot v2.1.20 (pkg/api/authz.go manifestWriteAuthzChecks) checks a
  digest PUT with ``?tag=`` as ``update`` on every existing tag named *and* on the digest,
  so the condition also lets the digest pass: the tags themselves are checked one by one;
- every other entry there granting ``update``, and adminPolicy (for those repositories),
  lose ``update`` on locked tags. ``delete`` stays: the admins' break-glass.

With networks, the pushers' writes (create, and their update) also need ``req.client.ip``
in one of the CIDRs; zot takes it from the TCP peer (RemoteAddr), never X-Forwarded-For.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import ipaddress
import re

from ansible_collections.zotops.registry.plugins.module_utils._policy.engine import parse_version
from ansible_collections.zotops.registry.plugins.module_utils._policy.cel import (
    MIN_VERSION as CEL_MIN_VERSION,
)
from ansible_collections.zotops.registry.plugins.module_utils._policy.glob_overlap import (
    overlap_example,
)

VARIABLE = "zot_tag_rules"
NETWORKS_VARIABLE = "zot_pusher_networks"
# Distribution-spec tag characters, plus the wildcards * (any run) and ? (one character).
_TAG_GLOB = re.compile(r"[A-Za-z0-9_.*?-]{1,128}")
# Repository globs the renderer turns into a regex: literal segments, * and ?, ** segments.
_REPOSITORY_GLOB = re.compile(r"[a-z0-9._*?/-]*")
RULE_KEYS = ("repositories", "movable", "locked")


class TagRuleError(ValueError):
    """A tag rule zot cannot enforce; the message names the field."""


def tag_glob_regex(pattern):
    """A tag glob (``*`` any run, ``?`` one character) as an anchored regex without
    backslashes, which CEL string literals would need doubled (Go's MatchString and CEL's
    matches() are unanchored: ``latest`` alone would also match ``not-latest-1``)."""
    return "^" + _tag_glob_body(pattern) + "$"


def _tag_glob_body(pattern):
    return "".join({"*": ".*", "?": ".", ".": "[.]"}.get(char, char) for char in pattern)


def _tags_regex(patterns):
    return "^(?:%s)$" % "|".join(_tag_glob_body(pattern) for pattern in patterns)


def repository_glob_regex(pattern):
    """A repository glob as doublestar matches it, for the globs _REPOSITORY_GLOB admits:
    ``*`` and ``?`` stay inside a segment, ``**`` is a whole segment (any number of them),
    and a trailing ``/**`` also matches the name without it. None for any other glob."""
    if not _REPOSITORY_GLOB.fullmatch(pattern):
        return None
    segments = pattern.split("/")
    if any("**" in segment and segment != "**" for segment in segments):
        return None
    parts = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            if len(segments) == 1:
                parts.append(".*")
            elif last:
                parts.append("(?:/.*)?")
            else:
                parts.append("(?:.*/)?" if index == 0 else "/(?:.*/)?")
            continue
        if index and segments[index - 1] != "**":
            parts.append("/")
        parts.append("".join({"*": "[^/]*", "?": "[^/]", ".": "[.]"}.get(char, char) for char in segment))
    return "^" + "".join(parts) + "$"


def _is_pusher(policy):
    actions = policy.get("actions") or []
    return "create" in actions and "update" not in actions


def _tag_list(value, where):
    if value is None:
        return []
    if not isinstance(value, list):
        raise TagRuleError("%s: must be a list of tag globs such as latest or dev-*" % where)
    for position, pattern in enumerate(value):
        if not isinstance(pattern, str) or not _TAG_GLOB.fullmatch(pattern):
            raise TagRuleError(
                "%s[%d]: %r cannot be expressed as a zot condition: a tag glob has only letters, "
                "digits, '.', '_', '-' and the wildcards * and ? (at most 128 characters)"
                % (where, position, pattern)
            )
    return list(value)


def check_tag_rules(rules, access_control, zot_version):
    """The rules, checked against the effective accessControl and the zot release, as
    [{repositories, movable, locked}]; raises TagRuleError naming the field."""
    if rules in (None, []):
        return []
    if not isinstance(rules, list):
        raise TagRuleError("%s: must be a list of {repositories, movable, locked}" % VARIABLE)
    repositories = (access_control or {}).get("repositories") or {}
    checked, seen = [], {}
    for index, rule in enumerate(rules):
        where = "%s[%d]" % (VARIABLE, index)
        if not isinstance(rule, dict):
            raise TagRuleError("%s: must be a dict {repositories, movable, locked}" % where)
        unknown = sorted(set(rule) - set(RULE_KEYS))
        if unknown:
            raise TagRuleError("%s.%s: unknown key (allowed: %s)" % (where, unknown[0], ", ".join(RULE_KEYS)))
        glob = rule.get("repositories")
        if not isinstance(glob, str) or glob not in repositories:
            raise TagRuleError(
                '%s.repositories: "%s" is not a glob of zot_access_control.repositories, so no policy '
                "entry governs it; give one of: %s" % (where, glob, ", ".join(sorted(repositories)) or "none")
            )
        if glob in seen:
            raise TagRuleError(
                "%s.repositories: %s[%d] already has rules for %s" % (where, VARIABLE, seen[glob], glob)
            )
        seen[glob] = index
        movable = _tag_list(rule.get("movable"), where + ".movable")
        locked = _tag_list(rule.get("locked"), where + ".locked")
        policy_group = repositories[glob] or {}
        if movable and not any(_is_pusher(p) for p in policy_group.get("policies") or []):
            raise TagRuleError(
                '%s.movable: no entry of zot_access_control.repositories["%s"].policies grants create '
                "without update, so nobody pushes write-once tags there" % (where, glob)
            )
        if locked:
            for key in ("defaultPolicy", "anonymousPolicy"):
                if "update" in (policy_group.get(key) or []):
                    raise TagRuleError(
                        '%s.locked: zot_access_control.repositories["%s"].%s grants update, which zot '
                        "cannot make conditional; grant it through policies instead" % (where, glob, key)
                    )
            if repository_glob_regex(glob) is None:
                raise TagRuleError(
                    "%s.repositories: %s cannot be expressed as a zot condition for adminPolicy (locked "
                    "tags): use literal segments, *, ? and whole ** segments" % (where, glob)
                )
        checked.append({"repositories": glob, "movable": movable, "locked": locked})
    if any(rule["movable"] or rule["locked"] for rule in checked):
        _require_conditions(zot_version, "%s[0]" % VARIABLE)
    return checked


def _require_conditions(zot_version, where):
    try:
        old = parse_version(zot_version) < CEL_MIN_VERSION
    except ValueError as exc:
        raise TagRuleError(str(exc)) from exc
    if old:
        raise TagRuleError(
            "%s: zot %s ignores policy conditions (read since v%s), so it cannot enforce this; raise "
            "zot_version" % (where, zot_version, ".".join(map(str, CEL_MIN_VERSION)))
        )


def network_condition(networks, zot_version):
    """The CEL condition "the TCP peer is in one of these IPv4 CIDRs" (None for no networks).
    zot's CEL has no network functions, so each CIDR becomes a regex on the dotted quad."""
    if networks in (None, []):
        return None
    if not isinstance(networks, list):
        raise TagRuleError("%s: must be a list of IPv4 CIDRs such as 10.20.0.0/16" % NETWORKS_VARIABLE)
    alternatives = []
    for index, text in enumerate(networks):
        try:
            network = ipaddress.ip_network(str(text), strict=True)
        except ValueError as exc:
            raise TagRuleError("%s[%d]: %s" % (NETWORKS_VARIABLE, index, exc)) from exc
        if network.version != 4:
            raise TagRuleError(
                "%s[%d]: %s is IPv6; only IPv4 CIDRs can be expressed as a zot condition"
                % (NETWORKS_VARIABLE, index, text)
            )
        alternatives.append(_cidr_regex(network))
    _require_conditions(zot_version, "%s[0]" % NETWORKS_VARIABLE)
    return {
        "expression": 'req.client.ip.matches("^(?:%s)$")' % "|".join(alternatives),
        "message": "pushes are accepted only from CI's networks (%s)" % NETWORKS_VARIABLE,
    }


def _cidr_regex(network):
    octets = str(network.network_address).split(".")
    whole, rest = divmod(network.prefixlen, 8)
    parts = octets[:whole]
    if rest:
        low = int(octets[whole])
        parts.append("(?:%s)" % "|".join(str(value) for value in range(low, low + 2 ** (8 - rest))))
    parts += ["[0-9]{1,3}"] * (4 - len(parts))
    return "[.]".join(parts)


def _condition(expression, message):
    return {"expression": expression, "message": message}


def render_tag_rules(access_control, rules, networks=None, zot_version="v2.1.20"):
    """accessControl with the tag rules and the pushers' networks rendered into it."""
    result = copy.deepcopy(access_control or {})
    checked = check_tag_rules(rules, result, zot_version)
    network = network_condition(networks, zot_version)
    repositories = result.get("repositories") or {}
    by_glob = {rule["repositories"]: (index, rule) for index, rule in enumerate(checked)}
    for glob, policy_group in repositories.items():
        if not policy_group or not policy_group.get("policies"):
            continue
        index, rule = by_glob.get(glob, (None, None))
        policies = []
        for policy in policy_group["policies"]:
            if _is_pusher(policy):
                policies += _pusher_entries(policy, index, rule, network)
            elif rule and rule["locked"] and "update" in (policy.get("actions") or []):
                policies.append(
                    dict(
                        policy,
                        conditions=list(policy.get("conditions") or []) + [_locked_condition(index, rule)],
                    )
                )
            else:
                policies.append(policy)
        policy_group["policies"] = policies
    admin_conditions = [
        _admin_locked_condition(index, rule, repositories)
        for index, rule in enumerate(checked)
        if rule["locked"]
    ]
    if admin_conditions:
        admin = result.setdefault("adminPolicy", {})
        admin["conditions"] = list(admin.get("conditions") or []) + admin_conditions
    return result


def _pusher_entries(policy, index, rule, network):
    names = {key: policy[key] for key in ("users", "groups") if key in policy}
    own = list(policy.get("conditions") or [])
    entries = [policy]
    if network:
        # Reads stay as they were; writes need CI's network.
        writes = [action for action in policy["actions"] if action in ("create", "delete")]
        others = [action for action in policy["actions"] if action not in writes]
        entries = [dict(policy, actions=others)] if others else []
        entries.append(dict(names, actions=writes, conditions=own + [network]))
    if rule and rule["movable"]:
        tag = 'req.tag.matches("%s")' % _tags_regex(rule["movable"])
        if rule["locked"]:
            tag = '(%s && !req.tag.matches("%s"))' % (tag, _tags_regex(rule["locked"]))
        movable = _condition(
            'req.referenceType == "digest" || ' + tag,
            "this tag is write-once for CI (%s[%d].movable)" % (VARIABLE, index),
        )
        entries.append(
            dict(names, actions=["update"], conditions=own + [movable] + ([network] if network else []))
        )
    return entries


def _locked_condition(index, rule):
    return _condition(
        '!(req.action == "update" && req.tag.matches("%s"))' % _tags_regex(rule["locked"]),
        "this tag is write-once (%s[%d].locked)" % (VARIABLE, index),
    )


def _admin_locked_condition(index, rule, repositories):
    glob = rule["repositories"]
    # adminPolicy is consulted for every repository: name those this rule governs, i.e.
    # those its glob matches and no longer glob does (zot applies the longest match).
    scope = [] if glob == "**" else ['req.repository.matches("%s")' % repository_glob_regex(glob)]
    for other in sorted(repositories):
        if len(other.encode()) <= len(glob.encode()) or overlap_example(glob, other) is None:
            continue
        regex = repository_glob_regex(other)
        if regex is None:
            raise TagRuleError(
                '%s[%d].repositories: zot_access_control.repositories["%s"] governs some of its '
                "repositories and cannot be expressed as a zot condition, so the locked tags cannot "
                "be scoped to %s" % (VARIABLE, index, other, glob)
            )
        scope.append('!req.repository.matches("%s")' % regex)
    return _condition(
        '!(req.action == "update" && %sreq.tag.matches("%s"))'
        % ("".join(clause + " && " for clause in scope), _tags_regex(rule["locked"])),
        "this tag is write-once, even for admins (%s[%d].locked)" % (VARIABLE, index),
    )


def retention_tags(rules, access_control):
    """(movable, locked) tag globs for retention: movable are those CI may move in every glob
    CI pushes to (any other tag is write-once somewhere), locked those any rule locks."""
    repositories = (access_control or {}).get("repositories") or {}
    by_glob = {rule.get("repositories"): rule for rule in rules or [] if isinstance(rule, dict)}
    movable = None
    for glob, policy_group in repositories.items():
        if not any(_is_pusher(p) for p in (policy_group or {}).get("policies") or []):
            continue
        here = list((by_glob.get(glob) or {}).get("movable") or [])
        movable = here if movable is None else [pattern for pattern in movable if pattern in here]
    locked = []
    for rule in by_glob.values():
        locked += [pattern for pattern in rule.get("locked") or [] if pattern not in locked]
    return movable or [], locked


def example_tag(pattern, filler):
    """A tag ``pattern`` matches: ``*`` filled with ``filler``, ``?`` with z."""
    return pattern.replace("*", filler).replace("?", "z")


def probe_tags(rule, filler):
    """Throwaway tags the checklist pushes and moves for one rule: {"movable": a tag CI may
    move, "write_once": one it may not (locked if the rule locks any)}; None where the rule
    has no such tag (every tag movable, or none)."""
    movable = [re.compile(tag_glob_regex(p)) for p in rule.get("movable") or []]
    locked = [re.compile(tag_glob_regex(p)) for p in rule.get("locked") or []]

    def is_movable(tag):
        return any(r.search(tag) for r in movable) and not any(r.search(tag) for r in locked)

    candidates = {
        "movable": [example_tag(p, filler) for p in rule.get("movable") or []],
        "write_once": [example_tag(p, filler) for p in rule.get("locked") or []] + [filler + "-v1"],
    }
    return {
        kind: next(
            (tag for tag in tags if _TAG_GLOB.fullmatch(tag) and is_movable(tag) == (kind == "movable")), None
        )
        for kind, tags in candidates.items()
    }
