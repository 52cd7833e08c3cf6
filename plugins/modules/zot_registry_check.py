#!/usr/bin/python
# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Ansible module: prove a running registry behaves as its access policy says."""

DOCUMENTATION = r"""
module: zot_registry_check
short_description: Verify a live zot registry against its access policy
description:
  - Runs a checklist of behavioural probes against a running registry and compares each
    answer with what the access policy O(access_control) says zot must answer. Expected
    outcomes are computed by the collection's policy engine (the same one behind
    M(zotops.registry.zot_access_policy)) from the very value the zot role renders into
    C(config.json), so a registry whose configuration drifted from that value fails.
  - "The checks, in order: C(health) (C(/livez) and C(/readyz) answer 200); C(tls) (the
    certificate verifies, https only); C(mtls) (the client certificate is accepted, only with
    O(client_cert)); C(anonymous_push) (an anonymous blob upload); C(pusher_push) (the pusher
    pushes a new tag, blobs and manifest); C(anonymous_catalog); C(anonymous_pull) (of a tag
    the admin seeded); C(pusher_overwrite) (the pusher PUTs another manifest to the seeded
    tag); C(pusher_digest_overwrite) (the pusher PUTs a manifest by digest with
    C(?tag=<seeded>&tag=<new>)); C(pusher_tag_rules) (see O(tag_rules)); C(pusher_delete);
    C(admin_delete); C(pusher_api_key) (with O(api_keys): a new API key of the pusher logs in,
    the same key revoked is refused, a key past its expiry is refused); C(anonymous_access),
    C(bystander_access), C(pusher_access), C(admin_access) (the policy-derived probes, see
    below); C(pull_through) (each
    O(pull_through) image pulled anonymously);
    C(metrics_anonymous), C(metrics_scraper) and C(metrics_bystander); C(ui) (with O(ui):
    zot's web UI page at C(/), or 404 where it is off); C(fail_delay) (a bad
    password is answered no sooner than O(fail_delay) seconds)."
  - "The policy-derived probes: for every repository glob of O(access_control) the checklist
    picks a repository name zot governs with that glob (wildcards filled with
    C(zotops-check)) and a name beside it the glob does not match; for each name and action
    (read, create, update, delete) it asks the policy engine what anonymous, O(bystander),
    O(pusher) and O(admin) get, and probes every identity where the answers differ. Reads
    list tags, creates open an upload session (cancelled by the admin), updates PUT a
    manifest whose blobs are missing over a seeded throwaway tag, deletes name a digest that
    does not exist: each is judged by zot's authorization answer (401/403 or not), so none
    changes content. At most O(max_probes) probes run; RV(probes) says how many were planned."
  - Both overwrite checks also read the seeded tag before and after the attempt; a refused
    overwrite that still moved the tag fails.
  - The checklist writes only throwaway tags named C(zotops-check-<random>-*) in
    O(repository) and deletes every manifest it created as the admin at the end; existing
    tags are never touched. Anything it could not delete is returned in RV(leftovers).
  - The task fails when any check fails. Checks that cannot run for lack of an option (for
    example no O(metrics)) are reported as C(skipped).
  - The probes run on the managed host. An expected answer that depends on CEL
    C(conditions) (the zot role's C(zot_tag_rules) and C(zot_pusher_networks)) is decided
    by the module's action plugin on the controller when the host lacks the CEL library, so
    only the controller needs the Python package C(cel-expr-python).
  - Probes use HTTP basic authentication (passwords or zot API keys). The client
    certificate is presented only by the C(mtls) check, so the anonymous probes really are
    anonymous.
version_added: "0.1.0"
author:
  - zotops maintainers (@zotops)
extends_documentation_fragment:
  - zotops.registry.registry
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: partial
    details:
      - In check mode only the checks that change nothing on the registry run (C(health),
        C(tls), C(mtls), C(anonymous_catalog), C(metrics_anonymous), C(metrics_scraper),
        C(metrics_bystander), C(fail_delay)); the others are returned with status
        C(skipped). C(pull_through) is skipped too because a pull through zot fills its cache.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  username:
    description:
      - Admin identity when O(admin) is not given, so that O(username) and O(password) set
        once with C(module_defaults) for the C(group/zotops.registry.zot) action group work
        here too.
  password:
    description:
      - Password or API key of O(username).
  access_control:
    description:
      - The access policy the registry must enforce, shaped like zot's
        C(http.accessControl) (the zot role's C(zot_access_control)).
    type: dict
    required: true
  pusher:
    description:
      - The CI identity whose rights are probed (push a new tag, overwrite, delete).
      - Without it the pusher checks fail, unless O(checks) leaves them out.
    type: dict
    # One account shape for pusher, admin and bystander.
    suboptions: &account
      username:
        description: User name.
        type: str
        required: true
      password:
        description: Password or API key (C(zak_...)).
        type: str
        required: true
      groups:
        description:
          - Groups the registry gives this identity besides the C(accessControl.groups)
            entries that list it (LDAP groups, or the groups an API key inherited).
        type: list
        elements: str
        default: []
  admin:
    description:
      - Identity that seeds the throwaway tag, is expected to delete it, and cleans up.
      - Defaults to O(username) and O(password).
    type: dict
    suboptions: *account
  bystander:
    description:
      - A logged-in identity outside every group of the policy (the zot role takes it from
        C(zot_verify_bystander)). It proves what an authenticated outsider can and cannot do; without it
        C(bystander_access) and C(metrics_bystander) are skipped.
      - Given as an API key, it also proves the groups zot stored for the key match the
        policy (a key whose owner left a group keeps the old groups).
    type: dict
    suboptions: *account
  tag_rules:
    description:
      - The zot role's C(zot_tag_rules) the policy was rendered from. For each rule (at most
        10) the C(pusher_tag_rules) check derives a tag the rule lets the pusher move and a
        write-once one (locked when the rule locks any), pushes each to a throwaway repository
        the rule's glob governs, then moves it by tag and by digest PUT with C(?tag=); every
        answer is judged by what the policy engine says of O(access_control).
    type: list
    elements: dict
    default: []
    suboptions:
      repositories:
        description: The glob of O(access_control) the rule governs.
        type: str
        required: true
      movable:
        description: Tag globs the pusher may move.
        type: list
        elements: str
        default: []
      locked:
        description: Tag globs nobody may move.
        type: list
        elements: str
        default: []
  client_ip:
    description:
      - The address zot sees the checklist's requests come from (C(req.client.ip)), for CEL
        conditions such as the zot role's C(zot_pusher_networks). Omitted, decisions that
        depend on it are conditional and their probes are left out.
    type: str
  api_keys:
    description:
      - The registry has API keys on (zot's C(http.auth.apikey)); the C(pusher_api_key) check
        runs only then, creating two keys for the pusher and revoking both.
    type: bool
    default: false
  ui:
    description:
      - Whether zot's web UI is meant to be served (zot's C(extensions.ui)); the C(ui) check
        then asks C(/) anonymously for the UI's page, or for a 404 when false. Omitted, the
        check is skipped.
    type: bool
  max_probes:
    description:
      - Upper bound of the policy-derived probes; the rest are dropped with a warning.
    type: int
    default: 120
  repository:
    description:
      - Repository the write checks use. The default is covered by the collection's default
        policy (C(**)), which lets the CI group create there.
    type: str
    default: zotops/registry-check
  pull_through:
    description:
      - Upstream images to pull through the registry's on-demand sync, named by their path on
        the registry, for example repository C(docker.io/library/alpine) and tag C(3.20).
    type: list
    elements: dict
    default: []
    suboptions:
      repository:
        description: Repository path on the registry, upstream prefix included.
        type: str
        required: true
      tag:
        description: Tag to pull.
        type: str
        default: latest
  metrics:
    description:
      - Prometheus endpoint to probe. Omit it to skip the metrics checks.
      - Expected access follows C(access_control.metrics) (C(anonymousPolicy), C(users)).
    type: dict
    suboptions:
      path:
        description: Metrics path.
        type: str
        default: /metrics
      username:
        description: Scraper identity. Without it only the anonymous probe runs.
        type: str
      password:
        description: Password or API key of the scraper.
        type: str
  fail_delay:
    description:
      - zot's C(http.auth.failDelay) in seconds. When set (above 0), a request with a wrong
        password must take at least that long to be refused (minus a quarter second for
        clock granularity). Omit it to skip the check.
    type: int
  checks:
    description:
      - Run only these checks. Default is all of them.
    type: list
    elements: str
    choices: [health, tls, mtls, anonymous_push, pusher_push, anonymous_catalog,
              anonymous_pull, pusher_overwrite, pusher_digest_overwrite, pusher_tag_rules, pusher_delete,
              admin_delete, pusher_api_key, anonymous_access, bystander_access, pusher_access, admin_access,
              pull_through, metrics_anonymous, metrics_scraper, metrics_bystander, ui, fail_delay]
"""

