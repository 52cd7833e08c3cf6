# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""zot v2.1.20's authorization, as a pure function of `http.accessControl`.

Written from zot's pkg/api/authz.go, authn.go and config loader at tag v2.1.20 and checked
against that release: globs pair by pair against doublestar v4.10.0 itself
(tests/integration/test_glob_differential.py) and decisions request by request against the
real binary (tests/integration/test_policy_decision_differential.py).

How zot decides (`decide`):
0. Loading: viper lowercases map keys (globs, accessControl.groups names) but not values
   (user names, the group names policies list); field names match case-insensitively; a
   glob whose body is empty ({}) is dropped.
1. Authentication: a request without credentials passes only when some repository has a
   non-empty anonymousPolicy (else 401). Password (htpasswd/LDAP/mTLS) logins get the
   accessControl.groups entries listing the user (plus LDAP groups) and zot stores them;
   API-key and UI-session requests carry the groups stored at the owner's last login
   (`who.login_groups`). Traditional bearer auth bypasses all of this (validation says so).
2. Only the single longest glob (by byte length, doublestar.Match) matching the repository
   applies; shorter globs are never consulted. The "" glob applies to repositories no other
   glob matches; without it such a repository has no policy. Equal-length matches: random.
3. Inside that glob, in order: entries listing the user, entries listing one of the
   caller's groups (each with its CEL conditions), defaultPolicy for authenticated callers,
   anonymousPolicy for anonymous ones.
4. If still denied: adminPolicy (users or groups, with its conditions).
5. Denied anonymous callers get 401, denied authenticated callers 403. /metrics has its own
   rule (`LoadedPolicy.decide_metrics`).

Actions: GET/HEAD -> read; POST/PUT/PATCH -> create; DELETE -> delete. A manifest PUT to a
tag that already exists needs `update` instead of `create` (even with the same digest).
Whether a tag exists is the caller's concern: ask "update" for a re-push, "create" for a
new tag.

