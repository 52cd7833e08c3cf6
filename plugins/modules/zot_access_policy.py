# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Documentation only: the work is done on the controller by the action plugin of the same
# name (plugins/action/zot_access_policy.py), the pattern ansible.builtin.template uses.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: zot_access_policy
short_description: Validate a zot access policy, answer who-can-do-what, assert requirements
version_added: "0.1.0"
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
description:
  - Checks a zot v2.1.20 C(http.accessControl) value the way zot itself reads it, and
    predicts zot's answer to any (identity, repository, action), so that the intended policy
    can be asserted before it is deployed and compared with the running registry afterwards.
  - Structure is checked against a JSON Schema shipped with the collection; semantic checks
    include unknown action names (zot silently ignores them), C(update) without C(read) and
    C(create), C(create)/C(delete) without C(read), invalid globs, globs with a leading
    C(/), overlapping globs of equal length (zot then picks a policy at random), undefined
    or upper-case group names (zot lowercases map keys), access control without an
    authentication method, anonymous write access, unreadable metrics, and zot releases
    older than v2.1.19 that do not keep create-only tags immutable.
  - "CEL C(conditions) of policy entries and C(adminPolicy) (zot >= v2.1.17) are compiled as
    zot compiles them at start (one variable C(req) of type map(string, dyn), the strings,
    sets, encoders and optional-types extensions); an expression zot refuses is an error
    naming its JSON path, for example
    C(accessControl.repositories[\"**\"].policies[1].conditions[0])."
  - "Decisions follow zot's rules: only the single longest matching glob applies (no
    fallback to shorter globs); inside it a user or group entry, else C(defaultPolicy) for
    authenticated callers, else C(anonymousPolicy) for anonymous callers; then
    C(adminPolicy). A repository matching no glob is admin-only. Denied anonymous callers
    get HTTP 401, denied authenticated callers 403. An entry with CEL conditions grants
    only when all of them are true for the request (see O(queries[].request))."
  - "C(update) is the action for overwriting an existing tag (a manifest PUT to a tag that
    exists, even with the same digest); pushing a new tag is C(create). Whether a tag
    exists is the caller's concern: query C(update) for a re-push."
  - Audits any config zot loads - point O(path) at a running registry's C(config.json) -
    decisions, requirements and the summary are returned even when the task fails on
    errors (such as a group name that can never match), so they show what zot does with
    it; only for a config zot refuses at start, or whose accessControl it ignores, they stay
    empty (RV(refused) says why).
  - Runs on the controller and changes nothing; with O(path) the file is read from the
    managed host.
author:
  - zotops maintainers (@zotops)