EXAMPLES = r"""
- name: Prove the registry enforces the policy it was deployed with
  zotops.registry.zot_registry_check:
    url: https://zot.example.com
    ca_path: /etc/zot/tls/ca.pem
    access_control: "{{ zot_access_control }}"
    pusher:
      username: ci
      password: "{{ vault_ci_api_key }}"
    admin:
      username: admin
      password: "{{ vault_zot_admin_password }}"
    pull_through:
      - repository: docker.io/library/alpine
        tag: "3.20"
    metrics:
      username: prometheus
      password: "{{ vault_prometheus_password }}"
    fail_delay: "{{ zot_auth_fail_delay }}"

- name: Read-only probes only (the same task in check mode runs these anyway)
  zotops.registry.zot_registry_check:
    url: http://127.0.0.1:5000
    access_control: "{{ zot_access_control }}"
    checks: [health, anonymous_catalog, metrics_anonymous]
"""

RETURN = r"""
checks:
  description:
    - One entry per probe. C(status) is C(passed), C(failed) or C(skipped); C(passed) is
      true, false, or null when skipped. C(expected) states the policy's answer and why.
  returned: always
  type: list
  elements: dict
  sample:
    - name: pusher_overwrite
      target: zotops/registry-check:zotops-check-1a2b3c4d-seed
      status: passed
      passed: true
      expected: 'refused with HTTP 403: glob "**" applies and does not grant update;
        adminPolicy does not either'
      observed: "refused with HTTP 403; ... tag unchanged"
table:
  description:
    - The checks as text lines (status, check, target, then expected and why, observed),
      for the play output. The same content as RV(checks).
  returned: always
  type: list
  elements: str
probes:
  description:
    - How many policy-derived probes were C(planned) and C(run) (at most C(limit)), the
      globs no probe name could be found for (C(unprobed_globs), for example a glob shadowed
      by a longer one) and the C(conditional) repository/action pairs not probed because
      the answer depends on CEL conditions.
  returned: always
  type: dict
  sample: {planned: 40, run: 40, limit: 120, unprobed_globs: [], conditional: []}
failed_checks:
  description: C(name) and C(target) of every failed check.
  returned: always
  type: list
  elements: dict
  sample: [{name: pusher_delete, target: "zotops/registry-check@sha256:..."}]
leftovers:
  description: Throwaway images (and API keys) the clean-up could not delete, with the reason.
  returned: always
  type: list
  elements: dict
  sample: []
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.zotops.registry.plugins.module_utils._checks.checklist import (
    CHECK_NAMES,
    report,
    run_checklist,
)
from ansible_collections.zotops.registry.plugins.module_utils._registry.http_client import (
    registry_argument_spec,
)
from ansible_collections.zotops.registry.plugins.module_utils._checks.probe_plan import (
    DEFAULT_LIMIT,
)


def main():
    account = dict(
        username=dict(type="str", required=True),
        password=dict(type="str", required=True, no_log=True),
        groups=dict(type="list", elements="str", default=[]),
    )
    argument_spec = registry_argument_spec()
    argument_spec.update(
        access_control=dict(type="dict", required=True),
        pusher=dict(type="dict", options=account),
        admin=dict(type="dict", options=account),
        bystander=dict(type="dict", options=account),
        tag_rules=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                repositories=dict(type="str", required=True),
                movable=dict(type="list", elements="str", default=[]),
                locked=dict(type="list", elements="str", default=[]),
            ),
        ),
        client_ip=dict(type="str"),
        api_keys=dict(type="bool", default=False),
        ui=dict(type="bool"),
        max_probes=dict(type="int", default=DEFAULT_LIMIT),
        repository=dict(type="str", default="zotops/registry-check"),
        pull_through=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                repository=dict(type="str", required=True),
                tag=dict(type="str", default="latest"),
            ),
        ),
        metrics=dict(
            type="dict",
            options=dict(
                path=dict(type="str", default="/metrics"),
                username=dict(type="str"),
                password=dict(type="str", no_log=True),
            ),
        ),
        fail_delay=dict(type="int"),
        checks=dict(type="list", elements="str", choices=list(CHECK_NAMES)),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_together=[("username", "password")],
    )
    options = dict(module.params)
    if not options["admin"] and options["username"]:
        options["admin"] = {
            "username": options["username"],
            "password": options["password"],
            "groups": [],
        }
    try:
        outcome = run_checklist(options, check_mode=module.check_mode)
    except ValueError as exc:  # the policy engine names the offending field
        module.fail_json(msg=str(exc))
    leftovers, probes = outcome["leftovers"], outcome["probes"]
    result = dict(changed=bool(leftovers), probes=probes, leftovers=leftovers, **report(outcome["checks"]))
    if probes["planned"] > probes["run"]:
        module.warn("%d of %d policy-derived probes ran (max_probes)" % (probes["run"], probes["planned"]))
    for item in leftovers:
        module.warn("could not delete throwaway image %s: %s" % (item["image"], item["error"]))
    if result.pop("failed"):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