CEL `conditions` (cel.py) are evaluated against the request attributes a query
gives (`request`: reference, method, client_ip, time, ...) plus those every decision knows
(action, repository, user, auth); an entry grants only when all its conditions are true.
When the answer depends on attributes not given, it is `conditional` (not allowed), with
the expressions in `conditions`.
"""

from __future__ import annotations

import functools
import re

from ansible_collections.zotops.registry.plugins.module_utils._policy.cel import (
    MIN_VERSION as CEL_MIN_VERSION,
)
from ansible_collections.zotops.registry.plugins.module_utils._policy.cel import (
    CelUnavailable,
    available as cel_available,
    compile_error,
    evaluate,
    request_attributes,
    result_type,
)
from ansible_collections.zotops.registry.plugins.module_utils._policy.glob_match import (
    GlobError,
    glob_matches,
    is_valid_glob,
)
from ansible_collections.zotops.registry.plugins.module_utils._policy.glob_overlap import (
    example_name,
    literal_affixes,
    overlapping_pairs,
)
from ansible_collections.zotops.registry.plugins.module_utils._policy.schema import (
    json_path,
)

ACTIONS = ("read", "create", "update", "delete")
# zot also knows this behaviour action (pkg/api/constants); it is not an HTTP permission.
KNOWN_ACTIONS = ACTIONS + ("detectManifestCollision",)
# Before v2.1.19 a manifest PUT by digest with several `?tag=` moved existing tags without
# `update`; before v2.1.15 a create-only user could overwrite `latest`.
IMMUTABLE_TAGS_MIN_VERSION = (2, 1, 19)
GRANT_SOURCES = (
    "user",
    "group",
    "defaultPolicy",
    "anonymousPolicy",
    "adminPolicy",
    "none",
)

# Stand-in identities for the who-can-do-what table.
OTHER_USER = "(any other authenticated user)"


# --------------------------------------------------------------------------- identities


def parse_who(who, where: str) -> dict:
    """Check a `who` value and return it normalised: {anonymous, user, groups, oidc}.

    `{"groups": [...]}` without a user stands for any authenticated member of those groups.
    """
    if not isinstance(who, dict):
        raise ValueError(f'{where}: must be {{"anonymous": true}} or {{"user": NAME, ...}}')
    unknown = sorted(set(who) - {"anonymous", "user", "groups", "oidc", "api_key", "login_groups"})
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}")
    anonymous = bool(who.get("anonymous", False))
    user = who.get("user")
    if anonymous and user:
        raise ValueError(f"{where}: anonymous and user are mutually exclusive")
    groups = who.get("groups") or []
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise ValueError(f"{where}.groups: must be a list of group names")
    if not anonymous and not user and groups:
        # "Any member of these groups": a stand-in name no policy can list by user.
        user = f"(a member of {', '.join(groups)})"
    if not anonymous and (not isinstance(user, str) or not user):
        raise ValueError(f'{where}: needs "user" (a non-empty name), "groups", or "anonymous": true')
    if anonymous and groups:
        raise ValueError(f"{where}: an anonymous caller has no groups")
    login_groups = who.get("login_groups")
    if login_groups is not None:
        if anonymous:
            raise ValueError(f"{where}: an anonymous caller has no login groups")
        if not isinstance(login_groups, list) or not all(isinstance(g, str) for g in login_groups):
            raise ValueError(f"{where}.login_groups: must be a list of group names")
        if groups or who.get("oidc"):
            raise ValueError(f"{where}: login_groups are all the groups zot stored; give no groups or oidc")
        login_groups = list(login_groups)
    return {
        "anonymous": anonymous,
        "user": "" if anonymous else user,
        "groups": list(groups),
        "oidc": bool(who.get("oidc", False)),
        "api_key": bool(who.get("api_key", False)) or login_groups is not None,
        "login_groups": login_groups,
    }


def describe_who(who: dict) -> str:
    if who["anonymous"]:
        return "anonymous"
    if who.get("login_groups") is not None:
        stored = ", ".join(who["login_groups"]) or "none"
        return f'user "{who["user"]}" with an API key (groups stored at login: {stored})'

    if who["groups"]:
        return f'user "{who["user"]}" (groups: {", ".join(who["groups"])})'
    return f'user "{who["user"]}"'


def effective_groups(access_control: dict, who: dict) -> list[str]:
    """Groups zot attaches to the caller.

    htpasswd, LDAP and mTLS users get every accessControl.groups entry listing them (LDAP
    adds its own groups: pass them in `groups`); OIDC users (`oidc: true`) get only the
    IdP's groups claim. API-key and UI-session requests carry the groups zot stored for the
    owner at their last password/OIDC login (`login_groups`), not recomputed ones: a user
    removed from a group keeps its rights through an existing key until they log in again.
    """
    if who["anonymous"]:
        return []
    if who.get("login_groups") is not None:
        return list(who["login_groups"])
    groups = list(who["groups"])
    if not who["oidc"]:
        listing = [
            name
            for name, group in (access_control.get("groups") or {}).items()
            if who["user"] in ((group or {}).get("users") or [])
        ]
        groups += [name for name in sorted(listing) if name not in groups]
    return groups


# --------------------------------------------------------------------------- decisions


# zot reads its config with viper, which lowercases every map key, and mapstructure matches
# lowercased keys to struct fields case-insensitively: `defaultpolicy` is `defaultPolicy`.
_FIELDS = {
    "accessControl": ("repositories", "adminPolicy", "groups", "metrics"),
    "policyGroup": ("policies", "defaultPolicy", "anonymousPolicy"),
    "policy": ("users", "groups", "actions", "conditions"),
    "condition": ("expression", "message"),
    "group": ("users",),
    "metrics": ("users", "anonymousPolicy"),
}


_CANONICAL = {kind: frozenset(names) for kind, names in _FIELDS.items()}


def canonical_fields(value, kind: str):
    """`value` with its field names spelled as the schema spells them (zot matches field
    names case-insensitively). Unknown names are kept as given; a field given twice in
    different cases keeps the canonical spelling's value, else the last one. `value` itself
    when it is spelled canonically already (never changed in place)."""
    if not isinstance(value, dict) or _CANONICAL[kind].issuperset(value):
        return value
    names = {name.lower(): name for name in _FIELDS[kind]}
    result = {}
    for key, item in value.items():
        canonical = names.get(key.lower(), key) if isinstance(key, str) else key
        if canonical in result and key != canonical:
            continue
        result[canonical] = item
    return result


def _replaced(value: dict, key, new) -> dict:
    # Copy on change: the caller's policy is never modified, and a canonical one not copied.
    if value.get(key) is new:
        return value
    return {**value, key: new}


def _mapped(items, function):
    """`items` (a list or a dict's values) through `function`; `items` itself if unchanged."""
    if isinstance(items, dict):
        mapped = {key: function(item) for key, item in items.items()}
        unchanged = all(mapped[key] is item for key, item in items.items())
    else:
        mapped = [function(item) for item in items]
        unchanged = all(new is old for new, old in zip(mapped, items, strict=True))
    return items if unchanged else mapped


def _canonical_condition(value):
    return canonical_fields(value, "condition")


def _canonical_policy(value):
    value = canonical_fields(value, "policy")
    if isinstance(value, dict) and isinstance(value.get("conditions"), list):
        value = _replaced(value, "conditions", _mapped(value["conditions"], _canonical_condition))
    return value


def canonical_policy_group(value):
    """A glob's body with canonical field names, its policy entries included."""
    value = canonical_fields(value, "policyGroup")
    if isinstance(value, dict) and isinstance(value.get("policies"), list):
        value = _replaced(value, "policies", _mapped(value["policies"], _canonical_policy))
    return value


def _canonical_group(value):
    return canonical_fields(value, "group")


def canonical_access_control(access_control):
    """The accessControl value with every field name in canonical spelling (map keys such
    as globs and group names unchanged); shares every part that needed no change."""
    access_control = _canonical_top(access_control)
    if isinstance(access_control, dict) and isinstance(access_control.get("repositories"), dict):
        repositories = _mapped(access_control["repositories"], canonical_policy_group)
        access_control = _replaced(access_control, "repositories", repositories)
    return access_control


def _canonical_top(access_control):
    # Everything but the globs' bodies, which deciding canonicalises one glob at a time.
    access_control = canonical_fields(access_control, "accessControl")
    if not isinstance(access_control, dict):
        return access_control
    if "adminPolicy" in access_control:
        access_control = _replaced(
            access_control, "adminPolicy", _canonical_policy(access_control["adminPolicy"])
        )
    if isinstance(access_control.get("groups"), dict):
        groups = _mapped(access_control["groups"], _canonical_group)
        access_control = _replaced(access_control, "groups", groups)
    if "metrics" in access_control:
        metrics = canonical_fields(access_control["metrics"], "metrics")
        access_control = _replaced(access_control, "metrics", metrics)
    return access_control


def normalise(access_control: dict | None) -> dict:
    """The policy as zot holds it after loading: glob and group keys lowercased (values such
    as user and group names in policies are kept as written), field names canonical except
    inside the globs' bodies (see canonical_policy_group; canonical_access_control first
    for all of them): a decision reads one body, and canonicalising thousands costs time."""
    access_control = dict(_canonical_top(access_control or {}))
    for key in ("repositories", "groups"):
        if isinstance(access_control.get(key), dict):
            access_control[key] = {name.lower(): v for name, v in access_control[key].items()}
    if isinstance(access_control.get("repositories"), dict):
        # viper keeps only keys with values below them: a glob whose body is empty ({})
        # is not in the loaded config at all, so shorter globs apply to its repositories.
        access_control["repositories"] = {p: v for p, v in access_control["repositories"].items() if v}
    return access_control


def anonymous_allowed_in(access_control: dict) -> bool:
    """zot lets a request without credentials through authentication only when some
    repository has a non-empty anonymousPolicy (AnonymousPolicyExists); otherwise it is
    refused with 401 before any policy is looked at (metrics have their own rule)."""
    return any(
        (canonical_fields(group, "policyGroup") or {}).get("anonymousPolicy")
        for group in (access_control.get("repositories") or {}).values()
    )


def _byte_length(text: str) -> int:
    # Go's len() counts bytes, and zot compares glob lengths with it.
    return len(text.encode("utf-8"))


def _catch_all(access_control: dict) -> tuple[str | None, list[str]]:
    # zot starts from the longest match "" and replaces it only with a longer glob, then
    # looks "" up: the "" key applies to every repository no other glob matches.
    if "" in (access_control.get("repositories") or {}):
        return "", []
    return None, []


def longest_match(access_control: dict, repo: str) -> tuple[str | None, list[str]]:
    """The glob zot applies to `repo`, and any other glob of the same length that also matches
    (zot would then pick one of them at random). The "" glob, when present, applies to the
    repositories no other glob matches; None when nothing applies."""
    matching = []
    for pattern in access_control.get("repositories") or {}:
        entry = _indexed_glob(pattern)
        # A glob only matches names starting with one of its literal prefixes.
        if entry and repo.startswith(entry[1]) and glob_matches(pattern, repo):
            matching.append(pattern)
    if not matching:
        return _catch_all(access_control)
    longest = max(_byte_length(p) for p in matching)
    tied = sorted(p for p in matching if _byte_length(p) == longest)
    return tied[0], tied[1:]


@functools.lru_cache(maxsize=65536)
def _indexed_glob(pattern: str) -> tuple[int, tuple[str, ...]] | None:
    """(byte length, literal prefixes) of a glob that can win; None for one that never does
    (invalid globs match nothing; an empty one never replaces zot's "" start value)."""
    if not pattern or not is_valid_glob(pattern):
        return None
    return _byte_length(pattern), tuple(sorted({prefix for prefix, _suffix in literal_affixes(pattern)}))


class LoadedPolicy:
    """An accessControl value as zot holds it after loading, prepared for many decisions.

    Normalising the policy costs time linear in its size, so make one object per policy and
    ask `decide` as often as needed. The first decision scans the policy like zot does; from
    the second on, a glob index and a user -> groups map (built then, assuming the policy is
    not changed afterwards) make each decision independent of the number of globs.
    """

    def __init__(self, access_control: dict | None):
        self._given = access_control
        self._normalised = None
        self._glob_index = None
        self._local_groups = None
        self._scanned_globs = False
        self._scanned_groups = False
        self._anonymous_allowed = None
        self._policy_groups = {}

    @property
    def access_control(self) -> dict:
        # Normalised on first use, so a malformed policy fails where it did before: at the
        # first decision, not when the object is made.
        if self._normalised is None:
            self._normalised = normalise(self._given)
        return self._normalised

    def longest_match(self, repo: str) -> tuple[str | None, list[str]]:
        """`longest_match` against this policy."""
        if not self._scanned_globs:
            self._scanned_globs = True
            return longest_match(self.access_control, repo)
        if self._glob_index is None:
            # A glob only matches names starting with one of its literal prefixes.
            index = {}
            for pattern in self.access_control.get("repositories") or {}:
                entry = _indexed_glob(pattern)
                for prefix in entry[1] if entry else ():
                    index.setdefault(prefix, []).append((entry[0], pattern))
            self._glob_index = index
        candidates = set()
        for end in range(len(repo) + 1):
            candidates.update(self._glob_index.get(repo[:end], ()))
        longest, tied = 0, []
        for length, pattern in sorted(candidates, reverse=True):
            if length < longest:
                break
            if glob_matches(pattern, repo):
                longest = length
                tied.append(pattern)
        if not tied:
            return _catch_all(self.access_control)
        tied.sort()
        return tied[0], tied[1:]

    def policy_group(self, pattern: str) -> dict:
        """The body of glob `pattern` with canonical field names ({} when empty)."""
        if pattern not in self._policy_groups:
            self._policy_groups[pattern] = (
                canonical_policy_group(self.access_control["repositories"][pattern]) or {}
            )
        return self._policy_groups[pattern]

    def effective_groups(self, who: dict) -> list[str]:
        """`effective_groups` against this policy."""
        if who["anonymous"] or who["oidc"] or who.get("login_groups") is not None:
            return effective_groups(self.access_control, who)
        if not self._scanned_groups:
            self._scanned_groups = True
            return effective_groups(self.access_control, who)
        if self._local_groups is None:
            self._local_groups = self._map_local_groups()
        if self._local_groups is False:
            return effective_groups(self.access_control, who)
        groups = list(who["groups"])
        groups += [name for name in self._local_groups.get(who["user"], []) if name not in groups]
        return groups

    def _map_local_groups(self) -> dict[str, list[str]] | bool:
        """user -> names of the accessControl.groups listing them, sorted; False when a
        group's users is not a list of names (then `effective_groups` answers as it does)."""
        local_groups = {}
        for name, group in sorted((self.access_control.get("groups") or {}).items()):
            users = (group or {}).get("users") or []
            if not isinstance(users, list) or not all(isinstance(user, str) for user in users):
                return False
            for user in dict.fromkeys(users):
                local_groups.setdefault(user, []).append(name)
        return local_groups

    def decide(self, who: dict, repo: str, action: str, request: dict | None = None) -> dict:
        """`decide` (see there) against this policy."""
        result = _decide(self, parse_who(who, "who"), repo, action, request_attributes(request, "request"))
        if result.get("cel_unavailable"):
            result["queries"] = [{"who": who, "repository": repo, "action": action, "request": request}]
        return result

    def catalog_lists(self, who: dict, repo: str) -> dict:
        """Whether GET /v2/_catalog lists `repo` to `who` (AuthzFilterFunc) - {allowed, status
        (of the catalog request), tied_patterns, reason}: admins (named by
        adminPolicy, whatever its actions) see every repository; anyone else sees those whose
        applying glob grants them read, with CEL conditions not evaluated (zot decides the
        listing without the request's repository and reference)."""
        who = parse_who(who, "who")
        groups = self.effective_groups(who)
        pattern, tied = self.longest_match(repo)
        if who["anonymous"] and not self.anonymous_allowed():
            return {"allowed": False, "status": 401, "reason": "requests without credentials are refused"}
        if _is_admin(self.access_control, who, groups):
            return {"allowed": True, "status": 200, "reason": "adminPolicy names the caller"}
        grants = []
        if pattern is not None:
            grants = _grants(self.policy_group(pattern), who, groups, "read")
        where = f'glob "{pattern}"' if pattern is not None else "no glob"
        verb = "grants" if grants else "does not grant"
        reason = f"{where} {verb} read (conditions aside)"
        return {"allowed": bool(grants), "status": 200, "tied_patterns": tied, "reason": reason}

    def anonymous_allowed(self) -> bool:
        if self._anonymous_allowed is None:
            self._anonymous_allowed = anonymous_allowed_in(self.access_control)
        return self._anonymous_allowed

    def decide_metrics(self, who: dict) -> dict:
        """zot's answer to GET /metrics (MetricsAuthzHandler): anonymous callers need
        `metrics.anonymousPolicy` to hold "read"; authenticated callers must be listed in
        `metrics.users` (groups, adminPolicy and defaultPolicy are not consulted)."""
        who = parse_who(who, "who")
        metrics = self.access_control.get("metrics") or {}
        if who["anonymous"]:
            allowed = "read" in (metrics.get("anonymousPolicy") or [])
            verb = "grants" if allowed else "does not grant"
            return {
                "allowed": allowed,
                "status": 200 if allowed else 401,
                "reason": f"metrics.anonymousPolicy {verb} read",
            }
        allowed = who["user"] in (metrics.get("users") or [])
        verb = "lists" if allowed else "does not list"
        return {
            "allowed": allowed,
            "status": 200 if allowed else 403,
            "reason": f"metrics.users {verb} {who['user']}",
        }


def _conditions(policy: dict) -> list[str]:
    return [c.get("expression", "") for c in (policy.get("conditions") or []) if isinstance(c, dict)]


def _grants(policy_group: dict, who: dict, groups: list[str], action: str) -> list[tuple]:
    """(source, conditions) of every entry of one glob that grants `action`, in zot's order
    (isPermitted: user entries, group entries, defaultPolicy, anonymousPolicy)."""
    grants = []
    policies = policy_group.get("policies") or []
    for policy in policies:
        if who["user"] in (policy.get("users") or []) and action in (policy.get("actions") or []):
            grants.append(("user", _conditions(policy)))
    # zot skips group entries for a caller without groups (a nil list).
    for policy in policies if groups else ():
        if action in (policy.get("actions") or []) and any(g in groups for g in policy.get("groups") or []):
            grants.append(("group", _conditions(policy)))
    if action in (policy_group.get("defaultPolicy") or []) and not who["anonymous"]:
        grants.append(("defaultPolicy", []))
    if action in (policy_group.get("anonymousPolicy") or []) and who["anonymous"]:
        grants.append(("anonymousPolicy", []))
    return grants


def _is_admin(access_control: dict, who: dict, groups: list[str]) -> bool:
    admin = access_control.get("adminPolicy") or {}
    return who["user"] in (admin.get("users") or []) or any(g in groups for g in admin.get("groups") or [])


def _admin_grants(access_control: dict, who: dict, groups: list[str], action: str) -> list:
    admin = access_control.get("adminPolicy") or {}
    if _is_admin(access_control, who, groups) and action in (admin.get("actions") or []):
        return [("adminPolicy", _conditions(admin))]
    return []


def decide(access_control: dict, who: dict, repo: str, action: str, request: dict | None = None) -> dict:
    """What zot answers when `who` does `action` on repository `repo`.

    `request`: what else is known of the request, for CEL conditions (see
    cel.request_attributes); an answer that depends on a condition reading
    something not given is reported as conditional, never as allowed.

    Returns a dict:
      allowed          bool; True only when a grant holds whatever the unknown attributes are
      conditional      True when the answer depends on CEL conditions reading request
                       attributes not given (allowed is then False)
      cel_unavailable  present (True) on a conditional answer when the CEL library is not
                       installed here: the conditions were not evaluated at all
      queries          with cel_unavailable: [this question], to ask again where the
                       library is (the checklist's controller side)
      status           HTTP status zot answers: 200 allowed, 401 anonymous denied,
                       403 authenticated denied (for a conditional answer: the denial status)
      matched_pattern  the single glob zot applied ("" for the catch-all), or None
      tied_patterns    other globs of the same length that also match (zot picks at random)
      granted_by       user | group | defaultPolicy | anonymousPolicy | adminPolicy | none
      conditions       CEL expressions the answer depends on: the granting entry's, else
                       the undecided ones, else those that denied ([] = none involved)
      groups           the caller's effective groups
      reason           one sentence explaining the decision

    Each call loads the policy again (time linear in its size); for many decisions against
    one policy, use `LoadedPolicy(access_control).decide`.
    """
    return LoadedPolicy(access_control).decide(who, repo, action, request)


def _conditions_hold(conditions: list[str], attributes: dict) -> bool | None:
    """zot's policyConditionsMet: all true grants, any false (or error) does not; None
    when that depends on request attributes not given (or the CEL library is missing)."""
    results = []
    for expression in conditions:
        try:
            results.append(evaluate(expression, attributes))
        except CelUnavailable:
            results.append(None)
    if False in results:
        return False
    return None if None in results else True


def _decide(policy: LoadedPolicy, who: dict, repo: str, action: str, request: dict) -> dict:
    access_control = policy.access_control
    groups = policy.effective_groups(who)
    pattern, tied = policy.longest_match(repo)
    result = {
        "allowed": False,
        "conditional": False,
        "status": 401 if who["anonymous"] else 403,
        "matched_pattern": pattern,
        "tied_patterns": tied,
        "granted_by": "none",
        "conditions": [],
        "groups": groups,
    }
    if who["anonymous"] and not policy.anonymous_allowed():
        result["reason"] = (
            "no repository has an anonymousPolicy, so zot refuses requests without credentials "
            "before looking at any policy"
        )
        return result

    grants = []
    if pattern is not None:
        grants = _grants(policy.policy_group(pattern), who, groups, action)
    grants += _admin_grants(access_control, who, groups, action)

    held, unknown, failed = None, [], []
    for grant in grants:
        holds = True
        if grant[1]:
            attributes = dict(
                request,
                action=action,
                repository=repo,
                user={"username": who["user"], "groups": groups},
                auth={"anonymous": who["anonymous"], "admin": _is_admin(access_control, who, groups)},
            )
            holds = _conditions_hold(grant[1], attributes)
        if holds:
            held = grant
            break
        (unknown if holds is None else failed).append(grant)
    if held is not None:
        result.update(allowed=True, status=200, granted_by=held[0], conditions=held[1])
    elif unknown:
        result.update(conditional=True, conditions=[c for grant in unknown for c in grant[1]])
        if not cel_available():
            result["cel_unavailable"] = True
    else:
        result["conditions"] = [c for grant in failed for c in grant[1]]

    where = f'glob "{pattern}"' if pattern else ('the catch-all glob ""' if pattern == "" else "no glob")
    if result["allowed"]:
        reason = f"{result['granted_by']} grants {action} ({where} applies)"
    elif unknown:
        reason = (
            f"{where} applies; granted only if a CEL condition holds, which depends on request "
            "attributes not given: " + " | ".join(result["conditions"])
        )
    elif failed:
        reason = f"{where} applies; the CEL conditions of every entry granting {action} are false"
    elif pattern is None:
        reason = f'"{repo}" matches no glob: only adminPolicy applies, and it does not grant'
    else:
        reason = f"{where} applies and does not grant {action}; adminPolicy does not either"
    result["reason"] = reason
    return result


# --------------------------------------------------------------------------- queries


def _as_list(query: dict, single: str, plural: str, where: str, default=None) -> list:
    if single in query and plural in query:
        raise ValueError(f"{where}: give {single} or {plural}, not both")
    if single in query:
        values = [query[single]]
    elif plural in query:
        values = query[plural]
    elif default is not None:
        values = list(default)
    else:
        raise ValueError(f"{where}: {single} (or {plural}) is required")
    if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        raise ValueError(f"{where}.{plural}: must be a list of non-empty strings")
    return values


def _check_actions(actions: list[str], where: str) -> None:
    for action in actions:
        if action not in KNOWN_ACTIONS:
            raise ValueError(f'{where}: unknown action "{action}" (allowed: {", ".join(KNOWN_ACTIONS)})')


def evaluate_queries(access_control: dict, queries: list[dict]) -> list[dict]:
    """Answer each query {who, repo|repos, action|actions (default: all four), request
    (attributes for CEL conditions, optional)}.

    One row per (who, repo, action): the query's who/repo/action plus `decide`'s keys.
    """
    policy = LoadedPolicy(access_control)
    rows = []
    for index, query in enumerate(queries or []):
        where = f"queries[{index}]"
        if not isinstance(query, dict):
            raise ValueError(f"{where}: must be a dict with who, repo(s) and action(s)")
        unknown = sorted(set(query) - {"who", "repo", "repos", "action", "actions", "request"})
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}")
        who = query.get("who")
        parse_who(who, f"{where}.who")
        repos = _as_list(query, "repo", "repos", where)
        actions = _as_list(query, "action", "actions", where, default=ACTIONS)
        _check_actions(actions, where)
        request = query.get("request")
        request_attributes(request, f"{where}.request")
        for repo in repos:
            for action in actions:
                row = {"who": who, "repo": repo, "action": action}
                if request:
                    row["request"] = request
                row.update(policy.decide(who, repo, action, request))
                rows.append(row)
    return rows