requirements:
  - On the controller, the Python packages C(jsonschema) and, for policies with CEL
    conditions, C(cel-expr-python==0.1.3) (both pinned in the collection's requirements.txt);
    without the latter such policies fail validation with a message saying so.
options:
  access_control:
    description:
      - The C(http.accessControl) value itself.
      - Exactly one of O(access_control), O(config) and O(path) is required.
    type: dict
  config:
    description:
      - A whole zot config (the parsed C(config.json)); its C(http.accessControl) is
        checked and O(auth_methods) and the metrics extension are derived from it.
    type: dict
  path:
    description:
      - Path of a zot C(config.json) on the managed host, read with M(ansible.builtin.slurp).
    type: path
  zot_version:
    description:
      - The zot release the policy is deployed to, for example C(v2.1.20).
      - Releases older than v2.1.19 are refused when a non-admin identity holds C(create)
        without C(update), because they let such identities move existing tags.
    type: str
  auth_methods:
    description:
      - Enabled authentication methods, for example C([htpasswd, apikey]).
      - Derived from C(http.auth) (and C(http.tls) for mTLS) when O(config) or O(path) is
        given; when omitted with O(access_control) the check is skipped.
    type: list
    elements: str
    choices: [htpasswd, ldap, openid, apikey, bearer, mtls]
  queries:
    description:
      - Questions to answer; each gives O(queries[].who), one O(queries[].repo) or a list
        O(queries[].repos), and one O(queries[].action) or a list O(queries[].actions)
        (default all four actions).
      - One row per (who, repository, action) is returned in RV(decisions).
    type: list
    elements: dict
    default: []
    suboptions:
      who:
        description:
          - 'V({"anonymous": true}), or V({"user": NAME, "groups": [...]}).'
          - "A local (htpasswd, LDAP, mTLS) user also gets every C(accessControl.groups) entry
            listing it; add V(oidc: true) for an OIDC user, whose groups come only from
            the IdP (give them in C(groups))."
          - "For a request with an API key or a UI session, zot uses the groups it stored
            for the owner at their last login, not C(accessControl.groups) as it is now:
            give them as V(login_groups: [...]) (a user removed from the CI group keeps
            pushing with an existing key until it is revoked)."
        type: dict
        required: true
      repo:
        description: One repository name.
        type: str
      repos:
        description: Several repository names.
        type: list
        elements: str
      action:
        description: One action.
        type: str
        choices: [read, create, update, delete]
      actions:
        description: Several actions.
        type: list
        elements: str
        choices: [read, create, update, delete]
      request:
        description:
          - "What else is known of the request, for CEL conditions (C(req.*)); the action,
            repository, user, groups and admin status always are. Keys:
            C(reference) (a tag or digest; zot calls one containing C(:) a digest, and an
            empty one is a route without reference such as a blob upload) or C(tag) or
            C(digest); C(method); C(user_agent); C(client_ip) and C(forwarded_for) (a list;
            default none); C(tls) (bool) and C(tls_version); C(time) (RFC 3339, for
            example C(2026-01-31T12:00:00Z)); C(claims) (a dict)."
          - A decision whose conditions read an attribute not given is returned as
            conditional (RV(decisions[].conditional)) with the expressions.
        type: dict
  require:
    description:
      - Requirements the policy must meet; the task fails listing every violated
        (who, repository, action).
      - A decision that depends on CEL C(conditions) reading request attributes (tag, client
        address, time, ...) not given in O(require[].request) cannot be proven and counts as
        violated.
    type: list
    elements: dict
    default: []
    suboptions:
      who:
        description: The identity, as in O(queries[].who).
        type: dict
        required: true
      repos:
        description: Repository names the requirement is about.
        type: list
        elements: str
        required: true
      can:
        description: Actions the identity must be allowed.
        type: list
        elements: str
        default: []
        choices: [read, create, update, delete]
      cannot:
        description: Actions the identity must be denied.
        type: list
        elements: str
        default: []
        choices: [read, create, update, delete]
      request:
        description:
          - "What else is known of the request, as O(queries[].request), for example
            V({\"tag\": \"v1.2.3\"}) to require that CI cannot move a version tag."
        type: dict
  intent:
    description:
      - "The verification identities whose rights the policy must keep, whatever it says
        (the zot role passes its C(zot_verify_*) identities): O(intent.pusher) must be able to
        read and create a new tag in O(intent.repository) and must not update a write-once
        tag there (one O(intent.tag_rules) keeps write-once); O(intent.admin) must be able to
        delete there; O(intent.bystander) must not create, update or delete there; anonymous
        callers must be able to read a repository of every glob whose O(intent.declared)
        C(anonymousPolicy) has C(read)."
      - Each lost right is one line of RV(violations), naming the identity (its label and
        user name) and what it lost; the task then fails.
    type: dict
    suboptions:
      pusher:
        description:
          - "CI's identity as the checklist uses it: V({username: NAME, groups: [...]}), no
            secret; an empty C(username) leaves it out."
          - C(groups) are the groups the identity provider sends for it (LDAP, OpenID); they
            are ignored for a user in O(intent.local_users), whose groups come from
            C(accessControl.groups) alone.
        type: dict
      admin:
        description: The admin's identity, as O(intent.pusher).
        type: dict
      bystander:
        description: A logged-in identity in no group, as O(intent.pusher).
        type: dict
      labels:
        description:
          - 'How to name each identity in a violation, for example V({"pusher": "zot_verify_pusher"}).'
        type: dict
        default: {}
      local_users:
        description: The local (htpasswd) user names.
        type: list
        elements: str
        default: []
      oidc:
        description:
          - Identities that are not local users log in through OpenID (their groups come only
            from the IdP).
        type: bool
        default: false
      repository:
        description:
          - Where the checklist pushes (O(zotops.registry.zot_registry_check#module:repository)).
        type: str
        default: zotops/registry-check
      request:
        description:
          - What is known of the checklist's requests, as O(queries[].request), for example
            its C(client_ip).
        type: dict
      tag_rules:
        description: The zot role's C(zot_tag_rules), to pick a tag CI may not move.
        type: list
        elements: dict
        default: []
      declared:
        description:
          - The access policy as the operator wrote it (before the role adds to it), for the
            anonymous reads.
        type: dict
  fail_on_warnings:
    description: Fail when there are warnings, not only on errors and violated requirements.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Read-only; behaves the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: all
    description: Runs on the controller; only O(path) touches the managed host (slurp).
  action:
    support: full
    description: The work is done by an action plugin of the same name on the controller.
seealso:
  - name: zot authorization (pkg/api/authz.go)
    description: The rules this plugin encodes.
    link: https://github.com/project-zot/zot/blob/v2.1.20/pkg/api/authz.go
notes:
  - The policy engine is also importable as
    C(ansible_collections.zotops.registry.plugins.module_utils._policy.engine)
    (C(validate_access_control), C(decide), C(check_requirements), C(evaluate_queries)).
  - Group and glob names are lowercased as zot's config loader does before deciding.
"""

EXAMPLES = r"""
- name: Refuse a policy that lets CI overwrite tags or lets anyone else push
  zotops.registry.zot_access_policy:
    access_control: "{{ zot_access_control }}"
    zot_version: "{{ zot_version }}"
    auth_methods: [htpasswd, apikey]
    require:
      - who: {user: ci}
        repos: [apps/web, apps/api]
        can: [read, create]
        cannot: [update, delete]
      - who: {anonymous: true}
        repos: [apps/web]
        can: [read]
        cannot: [create, update, delete]

- name: Check the config.json deployed on the registry host
  zotops.registry.zot_access_policy:
    path: /etc/zot/config.json
    zot_version: v2.1.20
    fail_on_warnings: true

- name: Ask what an OIDC user of the release-managers group may do
  zotops.registry.zot_access_policy:
    access_control: "{{ zot_access_control }}"
    queries:
      - who: {user: jane@example.org, groups: [release-managers], oidc: true}
        repos: [apps/web]
  register: answer

- name: May CI push a release tag from the build network? (CEL conditions on tag and address)
  zotops.registry.zot_access_policy:
    access_control: "{{ zot_access_control }}"
    queries:
      - who: {user: ci}
        repo: apps/web
        action: create
        request: {tag: v1.4.0, client_ip: 10.8.0.12, method: PUT}

- name: Print the who-can-do-what table for the docs
  ansible.builtin.debug:
    msg: "{{ answer.summary }}"
"""

RETURN = r"""
errors:
  description:
    - Every error, each starting with the JSON path of the offending field - what zot
      refuses, and what zot loads but cannot mean what it says (such as an upper-case group
      name that no policy entry can match). Style and lint findings are RV(warnings).
  returned: always
  type: list
  elements: str
  sample:
    - 'accessControl.repositories["ci/**"].policies[0].actions[1]: unknown action "push"
      (allowed: read, create, update, delete); zot silently ignores it'
refused:
  description:
    - The errors for which zot refuses the config at start (structure, invalid globs, CEL
      expressions that do not compile, no authentication method) or ignores accessControl
      (traditional bearer authentication); when any, no decisions are returned.
  returned: always
  type: list
  elements: str
warnings:
  description:
    - Every warning, each starting with the JSON path of the field concerned.
    - Ansible prints these as task warnings and leaves an empty list out of the registered
      result; use RV(policy_warnings) in conditions.
  returned: when there are warnings
  type: list
  elements: str
policy_warnings:
  description: The same list as RV(warnings), always present in the registered result.
  returned: always
  type: list
  elements: str
decisions:
  description: One row per (who, repository, action) of O(queries).
  returned: always
  type: list
  elements: dict
  contains:
    who: {description: The identity as given., type: dict}
    repo: {description: The repository., type: str}
    action: {description: The action., type: str}
    request:
      description: The request attributes as given, when the query gave some.
      type: dict
    allowed:
      description: Whether zot allows it; false for a conditional answer.
      type: bool
    conditional:
      description:
        - True when the answer depends on CEL conditions reading request attributes the
          query did not give; RV(decisions[].conditions) lists them.
      type: bool
    status:
      description: HTTP status zot answers; 200 allowed, 401 anonymous denied, 403 denied.
      type: int
    matched_pattern:
      description: The single glob zot applies, null when no glob matches.
      type: str
    tied_patterns:
      description: Other globs of the same length that also match (zot picks at random).
      type: list
      elements: str
    granted_by:
      description: Which entry grants it.
      type: str
      choices: [user, group, defaultPolicy, anonymousPolicy, adminPolicy, none]
    conditions:
      description:
        - CEL expressions the answer depends on - of the granting entry, else the undecided
          ones (conditional answer), else those that were false; empty when none applied.
      type: list
      elements: str
    groups:
      description: The caller's effective groups.
      type: list
      elements: str
    reason:
      description: One sentence explaining the decision.
      type: str
  sample:
    - who: {user: ci}
      repo: apps/web
      action: update
      allowed: false
      conditional: false
      status: 403
      matched_pattern: apps/**
      tied_patterns: []
      granted_by: none
      conditions: []
      groups: [ci]
      reason: glob "apps/**" applies and does not grant update; adminPolicy does not either
violations:
  description: One message per violated (who, repository, action) of O(require).
  returned: always
  type: list
  elements: str
summary:
  description:
    - Who can do what, for documentation; one row per (glob, identity) and, for a repository
      matching no glob, one row per identity (RV(summary[].pattern) null).
    - Identities are anonymous, any other authenticated user, every user named in the policy,
      and a member of every group the policy uses but does not define (IdP groups).
  returned: always (empty when RV(refused) is not)
  type: list
  elements: dict
  contains:
    pattern: {description: The glob (null for the unmatched row)., type: str}
    example_repo: {description: A repository the row was decided for., type: str}
    who: {description: The identity's label., type: str}
    allowed: {description: Allowed actions., type: list, elements: str}
    denied: {description: Denied actions., type: list, elements: str}
    conditional: {description: Actions that depend on CEL conditions., type: list, elements: str}
    conditions:
      description:
        - For each conditional action, what it depends on - the conditions' messages (their
          expressions when they have none), for example the zot role's tag rules.
      type: dict
  sample:
    - pattern: apps/**
      example_repo: apps/x
      who: user ci
      allowed: [read, create]
      denied: [update, delete]
      conditional: []
      conditions: {}
"""
