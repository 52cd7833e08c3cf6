# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""What the verification identities must be able to do, whatever the policy says.

A policy that zot enforces exactly can still be the wrong policy: a typo that leaves CI out
of its group takes CI's push away, and a checklist that expects "refused, because the policy
says so" passes. The intent below is the operator's, stated once: CI (the pusher) pushes
new tags where the checklist pushes and cannot move a write-once tag there; the admin can
delete (break-glass); the bystander (a logged-in identity in no group) writes nothing;
anonymous callers read where the declared policy lets them. The preflight asserts it on the
policy the role renders (``intent_violations``); the checklist asserts the pusher's push and
the admin's delete on the running registry, giving ``WHY`` as the reason.
"""

from ansible_collections.zotops.registry.plugins.module_utils._policy.engine import (
    LoadedPolicy,
    check_requirements,
)
from ansible_collections.zotops.registry.plugins.module_utils._policy.glob_overlap import (
    example_name,
)
from ansible_collections.zotops.registry.plugins.module_utils._policy.tag_rules import probe_tags

# Where the checklist pushes unless told otherwise (zot_registry_check's `repository`).
CHECKLIST_REPOSITORY = "zotops/registry-check"
# The tags the preflight asks about; the checklist's own tags look the same.
TAG_FILLER = "zotops-check-intent"
NEW_TAG = TAG_FILLER + "-new"
# The intent, per identity: (actions it must keep, actions it must never get).
PUSHER_PUSHES = ("read", "create")
PUSHER_NEVER_MOVES = ("update",)
ADMIN_DELETES = ("delete",)
BYSTANDER_NEVER_WRITES = ("create", "update", "delete")
# Why each identity needs it, for the one-line refusal.
WHY = {
    "pusher": "CI pushes new tags",
    "pusher-write-once": "a write-once tag must stay where it is",
    "admin": "the admin's break-glass delete",
    "bystander": "an identity in no group must not write",
    "anonymous": "the declared policy lets anonymous callers read it",
}


def who_of(account, local_users, oidc=False):
    """The engine's view of a verification identity ({username, groups}).

    A local (htpasswd) user's groups are the ones zot gets from accessControl.groups, which
    the role builds from zot_htpasswd_users: the account's own list is ignored, so a typo
    there cannot hide a user who lost its group. Anyone else (LDAP, OpenID) has the groups
    the account declares (the IdP sends them); ``oidc``: such users are OpenID users, to
    whom accessControl.groups does not apply."""
    name = account["username"]
    if name in (local_users or ()):
        return {"user": name}
    who = {"user": name, "groups": list(account.get("groups") or [])}
    if oidc:
        who["oidc"] = True
    return who


def write_once_tag(policy, repository, tag_rules):
    """A tag the tag rules keep write-once for CI in ``repository`` (None when the rule that
    applies there lets CI move every tag)."""
    glob = policy.longest_match(repository)[0]
    rule = next((rule for rule in tag_rules or [] if rule.get("repositories") == glob), None)
    if rule is None:
        return TAG_FILLER + "-v1"
    return probe_tags(rule, TAG_FILLER)["write_once"]


def anonymous_read_repositories(declared):
    """A repository name for each glob whose declared anonymousPolicy has read."""
    repositories = (declared or {}).get("repositories") or {}
    names = []
    for glob, group in sorted(repositories.items()):
        if "read" in ((group or {}).get("anonymousPolicy") or []):
            name = example_name(glob)
            if name:
                names.append(name)
    return names


def intent_requirements(access_control, intent):
    """[(label, requirement)] for the identities in ``intent`` (zot_access_policy's
    `intent` option: pusher, admin, bystander, local_users, oidc, repository, request,
    tag_rules, declared). The label names the identity and why it needs the right."""
    policy = LoadedPolicy(access_control)
    repository = intent.get("repository") or CHECKLIST_REPOSITORY
    request = dict(intent.get("request") or {})
    local_users, oidc = intent.get("local_users") or [], bool(intent.get("oidc"))
    accounts = {
        name: intent[name]
        for name in ("pusher", "admin", "bystander")
        if (intent.get(name) or {}).get("username")
    }
    who = {name: who_of(account, local_users, oidc) for name, account in accounts.items() if account}
    requirements = []

    def add(kind, name, requirement):
        label = (
            "%s (%s, %s)" % (_label(intent, name), accounts[name]["username"], WHY[kind])
            if name
            else WHY[kind]
        )
        requirements.append((label, requirement))

    if "pusher" in who:
        add(
            "pusher",
            "pusher",
            _requirement(who["pusher"], repository, dict(request, tag=NEW_TAG), can=PUSHER_PUSHES),
        )
        tag = write_once_tag(policy, repository, intent.get("tag_rules"))
        if tag:
            add(
                "pusher-write-once",
                "pusher",
                _requirement(who["pusher"], repository, dict(request, tag=tag), cannot=PUSHER_NEVER_MOVES),
            )
    if "admin" in who:
        add("admin", "admin", _requirement(who["admin"], repository, request, can=ADMIN_DELETES))
    if "bystander" in who:
        add(
            "bystander",
            "bystander",
            _requirement(who["bystander"], repository, request, cannot=BYSTANDER_NEVER_WRITES),
        )
    for name in anonymous_read_repositories(intent.get("declared")):
        add("anonymous", None, _requirement({"anonymous": True}, name, request, can=("read",)))
    return requirements


def _label(intent, name):
    return (intent.get("labels") or {}).get(name) or name


def _requirement(who, repository, request, can=(), cannot=()):
    requirement = {"who": who, "repos": [repository], "can": list(can), "cannot": list(cannot)}
    if request:
        requirement["request"] = request
    return requirement


def intent_violations(access_control, intent):
    """One line per right a verification identity lost (or gained against the intent)."""
    violations = []
    for label, requirement in intent_requirements(access_control, intent):
        for message in check_requirements(access_control, [requirement]):
            # check_requirements names the requirement by its index; name the identity instead.
            violations.append("%s: %s" % (label, message.split(": ", 1)[1]))
    return violations