def check_requirements(access_control: dict, requirements: list[dict]) -> list[str]:
    """One message per violated (who, repo, action) of requirements {who, repos, can, cannot,
    request} (request: as in a query, for CEL conditions).

    A decision that depends on CEL conditions cannot be proven here, so it violates both
    `can` and `cannot` (with a message saying so).
    """
    policy = LoadedPolicy(access_control)
    violations = []
    for index, requirement in enumerate(requirements or []):
        where = f"require[{index}]"
        if not isinstance(requirement, dict):
            raise ValueError(f"{where}: must be a dict with who, repos, can and/or cannot")
        unknown = sorted(set(requirement) - {"who", "repos", "can", "cannot", "request"})
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}")
        who = parse_who(requirement.get("who"), f"{where}.who")
        request = requirement.get("request")
        request_attributes(request, f"{where}.request")
        repos = _as_list(requirement, "repo", "repos", where)
        expectations = []
        for key, expected in (("can", True), ("cannot", False)):
            actions = requirement.get(key) or []
            if not isinstance(actions, list):
                raise ValueError(f"{where}.{key}: must be a list of actions")
            _check_actions(actions, f"{where}.{key}")
            expectations += [(action, expected) for action in actions]
        if not expectations:
            raise ValueError(f"{where}: needs at least one action in can or cannot")
        for repo in repos:
            for action, expected in expectations:
                decision = policy.decide(requirement["who"], repo, action, request)
                message = _violation(where, who, repo, action, expected, decision)
                if message:
                    violations.append(message)
    return violations


def _violation(where, who, repo, action, expected, decision) -> str | None:
    subject = describe_who(who)
    verb = "must be able to" if expected else "must not be able to"
    context = f"glob: {decision['matched_pattern'] or 'none'}"
    if decision["conditional"]:
        return (
            f'{where}: {subject} {verb} {action} "{repo}", but the answer depends on CEL '
            f"condition(s) {decision['conditions']} that cannot be checked here ({context})"
        )
    if decision["allowed"] == expected:
        return None
    if expected:
        return (
            f'{where}: {subject} {verb} {action} "{repo}", but zot answers {decision["status"]} ({context})'
        )
    return f'{where}: {subject} {verb} {action} "{repo}", but {decision["granted_by"]} allows it ({context})'


# --------------------------------------------------------------------------- summary


def _summary_identities(access_control: dict) -> list[tuple[str, dict]]:
    users, groups = set(), set()
    for policy_group in (access_control.get("repositories") or {}).values():
        for policy in (policy_group or {}).get("policies") or []:
            users.update(policy.get("users") or [])
            groups.update(policy.get("groups") or [])
    admin = access_control.get("adminPolicy") or {}
    users.update(admin.get("users") or [])
    groups.update(admin.get("groups") or [])
    defined = access_control.get("groups") or {}
    for group in defined.values():
        users.update((group or {}).get("users") or [])
    identities = [
        ("anonymous", {"anonymous": True}),
        ("authenticated", {"user": OTHER_USER}),
    ]
    identities += [(f"user {u}", {"user": u}) for u in sorted(users)]
    # Groups nobody local belongs to come from an IdP (OIDC/LDAP): show a member of each.
    identities += [
        (f"group {g}", {"user": f"(member of {g})", "groups": [g], "oidc": True})
        for g in sorted(groups - set(defined))
    ]
    return identities


def _unmatched_repo(policy: LoadedPolicy) -> str | None:
    for candidate in ("unmatched", "zz-unmatched/repo", "0/1/2/3"):
        if policy.longest_match(candidate)[0] is None:
            return candidate
    return None


def _condition_messages_by_expression(access_control: dict) -> dict[str, str]:
    """expression -> its message, for every condition that has one."""
    return {
        condition["expression"]: condition["message"]
        for _parts, conditions in _condition_lists(access_control)
        for condition in conditions
        if isinstance(condition, dict) and condition.get("message")
    }


def summarize(access_control: dict) -> list[dict]:
    """Who can do what: one row per (glob, identity) plus a row per identity for a repository
    matching no glob. Rows: pattern, example_repo, who, allowed, denied, conditional and
    conditions ({action: what each conditional action depends on: the conditions' messages,
    such as the zot role's tag rules, else their expressions})."""
    access_control = normalise(canonical_access_control(access_control))
    policy = LoadedPolicy(access_control)
    messages = _condition_messages_by_expression(access_control)
    targets = []
    for pattern in sorted(access_control.get("repositories") or {}):
        try:
            targets.append((pattern, example_name(pattern)))
        except GlobError:
            continue
    unmatched = _unmatched_repo(policy)
    if unmatched:
        targets.append((None, unmatched))
    rows = []
    for pattern, repo in targets:
        for label, who in _summary_identities(access_control):
            row = {"pattern": pattern, "example_repo": repo, "who": label}
            row.update({"allowed": [], "denied": [], "conditional": [], "conditions": {}})
            for action in ACTIONS:
                decision = policy.decide(who, repo, action)
                if decision["conditional"]:
                    row["conditional"].append(action)
                    reasons = [messages.get(expression, expression) for expression in decision["conditions"]]
                    row["conditions"][action] = list(dict.fromkeys(reasons))
                else:
                    row["allowed" if decision["allowed"] else "denied"].append(action)
            rows.append(row)
    return rows


# --------------------------------------------------------------------------- validation


def auth_methods_from_config(config: dict) -> set[str]:
    """Authentication methods a zot config enables (pkg/api/config: Is*AuthEnabled)."""
    http = (config or {}).get("http") or {}
    auth = http.get("auth") or {}
    tls = http.get("tls") or {}
    methods = set()
    if (auth.get("htpasswd") or {}).get("path"):
        methods.add("htpasswd")
    if auth.get("ldap"):
        methods.add("ldap")
    providers = ((auth.get("openid") or {}).get("providers")) or {}
    if any(p in ("oidc", "google", "gitlab", "github") for p in providers):
        methods.add("openid")
    if auth.get("apikey"):
        methods.add("apikey")
    bearer = auth.get("bearer") or {}
    # Only traditional bearer bypasses accessControl; OIDC workload-identity bearer uses it.
    if (
        bearer.get("realm")
        and bearer.get("service")
        and (bearer.get("cert") or bearer.get("awsSecretsManager"))
    ):
        methods.add("bearer")
    elif any((o or {}).get("issuer") and (o or {}).get("audiences") for o in bearer.get("oidc") or []):
        methods.add("bearer_oidc")
    if tls.get("cert") and tls.get("key") and tls.get("cacert"):
        methods.add("mtls")
    return methods


def parse_version(text: str) -> tuple[int, int, int]:
    match = re.fullmatch(r"v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?", str(text).strip())
    if not match:
        raise ValueError(f'zot_version: cannot parse "{text}" (expected e.g. v2.1.20)')
    return tuple(int(part) for part in match.groups())


def _policy_lists(access_control: dict):
    """Every action list with its path parts and the actions defaultPolicy adds to it.

    Yields (path_parts, actions, also_granted, kind) where kind is policy, defaultPolicy,
    anonymousPolicy or adminPolicy.
    """
    for pattern, policy_group in sorted((access_control.get("repositories") or {}).items()):
        policy_group = policy_group or {}
        default = list(policy_group.get("defaultPolicy") or [])
        for index, policy in enumerate(policy_group.get("policies") or []):
            yield (
                ("repositories", pattern, "policies", index, "actions"),
                list(policy.get("actions") or []),
                default,
                "policy",
            )
        for key in ("defaultPolicy", "anonymousPolicy"):
            if key in policy_group:
                yield (
                    ("repositories", pattern, key),
                    list(policy_group[key] or []),
                    [],
                    key,
                )
    if "adminPolicy" in access_control:
        admin = access_control.get("adminPolicy") or {}
        yield (
            ("adminPolicy", "actions"),
            list(admin.get("actions") or []),
            [],
            "adminPolicy",
        )


_NEEDS = {"update": ("read", "create"), "create": ("read",), "delete": ("read",)}
_WHY = {
    "read": "clients HEAD/GET blobs and manifests before writing or deleting",
    "create": "blob uploads of a re-push are checked as create",
}


def _grant_paths(access_control: dict, pattern, who: dict, groups: list[str]) -> dict[str, tuple]:
    """action -> JSON path parts of the first entry granting it to `who` under `pattern`
    (None: no glob applies), in zot's order; conditional grants count as granted."""
    paths = {}
    if pattern is not None:
        group = access_control["repositories"][pattern] or {}
        for index, policy in enumerate(group.get("policies") or []):
            named = who["user"] in (policy.get("users") or [])
            member = any(g in groups for g in policy.get("groups") or [])
            if named or member:
                for action in policy.get("actions") or []:
                    paths.setdefault(action, ("repositories", pattern, "policies", index, "actions"))
        key = "anonymousPolicy" if who["anonymous"] else "defaultPolicy"
        for action in group.get(key) or []:
            paths.setdefault(action, ("repositories", pattern, key))
    if _is_admin(access_control, who, groups):
        for action in (access_control.get("adminPolicy") or {}).get("actions") or []:
            paths.setdefault(action, ("adminPolicy", "actions"))
    return paths


def _identities_under(access_control: dict, pattern, members: dict, admins: list) -> list[tuple[dict, bool]]:
    """The identities whose rights under `pattern` can differ: anonymous, any other user,
    the users and group members its entries name, and the admins (everyone else holds what
    "any other user" holds). IdP-group members (no local member) are not known (False)."""
    identities = [({"anonymous": True}, True), ({"user": OTHER_USER}, True)]
    users, groups = set(admins), set()
    if pattern is not None:
        for policy in (access_control["repositories"][pattern] or {}).get("policies") or []:
            users.update(policy.get("users") or [])
            groups.update(policy.get("groups") or [])
    for group in groups:
        users.update(members.get(group, ()))
    identities += [({"user": user}, True) for user in sorted(users) if user]
    identities += [
        ({"user": f"(a member of {g})", "groups": [g], "oidc": True}, False)
        for g in sorted(groups)
        if g not in members
    ]
    return identities


def _prerequisite_messages(access_control: dict) -> tuple[list[str], list[str]]:
    """A write without the actions clients need first, judged per identity on everything
    zot combines for it (entries of the applying glob, defaultPolicy/anonymousPolicy,
    adminPolicy), not per entry: a user reading through defaultPolicy may create through a
    group entry. Errors for known identities, warnings for IdP-group members."""
    errors, warnings = [], []
    seen = set()
    policy = LoadedPolicy(access_control)
    members = {}
    for name, group in (policy.access_control.get("groups") or {}).items():
        members[name] = [u for u in ((group or {}).get("users") or []) if isinstance(u, str)]
    admin = access_control.get("adminPolicy") or {}
    admins = list(admin.get("users") or [])
    for group in admin.get("groups") or []:
        admins += members.get(group, [])
    patterns = [p for p in sorted(access_control.get("repositories") or {}) if not p or is_valid_glob(p)]
    if "" not in patterns:
        patterns.append(None)  # repositories no glob matches
    # The same identities recur under every glob (anonymous, any other user, admins).
    identities = {}
    for pattern in patterns:
        for who, known in _identities_under(access_control, pattern, members, admins):
            key = (who.get("anonymous"), who.get("user"), tuple(who.get("groups", ())))
            if key not in identities:
                parsed = parse_who(who, "who")
                identities[key] = parsed, policy.effective_groups(parsed)
            parsed, groups = identities[key]
            if parsed["anonymous"] and not policy.anonymous_allowed():
                continue
            paths = _grant_paths(access_control, pattern, parsed, groups)
            for action in ACTIONS:
                if action not in paths:
                    continue
                for needed in _NEEDS.get(action, ()):
                    if needed in paths or (paths[action], action, needed) in seen:
                        continue
                    seen.add((paths[action], action, needed))
                    message = (
                        f'{json_path(*paths[action])}: "{action}" without "{needed}" for '
                        f"{describe_who(parsed)} ({_WHY[needed]})"
                    )
                    (errors if known else warnings).append(message)
    return errors, warnings


def _only_anonymous(access_control: dict) -> bool:
    """zot verify accepts accessControl without authentication only for anonymous-only
    policies (ContainsOnlyAnonymousPolicy / ContainsOnlyMetricsAnonymousPolicy)."""
    admin = access_control.get("adminPolicy") or {}
    repositories = (access_control.get("repositories") or {}).values()
    if admin.get("actions") or admin.get("users"):
        return False
    anonymous = False
    for policy_group in repositories:
        policy_group = policy_group or {}
        if policy_group.get("defaultPolicy"):
            return False
        if any(p.get("actions") or p.get("users") for p in policy_group.get("policies") or []):
            return False
        anonymous = anonymous or bool(policy_group.get("anonymousPolicy"))
    if anonymous:
        return True
    metrics_only = not access_control.get("repositories") and not access_control.get("groups")
    metrics = access_control.get("metrics") or {}
    return metrics_only and not admin.get("groups") and "read" in (metrics.get("anonymousPolicy") or [])


# zot reads its config through viper with this key delimiter (pkg/cli/server/root.go).
CONFIG_KEY_DELIMITER = "::"


def _key_delimiter_messages(access_control: dict, refused: list[str]) -> list[str]:
    """Glob and group names zot's config reader splits: "a::b/**" becomes the key "a" holding
    "b/**", which zot's decoder refuses ("has invalid keys"), so zot does not start."""
    errors = []
    for container in ("repositories", "groups"):
        for name in sorted(access_control.get(container) or {}):
            if CONFIG_KEY_DELIMITER in name:
                errors.append(
                    f'{json_path(container, name)}: zot reads its config with "{CONFIG_KEY_DELIMITER}" '
                    "as the key separator, so it splits this name and refuses the config at start"
                )
                refused.append(errors[-1])
    return errors


def _key_case_messages(access_control: dict) -> tuple[list[str], list[str]]:
    errors, warnings = [], []
    for container in ("repositories", "groups"):
        names = list((access_control.get(container) or {}).keys())
        by_lower = {}
        for name in names:
            by_lower.setdefault(name.lower(), []).append(name)
        for name in sorted(names):
            lowered = name.lower()
            if lowered == name and len(by_lower[lowered]) == 1:
                continue  # nothing to say; most names
            path = json_path(container, name)
            if len(by_lower[lowered]) > 1:
                others = [n for n in by_lower[lowered] if n != name]
                errors.append(
                    f'{path}: zot lowercases map keys, so this collides with "{others[0]}" '
                    "and only one of them survives loading"
                )
            elif lowered != name and container == "groups":
                errors.append(
                    f'{path}: zot lowercases group names, so this group is loaded as "{lowered}" '
                    f'and policies naming "{name}" never match it; write "{lowered}"'
                )
            elif lowered != name:
                warnings.append(
                    f'{path}: zot lowercases globs and loads this as "{lowered}" (repository '
                    "names are lowercase anyway); write it in lowercase"
                )
    return errors, warnings


def _glob_messages(access_control: dict, refused: list[str]) -> list[str]:
    errors = []
    patterns = sorted((access_control.get("repositories") or {}).keys())
    valid = []
    for pattern in patterns:
        path = json_path("repositories", pattern)
        if not access_control["repositories"][pattern]:
            errors.append(
                f"{path}: an empty body is dropped when zot loads its config, so this glob does "
                "not exist for zot and shorter globs apply to its repositories; to deny "
                "everyone, give it an empty list, e.g. defaultPolicy: []"
            )
            continue
        if not pattern:
            continue  # the catch-all for repositories no other glob matches
        if not is_valid_glob(pattern):
            errors.append(
                f"{path}: invalid glob (unclosed [ or {{, stray }}, or a trailing \\); zot refuses to start"
            )
            refused.append(errors[-1])
        elif pattern.startswith("/"):
            errors.append(f'{path}: a leading "/" never matches (repository names have none)')
        else:
            valid.append(pattern)
    lowered = sorted({p.lower() for p in valid})
    # Only globs of the same length compete; search each length's globs for overlaps.
    by_length = {}
    for pattern in lowered:
        by_length.setdefault(_byte_length(pattern), []).append(pattern)
    overlaps = [pair for patterns in by_length.values() for pair in overlapping_pairs(patterns)]
    position = {pattern: index for index, pattern in enumerate(lowered)}
    for first, second, witness in sorted(overlaps, key=lambda o: (position[o[0]], position[o[1]])):
        errors.append(
            f'{json_path("repositories", first)}: overlaps "{second}" with the same '
            f'length ({_byte_length(first)}): for a repository such as "{witness}" '
            "zot picks either policy at random; make one glob longer or disjoint"
        )
    return errors


# Identity sources that can put a caller in a group accessControl.groups does not define.
GROUP_SOURCES = frozenset({"ldap", "openid", "bearer_oidc"})


def _group_reference_messages(
    access_control: dict, auth_methods: set[str] | None
) -> tuple[list[str], list[str]]:
    """A group no policy-independent source can fill never grants anything: an error when
    the enabled methods are known and none of them sends groups (LDAP, OpenID), else a
    warning."""
    errors, warnings = [], []
    unfillable = auth_methods is not None and not (set(auth_methods) & GROUP_SOURCES)
    # The names zot holds after loading.
    defined_lower = {name.lower() for name in (access_control.get("groups") or {})}
    references = []
    for pattern, policy_group in sorted((access_control.get("repositories") or {}).items()):
        for index, policy in enumerate((policy_group or {}).get("policies") or []):
            for position, group in enumerate(policy.get("groups") or []):
                path = json_path("repositories", pattern, "policies", index, "groups", position)
                references.append((path, group))
    for position, group in enumerate((access_control.get("adminPolicy") or {}).get("groups") or []):
        references.append((json_path("adminPolicy", "groups", position), group))
    for path, group in references:
        if group in defined_lower:
            continue
        if group.lower() in defined_lower:
            errors.append(
                f'{path}: group "{group}" never matches: zot loads accessControl.groups keys '
                f'in lowercase ("{group.lower()}")'
            )
        elif unfillable:
            errors.append(
                f'{path}: group "{group}" has no members: it is not in accessControl.groups (no '
                "local user lists it) and no LDAP or OpenID login is configured to send it; add "
                "the group to a user's groups or correct the name"
            )
        else:
            warnings.append(
                f'{path}: group "{group}" is not defined in accessControl.groups; only users '
                "whose IdP (OIDC groups claim) or LDAP sends it get it"
            )
    return errors, warnings


def _immutability_messages(access_control: dict, zot_version: str) -> list[str]:
    version = parse_version(zot_version)
    if version >= IMMUTABLE_TAGS_MIN_VERSION:
        return []
    errors = []
    for parts, actions, also_granted, kind in _policy_lists(access_control):
        if kind == "adminPolicy" or "create" not in actions:
            continue
        if "update" in actions or "update" in also_granted:
            continue
        path = json_path(*parts)
        extra = ""
        if version < (2, 1, 15):
            extra = ', and before v2.1.15 a create-only user could overwrite "latest"'
        errors.append(
            f"{path}: grants create without update, but zot {zot_version} does not keep such "
            "tags immutable: before v2.1.19 a manifest PUT by digest with several ?tag= "
            f"values moved existing tags without checking update{extra}; use zot >= v2.1.19"
        )
    return errors


def validate_access_control(
    access_control: dict,
    *,
    auth_methods: set[str] | None = None,
    zot_version: str | None = None,
    local_users: set[str] | None = None,
    metrics_enabled: bool | None = None,
) -> tuple[list[str], list[str]]:
    """Return (errors, warnings) for an accessControl value; each starts with a JSON path.

    auth_methods: enabled authentication methods (see auth_methods_from_config); None skips
    the check. zot_version: the deployed zot release; None skips the version check.
    local_users: htpasswd users; when given, users named in policies but absent are warned
    about. metrics_enabled: whether the metrics extension is on; None skips that check.
    """
    audit = audit_access_control(
        access_control,
        auth_methods=auth_methods,
        zot_version=zot_version,
        local_users=local_users,
        metrics_enabled=metrics_enabled,
    )
    return audit["errors"], audit["warnings"]


def audit_access_control(access_control: dict, **options) -> dict:
    """`validate_access_control` (same options), as a dict: errors (zot refuses the policy, or
    it cannot mean what it says), warnings (style, lint), and `refused`: the errors for which
    zot refuses the config at start, or ignores accessControl entirely (traditional bearer
    auth). Decisions mean what zot does exactly when `refused` is empty."""
    from ansible_collections.zotops.registry.plugins.module_utils._policy.schema import (
        schema_errors,
    )

    if not isinstance(access_control, dict):
        message = "accessControl: must be a dict"
        return {"errors": [message], "refused": [message], "warnings": []}
    # zot matches field names case-insensitively (`defaultpolicy` is `defaultPolicy`).
    access_control = canonical_access_control(access_control)
    errors = schema_errors(access_control)
    if errors:
        # Semantic checks assume the structure; report structure first.
        return {"errors": errors, "refused": list(errors), "warnings": []}
    refused = []
    errors, warnings = _semantic_messages(access_control, refused, **options)
    return {"errors": errors, "refused": refused, "warnings": warnings}


def _semantic_messages(
    access_control: dict,
    refused: list[str],
    *,
    auth_methods: set[str] | None = None,
    zot_version: str | None = None,
    local_users: set[str] | None = None,
    metrics_enabled: bool | None = None,
) -> tuple[list[str], list[str]]:
    errors, warnings = [], []

    errors += _key_delimiter_messages(access_control, refused)
    key_errors, key_warnings = _key_case_messages(access_control)
    errors += key_errors
    warnings += key_warnings
    errors += _glob_messages(access_control, refused)

    for parts, actions, _also_granted, kind in _policy_lists(access_control):
        for position, action in enumerate(actions):
            if action not in KNOWN_ACTIONS:
                errors.append(
                    f'{json_path(*parts, position)}: unknown action "{action}" '
                    f"(allowed: {', '.join(ACTIONS)}); zot silently ignores it"
                )
        if kind == "anonymousPolicy":
            for position, action in enumerate(actions):
                if action != "read" and action in KNOWN_ACTIONS:
                    warnings.append(
                        f'{json_path(*parts, position)}: anonymous callers may "{action}": '
                        "anyone who can reach the registry can change it"
                    )

    prerequisite_errors, prerequisite_warnings = _prerequisite_messages(access_control)
    errors += prerequisite_errors
    warnings += prerequisite_warnings

    group_errors, group_warnings = _group_reference_messages(access_control, auth_methods)
    errors += group_errors
    warnings += group_warnings

    for pattern, policy_group in sorted((access_control.get("repositories") or {}).items()):
        for index, policy in enumerate((policy_group or {}).get("policies") or []):
            if local_users is not None:
                for position, user in enumerate(policy.get("users") or []):
                    if user not in local_users:
                        warnings.append(
                            f"{json_path('repositories', pattern, 'policies', index, 'users', position)}: "
                            f'"{user}" is not a local (htpasswd) user'
                        )

    if auth_methods is not None and "bearer" in auth_methods:
        errors.append(
            "accessControl: http.auth.bearer (token authentication with a cert or AWS Secrets "
            "Manager, realm and service) bypasses accessControl entirely: zot authorizes from the "
            "token's access claims, and bearer mode also turns off htpasswd, LDAP, API keys and "
            "anonymous access; this policy decides nothing"
        )
        refused.append(errors[-1])
    if auth_methods is not None and not auth_methods and not _only_anonymous(access_control):
        errors.append(
            "accessControl: grants authenticated access but no authentication method is "
            "enabled (htpasswd, ldap, openid, apikey, bearer or mTLS); zot verify refuses it"
        )
        refused.append(errors[-1])

    errors += _condition_messages(access_control, zot_version, refused)
    errors += _metrics_errors(access_control)
    warnings += _metrics_warnings(access_control, metrics_enabled)

    if zot_version is not None:
        try:
            errors += _immutability_messages(access_control, zot_version)
        except ValueError as exc:
            errors.append(str(exc))
    return errors, warnings


def _condition_lists(access_control: dict):
    """(path parts, conditions) of every policy entry with CEL conditions."""
    for pattern, policy_group in sorted((access_control.get("repositories") or {}).items()):
        for index, policy in enumerate((policy_group or {}).get("policies") or []):
            if policy.get("conditions"):
                yield ("repositories", pattern, "policies", index, "conditions"), policy["conditions"]
    admin = access_control.get("adminPolicy") or {}
    if admin.get("conditions"):
        yield ("adminPolicy", "conditions"), admin["conditions"]


def _condition_messages(access_control: dict, zot_version: str | None, refused: list[str]) -> list[str]:
    """What zot refuses at start (CompileAccessControl), and conditions that can never hold."""
    errors = []
    old_release = False
    if zot_version is not None:
        try:
            old_release = parse_version(zot_version) < CEL_MIN_VERSION
        except ValueError:
            pass  # reported by the version check
    for parts, conditions in _condition_lists(access_control):
        if old_release:
            errors.append(
                f"{json_path(*parts)}: zot {zot_version} ignores conditions (read since "
                f"v{'.'.join(map(str, CEL_MIN_VERSION))}), so this entry grants unconditionally"
            )
        for position, condition in enumerate(conditions):
            path = json_path(*parts, position)
            expression = condition["expression"]
            try:
                error = compile_error(expression)
            except CelUnavailable as exc:
                errors.append(f"{path}: cannot be checked: {exc}")
                continue
            if error:
                errors.append(f"{path}: zot refuses to start, the CEL expression does not compile: {error}")
                refused.append(errors[-1])
            elif result_type(expression) not in ("BOOL", "DYN"):
                errors.append(
                    f"{path}: the CEL expression yields {result_type(expression).lower()}, not bool: "
                    "zot starts, but its evaluation always fails, so this entry never grants"
                )
    return errors


def _metrics_errors(access_control: dict) -> list[str]:
    metrics = access_control.get("metrics") or {}
    return [
        f'{json_path("metrics", "anonymousPolicy", position)}: unknown action "{action}" '
        f"(allowed: {', '.join(ACTIONS)})"
        for position, action in enumerate(metrics.get("anonymousPolicy") or [])
        if action not in KNOWN_ACTIONS
    ]


def _metrics_warnings(access_control: dict, metrics_enabled: bool | None) -> list[str]:
    warnings = []
    metrics = access_control.get("metrics")
    if metrics is None:
        if metrics_enabled:
            warnings.append(
                "accessControl.metrics: the metrics extension is enabled but no scraper can "
                "read it (add metrics.users or metrics.anonymousPolicy: [read])"
            )
        return warnings
    if not (metrics or {}).get("users") and not (metrics or {}).get("anonymousPolicy"):
        warnings.append(
            "accessControl.metrics: neither users nor anonymousPolicy is set, so nobody can "
            "read metrics (admins and groups are not implied)"
        )
    for position, action in enumerate((metrics or {}).get("anonymousPolicy") or []):
        if action != "read" and action in KNOWN_ACTIONS:
            warnings.append(
                f'{json_path("metrics", "anonymousPolicy", position)}: only "read" means '
                f'anything for metrics; "{action}" is ignored'
            )
    return warnings
