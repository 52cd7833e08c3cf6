# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""The verification checklist: probe a live registry and compare it with the access policy.

Every expected outcome comes from the policy engine (``access_policy.LoadedPolicy``) applied to the
same ``access_control`` value the role renders into zot's config, never from constants here.
A probe that behaves differently from the policy is a failed check, whatever the cause. Two
probes assert the operator's intent instead (``must_go_through``): the pusher's push of a
new tag and the admin's delete must succeed, so a policy that took them away fails too.

A check is one function registered with ``@check``: its name, whether it writes to the
registry, and which options or fixtures it needs. The module's ``checks`` choices and the
run order are this registry. Adding a check is one function (and its test).

The checklist writes only throwaway tags ``zotops-check-<random>-*`` and deletes what it
created (as the admin) at the end; existing tags are never touched. The access probes
(``<identity>_access``) write nothing that lasts: a create probe opens an upload session
and cancels it, update and delete probes are answered before anything is changed.
"""

import json
import os
import time
from datetime import datetime, timedelta, timezone
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.zotops.registry.plugins.module_utils._policy.engine import LoadedPolicy
from ansible_collections.zotops.registry.plugins.module_utils._policy.cel import (
    REQUIREMENT as CEL_REQUIREMENT,
)
from ansible_collections.zotops.registry.plugins.module_utils._registry.oci import (
    OCIClient,
    digest_of,
    synthetic_image,
)
from ansible_collections.zotops.registry.plugins.module_utils._registry.http_client import (
    RegistryHTTPError,
    client_from_params,
)
from ansible_collections.zotops.registry.plugins.module_utils._checks.probe_plan import (
    ANONYMOUS,
    DEFAULT_LIMIT,
    identity_of,
    plan,
    throwaway_name,
)
from ansible_collections.zotops.registry.plugins.module_utils._policy.intent import WHY
from ansible_collections.zotops.registry.plugins.module_utils._policy.tag_rules import probe_tags
from ansible_collections.zotops.registry.plugins.module_utils._registry.zot_api import (
    API_KEY_PREFIX,
    ZotApi,
    ZotApiError,
    format_rfc3339,
)

HEALTH_PATHS = ("/livez", "/readyz")
# A refused login may come back this much sooner than failDelay and still count as delayed:
# zot sleeps before answering, so only clock granularity can make it look shorter.
FAIL_DELAY_TOLERANCE = 0.25
# Good logins timed for the baseline, and bad logins sent side by side.
FAIL_DELAY_BASELINES = 3
# How long zot v2.1.20 retries an LDAP server it cannot reach before it refuses a login it
# could not check (pkg/api/ldap.go: 8 tries, sleeping 0+1+...+7 s), one login at a time.
ZOT_LDAP_RETRY_SECONDS = 28
# Statuses with which zot's authorization refuses a request; any other answer means the
# request got past authorization (a 404 for a repository or digest that does not exist).
REFUSED = (401, 403)
# Access probes run side by side: zot holds every refusal for failDelay seconds.
PROBE_WORKERS = 16
# Tag rules probed per run (each pushes six throwaway images); the rest are reported skipped.
MAX_TAG_RULES = 10

# Lifetime of the short-lived key pusher_api_key waits out (zot stores expiry to the second).
API_KEY_PROBE_LIFETIME = 2
# name -> {"name", "run", "writes", "needs", "summary"}, in run order.
CHECKS = {}


def check(name, writes=False, needs=(), summary=""):
    """Register a check. ``writes``: it changes the registry, so check mode skips it.
    ``needs``: account options (pusher, admin, bystander) it cannot run without, and
    "seed" when it uses the throwaway tag the admin pushes first."""

    def register(function):
        CHECKS[name] = {"name": name, "run": function, "writes": writes, "needs": needs, "summary": summary}
        return function

    return register


def check_result(name, target, passed, expected, observed):
    """One entry of the ``checks`` list; ``passed`` None means the check was skipped."""
    status = "skipped" if passed is None else ("passed" if passed else "failed")
    return {
        "name": name,
        "target": target,
        "status": status,
        "passed": passed,
        "expected": expected,
        "observed": observed,
    }


def skipped(name, target, reason):
    return check_result(name, target, None, "not run", reason)


def metrics_decision(access_control, who):
    """zot's metrics authorization, as the policy engine decides it (LoadedPolicy.decide_metrics)."""
    return LoadedPolicy(access_control).decide_metrics(who)


def describe_decision(decision):
    verdict = "allowed" if decision["allowed"] else "refused with HTTP %s" % decision["status"]
    return "%s: %s" % (verdict, decision["reason"])


def judge(name, target, decision, status, detail="", went_through=None, moved=False):
    """Compare one probe's HTTP outcome with the policy's decision.

    ``status`` is the HTTP status that ended the probe (a 2xx when it went through), or None
    when no HTTP answer arrived. A refusal must carry zot's status (401 or 403).
    ``went_through`` overrides "2xx means allowed" for probes judged by authorization only.
    ``moved``: the probe moved a tag, which fails it if the policy refuses it whatever the status.

    A decision the engine could not make here (its CEL conditions need the library, which
    a managed host may lack) gives a "pending" result that ``settle`` judges on the controller.
    """
    if decision.get("cel_unavailable"):
        result = check_result(name, target, None, "decided on the controller", "HTTP %s" % status)
        result["status"] = "pending"
        result["pending"] = {
            "queries": decision["queries"],
            "status": status,
            "detail": detail,
            "went_through": went_through,
            "moved": moved,
        }
        return result
    expected = describe_decision(decision)
    if status is None:
        return check_result(name, target, False, expected, "no HTTP answer: %s" % detail)
    if went_through is None:
        went_through = 200 <= status < 300
    observed = "%s with HTTP %s" % ("allowed" if went_through else "refused", status)
    if detail:
        observed += "; " + detail
    if decision["allowed"]:
        passed = went_through
    else:
        passed = not went_through and status == decision["status"] and not moved
    return check_result(name, target, passed, expected, observed)


def must_go_through(name, target, decision, status, success_status, why, detail=""):
    """A probe the operator's intent needs to succeed (the pusher's push of a new tag, the
    admin's delete): it fails when refused, even when the policy refuses it too, because
    then the policy is what took the right away. ``decision`` only explains the failure."""
    expected = "allowed (%s, whatever the policy says)" % why
    if not decision.get("cel_unavailable") and not decision["allowed"]:
        expected += "; the policy refuses it too: " + decision["reason"]
    if status is None:
        return check_result(name, target, False, expected, "no HTTP answer: %s" % detail)
    observed = "%s with HTTP %s" % ("allowed" if status == success_status else "refused", status)
    if detail:
        observed += "; " + detail
    return check_result(name, target, status == success_status, expected, observed)


def first_refusal(decisions):
    """The answer to a request zot authorizes in several steps (each a decision): the first
    refusal, else the last grant. A step undecided here (see ``judge``) leaves the answer
    undecided, with every such step's query kept for ``settle``, unless a decided step
    refuses: then the request is refused whatever the others say."""
    refusals = [d for d in decisions if not d.get("cel_unavailable") and not d["allowed"]]
    pending = [d for d in decisions if d.get("cel_unavailable")]
    if refusals or not pending:
        return (refusals or [decisions[-1]])[0]
    return dict(pending[0], queries=[query for step in pending for query in step["queries"]])


def settle(checks, access_control):
    """Judge the "pending" results of a host's run where the CEL library is (the controller).
    Returns the list of check results, each pending one replaced by its judgement."""
    policy = LoadedPolicy(access_control)
    settled = []
    for result in checks:
        pending = result.get("pending")
        if not pending:
            settled.append(result)
            continue
        decision = first_refusal(
            [policy.decide(q["who"], q["repository"], q["action"], q["request"]) for q in pending["queries"]]
        )
        if decision.get("cel_unavailable"):
            message = "CEL conditions need the Python package %s on the controller" % CEL_REQUIREMENT
            settled.append(
                check_result(result["name"], result["target"], False, "an expected answer", message)
            )
            continue
        if decision["conditional"]:
            reason = "the answer depends on request attributes the probe does not fix: " + decision["reason"]
            settled.append(skipped(result["name"], result["target"], reason))
            continue
        settled.append(
            judge(
                result["name"],
                result["target"],
                decision,
                pending["status"],
                pending["detail"],
                pending["went_through"],
                pending["moved"],
            )
        )
    return settled


def report(checks):
    """The module's result fields for these check results: table, failed_checks, msg, and
    ``failed`` when a check failed."""
    failed = [{"name": c["name"], "target": c["target"]} for c in checks if c["status"] == "failed"]
    result = dict(checks=checks, table=format_table(checks), failed_checks=failed, failed=bool(failed))
    if failed:
        names = ", ".join(sorted({"%s (%s)" % (f["name"], f["target"]) for f in failed}))
        result["msg"] = "registry checks failed: %s" % names
    else:
        result["msg"] = "%d checks passed" % sum(c["passed"] is True for c in checks)
    return result


def error_summary(exc):
    """Short text for a refused probe: the registry's error code(s) when it sent JSON."""
    try:
        codes = [e.get("code") for e in json.loads(exc.body.decode("utf-8"))["errors"]]
    except (AttributeError, KeyError, TypeError, ValueError):
        return exc.message
    return "registry error %s" % ", ".join(str(code) for code in codes)


def attempt(action, success_status):
    """Run a probe; returns (HTTP status, value) or (refused status, short error text)."""
    try:
        return success_status, action()
    except RegistryHTTPError as exc:
        return exc.status, error_summary(exc)


def format_table(checks):
    """The checklist as text lines: status, check, target, expected (and why), observed."""
    header = ("STATUS", "CHECK", "TARGET", "EXPECTED (WHY)", "OBSERVED")
    rows = [header] + [
        (c["status"].upper(), c["name"], c["target"] or "-", c["expected"], c["observed"]) for c in checks
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    return [
        "  ".join(row[column].ljust(widths[column]) for column in range(3)) + "  " + " | ".join(row[3:])
        for row in rows
    ]


class RegistryChecklist:
    """One run of the checklist: options, clients, the seeded tag and the clean-up.
    ``options`` has the zot_registry_check module's options."""

    def __init__(self, options, check_mode=False):
        self.options = options
        self.check_mode = check_mode
        self.access_control = options["access_control"]
        # Prepared once: every probe's expected answer comes from the same loaded policy.
        self.policy = LoadedPolicy(self.access_control)
        self.repository = options["repository"]
        self.tag_prefix = "zotops-check-" + os.urandom(4).hex()
        self.accounts = {name: options.get(name) for name in ("pusher", "admin", "bystander")}
        self.results = []
        # (repository, digest) of every manifest this run created; deleted at the end.
        self.created = []
        self.leftovers = []
        self.seeds = {}
        # Digest of the image pushed by pusher_push (admin_delete deletes it).
        self.pusher_image = None
        self.plan = None
        self.access = None

    @property
    def pusher(self):
        return self.accounts["pusher"]

    @property
    def admin(self):
        return self.accounts["admin"]

    # -- clients ---------------------------------------------------------------------------

    def client(self, account=None, with_client_cert=False):
        """An OCI client acting as ``account`` (None: anonymous). The client certificate is
        only presented by the mtls check, so every other probe is what it claims to be."""
        params = dict(
            self.options,
            username=account["username"] if account else None,
            password=account.get("password") if account else None,
            client_cert=self.options.get("client_cert") if with_client_cert else None,
            client_key=self.options.get("client_key") if with_client_cert else None,
        )
        return OCIClient(client_from_params(params))

    def request(self, reference=None):
        """What the engine knows of a probe's request, for CEL conditions."""
        request = {"reference": reference} if reference else {}
        if self.options.get("client_ip"):
            request["client_ip"] = self.options["client_ip"]
        return request or None

    def decide(self, who, action, repository=None, reference=None):
        return self.policy.decide(who, repository or self.repository, action, self.request(reference))

    # -- orchestration ---------------------------------------------------------------------

    def selected(self, name):
        wanted = self.options.get("checks") or list(CHECKS)
        return name in wanted

    def run(self):
        """Run the selected checks in registry order; returns the list of check results."""
        if not self.check_mode and any(
            "seed" in entry["needs"] for name, entry in CHECKS.items() if self.selected(name)
        ):
            self.seed()  # before anonymous_catalog, which then must list the repository
        try:
            for name, entry in CHECKS.items():
                if not self.selected(name):
                    continue
                if self.check_mode and entry["writes"]:
                    self.results.append(skipped(name, self.repository, "check mode: writes skipped"))
                    continue
                missing = [need for need in entry["needs"] if need != "seed" and not self.accounts[need]]
                if missing:
                    self.results.append(
                        check_result(
                            name,
                            self.repository,
                            False,
                            "a %s account" % missing[0],
                            "option %s is not set" % missing[0],
                        )
                    )
                    continue
                entry["run"](self)
        finally:
            self.clean_up()
        return self.results

    def seed(self, repository=None):
        """As the admin, push a throwaway image to ``repository`` once; returns
        {"tag", "digest"} or {"error"}."""
        repository = repository or self.repository
        if repository not in self.seeds:
            self.seeds[repository] = self._push_seed(repository)
        return self.seeds[repository]

    def _push_seed(self, repository):
        if not self.admin:
            return {"error": "option admin is not set"}
        tag = self.tag_prefix + "-seed"
        status, value = attempt(lambda: self.client(self.admin).push_image(repository, tag), 201)
        if status != 201:
            return {"error": "admin could not push %s:%s: %s" % (repository, tag, value)}
        self.created.append((repository, value["digest"]))
        return {"tag": tag, "digest": value["digest"]}

    def seeded(self, name):
        """The seed of the check repository, or None after recording ``name`` as failed."""
        seed = self.seed()
        if "tag" in seed:
            return seed
        self.results.append(check_result(name, self.repository, False, "a seeded tag", seed["error"]))
        return None

    def clean_up(self):
        """Delete, as the admin, every manifest this run created (tags and all)."""
        if not self.created:
            return
        admin = self.client(self.admin) if self.admin else None
        for repository, digest in self.created:
            try:
                if admin is None:
                    raise RegistryHTTPError("option admin is not set")
                admin.http.request(
                    "DELETE", "/v2/%s/manifests/%s" % (repository, digest), expected=(202, 404)
                )
            except RegistryHTTPError as exc:
                self.leftovers.append({"image": "%s@%s" % (repository, digest), "error": exc.message})
        self.created = []

    def tag_digest(self, tag):
        """The digest a tag points to, read by the admin (None if unreadable)."""
        status, value = attempt(lambda: self.client(self.admin).get_manifest(self.repository, tag), 200)
        return value.headers.get("docker-content-digest") if status == 200 else None

    def probe_plan(self):
        """The policy-derived access probes (probe_plan), planned once per run."""
        if self.plan is None:
            identities = {"anonymous": ANONYMOUS}
            for name in ("bystander", "pusher", "admin"):
                if self.accounts[name]:
                    identities[name] = identity_of(self.accounts[name])
            limit = self.options.get("max_probes") or DEFAULT_LIMIT
            self.plan = plan(self.access_control, identities, limit, self.request())
        return self.plan

    def access_outcomes(self):
        """[(probe, (status, detail))] of every planned access probe, sent once per run."""
        if self.access is None:
            probes = self.probe_plan()["probes"]
            for probe in probes:
                if probe["action"] == "update":
                    self.seed(probe["repository"])  # one push per repository, before the threads
            with ThreadPoolExecutor(max_workers=PROBE_WORKERS) as pool:
                self.access = list(
                    zip(probes, pool.map(lambda probe: _access_probe(self, probe), probes), strict=True)
                )
        return self.access


# -- checks, in run order --------------------------------------------------------------------


@check("health", summary="C(/livez) and C(/readyz) answer 200")
def check_health(run):
    anonymous = run.client()
    for path in HEALTH_PATHS:
        status, value = attempt(lambda p=path: anonymous.http.request("GET", p), 200)
        observed = "HTTP %s" % status if status else "no HTTP answer: %s" % value
        run.results.append(check_result("health", path, status == 200, "HTTP 200", observed))


@check("tls", summary="the certificate verifies (https only)")
def check_tls(run):
    url = run.options["url"]
    if not url.startswith("https://"):
        run.results.append(skipped("tls", url, "url is plain http"))
        return
    if not run.options.get("validate_certs", True):
        run.results.append(skipped("tls", url, "validate_certs is false: the certificate is not verified"))
        return
    status, value = attempt(lambda: run.client().http.request("GET", "/livez"), 200)
    observed = "verified handshake, HTTP %s" % status if status else "TLS failed: %s" % value
    expected = "certificate verifies against the CA"
    run.results.append(check_result("tls", url, status == 200, expected, observed))


@check("mtls", summary="the client certificate is accepted as an identity (only with O(client_cert))")
def check_mtls(run):
    url = run.options["url"]
    if not run.options.get("client_cert"):
        run.results.append(skipped("mtls", url, "no client_cert given"))
        return
    status, value = attempt(lambda: run.client(with_client_cert=True).ping(expected=200), 200)
    observed = "HTTP %s" % status if status else "TLS failed: %s" % value
    run.results.append(
        check_result(
            "mtls",
            url,
            status == 200,
            "client certificate accepted as an identity (HTTP 200 on /v2/)",
            observed,
        )
    )


@check("anonymous_push", writes=True, summary="an anonymous blob upload to O(repository)")
def check_anonymous_push(run):
    anonymous = run.client()
    path = "/v2/%s/blobs/uploads/" % run.repository
    status, value = attempt(lambda: anonymous.http.request("POST", path, data=b"", expected=202), 202)
    if status == 202:  # the upload session is not wanted: cancel it
        location = value.headers.get("location")
        if location:
            attempt(lambda: anonymous.http.request("DELETE", location, expected=None), 204)
    run.results.append(
        judge(
            "anonymous_push",
            run.repository,
            run.decide(ANONYMOUS, "create"),
            status,
            "" if status and status < 300 else value,
        )
    )


@check(
    "pusher_push",
    writes=True,
    needs=("pusher",),
    summary="the pusher pushes a new tag, blobs and manifest",
)
def check_pusher_push(run):
    tag = run.tag_prefix + "-new"
    status, value = attempt(lambda: run.client(run.pusher).push_image(run.repository, tag), 201)
    detail = "pushed %s:%s" % (run.repository, tag) if status == 201 else value
    if status == 201:
        run.created.append((run.repository, value["digest"]))
        run.pusher_image = value["digest"]
    decision = run.decide(identity_of(run.pusher), "create", reference=tag)
    run.results.append(
        must_go_through("pusher_push", run.repository, decision, status, 201, WHY["pusher"], detail)
    )


@check(
    "anonymous_catalog",
    summary="O(repository) is listed in C(/v2/_catalog) only if anonymous may read it",
)
def check_anonymous_catalog(run):
    decision = run.policy.catalog_lists(ANONYMOUS, run.repository)
    status, value = attempt(lambda: run.client().catalog(), 200)
    expected = "%s %s in /v2/_catalog" % (run.repository, "listed" if decision["allowed"] else "not listed")
    if status is None:
        run.results.append(check_result("anonymous_catalog", "/v2/_catalog", False, expected, value))
        return
    listed = status == 200 and run.repository in value
    observed = "HTTP %s, %s %s" % (status, run.repository, "listed" if listed else "not listed")
    if decision["allowed"]:
        # The repository exists only once something was pushed to it.
        must_list = "tag" in run.seeds.get(run.repository, {})
        passed = status == 200 and (listed or not must_list)
        if not must_list:
            observed += " (nothing seeded, listing not required)"
    else:
        passed = not listed
    run.results.append(check_result("anonymous_catalog", "/v2/_catalog", passed, expected, observed))


@check("anonymous_pull", writes=True, needs=("seed",), summary="anonymous pull of the tag the admin seeded")
def check_anonymous_pull(run):
    seed = run.seeded("anonymous_pull")
    if not seed:
        return
    target = "%s:%s" % (run.repository, seed["tag"])
    status, value = attempt(lambda: run.client().pull(run.repository, seed["tag"]), 200)
    detail = "pulled %s blobs" % value["blobs"] if status == 200 else value
    run.results.append(judge("anonymous_pull", target, run.decide(ANONYMOUS, "read"), status, detail))


def _overwrite(run, name, put):
    """Upload a new image's blobs as the pusher, then ``put(client, seed, manifest)`` it over
    the seeded tag. Needs ``update``; a refused overwrite that still moved the tag fails."""
    seed = run.seeded(name)
    if not seed:
        return
    decision = run.decide(identity_of(run.pusher), "update", reference=seed["tag"])
    client = run.client(run.pusher)
    config, layer, manifest = synthetic_image(os.urandom(16).hex())
    target = "%s:%s" % (run.repository, seed["tag"])

    def upload_then_put():
        client.upload_blob(run.repository, config)
        client.upload_blob(run.repository, layer)
        return put(client, seed, manifest)

    before = run.tag_digest(seed["tag"])
    status, value = attempt(upload_then_put, 201)
    if status == 201:
        run.created.append((run.repository, digest_of(manifest)))
    after = run.tag_digest(seed["tag"])
    moved = before != after
    detail = "tag %s" % ("moved to %s" % after if moved else "unchanged")
    if status != 201:
        detail = "%s; %s" % (value, detail)
    run.results.append(judge(name, target, decision, status, detail, moved=moved))


@check(
    "pusher_overwrite",
    writes=True,
    needs=("pusher", "seed"),
    summary="the pusher PUTs another manifest to the seeded tag",
)
def check_pusher_overwrite(run):
    _overwrite(
        run,
        "pusher_overwrite",
        lambda client, seed, manifest: client.put_manifest(run.repository, seed["tag"], manifest),
    )


@check(
    "pusher_digest_overwrite",
    writes=True,
    needs=("pusher", "seed"),
    summary="the pusher PUTs a manifest by digest with C(?tag=<seeded>&tag=<new>) (fixed in zot v2.1.19)",
)
def check_pusher_digest_overwrite(run):
    _overwrite(
        run,
        "pusher_digest_overwrite",
        lambda client, seed, manifest: client.push_manifest_by_digest(
            run.repository, manifest, [seed["tag"], run.tag_prefix + "-extra"]
        ),
    )


@check(
    "pusher_tag_rules",
    writes=True,
    needs=("pusher",),
    summary="for each O(tag_rules) rule, the pusher pushes a tag the rule lets CI move and a write-once "
    "one, then moves each by tag and by digest PUT with C(?tag=)",
)
def check_pusher_tag_rules(run):
    rules = run.options.get("tag_rules") or []
    if not rules:
        run.results.append(skipped("pusher_tag_rules", "", "no tag_rules given"))
    for index, rule in enumerate(rules):
        glob = rule["repositories"]
        if index >= MAX_TAG_RULES:
            run.results.append(skipped("pusher_tag_rules", glob, "more than %d tag rules" % MAX_TAG_RULES))
            continue
        repository = throwaway_name(glob, run.policy, run.tag_prefix)
        if repository is None:
            run.results.append(
                check_result("pusher_tag_rules", glob, False, "a repository the glob governs", "none found")
            )
            continue
        for kind, tag in probe_tags(rule, run.tag_prefix).items():
            if tag is None:
                run.results.append(skipped("pusher_tag_rules", glob, "the rule leaves no %s tag" % kind))
            else:
                _tag_rule_probes(run, repository, tag, kind)


def _tag_rule_probes(run, repository, tag, kind):
    """Push ``tag``, move it by tag, then by digest PUT with ?tag=; each judged by the engine."""
    client, who = run.client(run.pusher), identity_of(run.pusher)
    target = "%s:%s (%s)" % (repository, tag, kind.replace("_", "-"))

    def push(what, decision, put, image=None):
        config, layer, manifest = image or synthetic_image(os.urandom(16).hex())

        def upload_then_put():
            client.upload_blob(repository, config)
            client.upload_blob(repository, layer)
            return put(manifest)

        status, value = attempt(upload_then_put, 201)
        if status == 201:
            run.created.append((repository, digest_of(manifest)))
        run.results.append(
            judge(
                "pusher_tag_rules", "%s %s" % (what, target), decision, status, "" if status == 201 else value
            )
        )
        return status, manifest

    status, _manifest = push(
        "push", run.decide(who, "create", repository, tag), lambda m: client.put_manifest(repository, tag, m)
    )
    if status != 201:
        return
    push(
        "move", run.decide(who, "update", repository, tag), lambda m: client.put_manifest(repository, tag, m)
    )
    # zot checks a digest PUT with ?tag= as update on the tag and on the digest.
    image = synthetic_image(os.urandom(16).hex())
    by_tag = run.decide(who, "update", repository, tag)
    by_digest = run.decide(who, "update", repository, digest_of(image[2]))
    push(
        "digest-PUT ?tag= to",
        first_refusal([by_tag, by_digest]),
        lambda m: client.push_manifest_by_digest(repository, m, [tag]),
        image,
    )


@check("pusher_delete", writes=True, needs=("pusher", "seed"), summary="the pusher deletes the seeded image")
def check_pusher_delete(run):
    seed = run.seeded("pusher_delete")
    if not seed:
        return
    digest = run.tag_digest(seed["tag"]) or seed["digest"]
    status, value = attempt(lambda: run.client(run.pusher).delete_manifest(run.repository, digest), 202)
    run.results.append(
        judge(
            "pusher_delete",
            "%s@%s" % (run.repository, digest),
            run.decide(identity_of(run.pusher), "delete", reference=digest),
            status,
            "" if status == 202 else value,
        )
    )


@check("admin_delete", writes=True, needs=("admin", "seed"), summary="the admin deletes an image")
def check_admin_delete(run):
    seed = run.seeded("admin_delete")
    if not seed:
        return
    digest = run.pusher_image or run.tag_digest(seed["tag"])
    if not digest:
        run.results.append(
            check_result(
                "admin_delete",
                run.repository,
                False,
                "an image to delete",
                "the seeded tag is gone (deleted by an earlier check)",
            )
        )
        return
    status, value = attempt(lambda: run.client(run.admin).delete_manifest(run.repository, digest), 202)
    if status == 202:
        run.created = [item for item in run.created if item[1] != digest]
    run.results.append(
        must_go_through(
            "admin_delete",
            "%s@%s" % (run.repository, digest),
            run.decide(identity_of(run.admin), "delete", reference=digest),
            status,
            202,
            WHY["admin"],
            "" if status == 202 else value,
        )
    )


@check(
    "pusher_api_key",
    writes=True,
    needs=("pusher",),
    summary="an API key of the pusher logs in; revoked or expired, the same key is refused",
)
def check_pusher_api_key(run):
    if not run.options.get("api_keys"):
        run.results.append(skipped("pusher_api_key", "-", "api_keys is not set"))
        return
    pusher = run.pusher
    api = ZotApi(
        run.client(pusher).http,
        pusher["username"],
        logs_in_with_api_key=(pusher.get("password") or "").startswith(API_KEY_PREFIX),
    )
    label = run.tag_prefix + "-key"
    created = []

    def logs_in(key):
        return 200 if api.key_authenticates(pusher["username"], key.secret) else 401

    def result(target, key, expected):
        status = logs_in(key)
        run.results.append(
            check_result(
                "pusher_api_key", target, status == expected, "HTTP %d" % expected, "HTTP %d" % status
            )
        )

    try:
        try:
            key = api.create_api_key(label, [], None)
        except ZotApiError as exc:
            run.results.append(
                check_result("pusher_api_key", "new key", False, "a key for the pusher", str(exc))
            )
            return
        created.append(key)
        result("new key", key, 200)
        api.revoke_api_key(key.key.uuid)
        created.remove(key)
        result("revoked key", key, 401)
        expires = format_rfc3339(datetime.now(timezone.utc) + timedelta(seconds=API_KEY_PROBE_LIFETIME))
        short_lived = api.create_api_key(label + "-expiring", [], expires)
        created.append(short_lived)
        time.sleep(API_KEY_PROBE_LIFETIME + 1)
        result("expired key", short_lived, 401)
    except ZotApiError as exc:
        run.results.append(check_result("pusher_api_key", "API keys", False, "key calls answered", str(exc)))
    finally:
        for key in created:
            try:
                api.revoke_api_key(key.key.uuid)
            except ZotApiError as exc:
                run.leftovers.append({"api_key": key.key.label, "error": str(exc)})


def _access_probe(run, probe):
    """Send one planned probe; returns (status, detail). Judged by authorization only."""
    account = None if probe["identity"] == "anonymous" else run.accounts[probe["identity"]]
    client = run.client(account)
    repository, action = probe["repository"], probe["action"]
    if action == "read":
        path = "/v2/%s/tags/list" % repository
        status, value = attempt(lambda: client.http.request("GET", path, expected=200), 200)
        return status, "" if status == 200 else value
    if action == "create":
        path = "/v2/%s/blobs/uploads/" % repository
        status, value = attempt(lambda: client.http.request("POST", path, data=b"", expected=202), 202)
        location = value.headers.get("location") if status == 202 else None
        if location and run.admin:  # cancelling an upload is a DELETE: the admin's right
            attempt(lambda: run.client(run.admin).http.request("DELETE", location, expected=None), 204)
        return status, "" if status == 202 else value
    if action == "update":
        seed = run.seed(repository)
        if "tag" not in seed:  # the admin's refused create is the finding, reported there
            return "skipped", "no tag to update: %s" % seed["error"]
        # Blobs the registry does not have: an authorized PUT is refused after
        # authorization (MANIFEST_BLOB_UNKNOWN) and the tag never moves.
        _config, _layer, manifest = synthetic_image(os.urandom(16).hex())
        return attempt(lambda: client.put_manifest(repository, seed["tag"], manifest), 201)
    # delete: a digest that does not exist; authorization answers before the lookup.
    digest = "sha256:" + os.urandom(32).hex()
    return attempt(lambda: client.delete_manifest(repository, digest), 202)


def _check_access(run, identity):
    name = identity + "_access"
    if identity != "anonymous" and not run.accounts[identity]:
        run.results.append(skipped(name, "", "option %s is not set" % identity))
        return
    for probe, (status, detail) in run.access_outcomes():
        if probe["identity"] != identity:
            continue
        target = "%s %s" % (probe["action"], probe["repository"])
        if status == "skipped":
            run.results.append(skipped(name, target, detail))
            continue
        went_through = status is not None and status not in REFUSED and status < 500
        result = judge(name, target, probe["decision"], status, detail, went_through=went_through)
        result["expected"] += " (%s)" % probe["why"]
        run.results.append(result)


def _access_check(identity, summary):
    @check(identity + "_access", writes=True, summary=summary)
    def access(run):
        _check_access(run, identity)

    return access


for _identity, _summary in (
    ("anonymous", "requests without credentials"),
    ("bystander", "O(bystander), a logged-in identity outside every group"),
    ("pusher", "O(pusher)"),
    ("admin", "O(admin)"),
):
    _access_check(
        _identity,
        "policy-derived probes as %s: every action whose expected answer differs between "
        "identities, on a name each repository glob governs and one beside it" % _summary,
    )


@check("pull_through", writes=True, summary="each O(pull_through) image is pulled anonymously")
def check_pull_through(run):
    images = run.options.get("pull_through") or []
    if not images:
        run.results.append(skipped("pull_through", "", "no pull_through images given"))
        return
    anonymous = run.client()
    for image in images:
        repository, tag = image["repository"], image.get("tag") or "latest"
        status, value = attempt(lambda r=repository, t=tag: anonymous.pull(r, t), 200)
        detail = "pulled %s (%s blobs)" % (value["digest"], value["blobs"]) if status == 200 else value
        run.results.append(
            judge(
                "pull_through",
                "%s:%s" % (repository, tag),
                run.decide(ANONYMOUS, "read", repository),
                status,
                detail,
            )
        )


def _metrics_probe(run, name, account):
    metrics = run.options.get("metrics") or {}
    path = metrics.get("path") or "/metrics"
    who = identity_of(account) if account else ANONYMOUS
    status, value = attempt(lambda: run.client(account).http.request("GET", path), 200)
    decision = metrics_decision(run.access_control, who)
    result = judge(name, path, decision, status, "" if status == 200 else value)
    if status == 200 and b"# TYPE" not in value.body:
        # A 200 that is not Prometheus text is not metrics (a UI page, a proxy's answer).
        result = check_result(name, path, False, result["expected"], "HTTP 200 but not Prometheus text")
    run.results.append(result)


@check("metrics_anonymous", summary="C(/metrics) without credentials")
def check_metrics_anonymous(run):
    if run.options.get("metrics") is None:
        run.results.append(skipped("metrics_anonymous", "", "metrics option not set"))
        return
    _metrics_probe(run, "metrics_anonymous", None)


@check("metrics_scraper", summary="C(/metrics) as O(metrics.username)")
def check_metrics_scraper(run):
    metrics = run.options.get("metrics") or {}
    if not metrics.get("username"):
        run.results.append(skipped("metrics_scraper", "", "no metrics.username given"))
        return
    _metrics_probe(run, "metrics_scraper", metrics)


@check("metrics_bystander", summary="C(/metrics) as O(bystander)")
def check_metrics_bystander(run):
    if run.options.get("metrics") is None or not run.accounts["bystander"]:
        run.results.append(skipped("metrics_bystander", "", "metrics or bystander option not set"))
        return
    _metrics_probe(run, "metrics_bystander", run.accounts["bystander"])


@check("ui", summary="zot's web UI is served at C(/) (O(ui=true)) or absent (O(ui=false))")
def check_ui(run):
    expected = run.options.get("ui")
    if expected is None:
        run.results.append(skipped("ui", "/", "ui option not set"))
        return
    status, value = attempt(lambda: run.client(None).http.request("GET", "/"), 200)
    # zui's page; a registry without the UI answers 404 for every path outside its API.
    served = status == 200 and b"<html" in value.body[:512].lower()
    if expected:
        observed = (
            "web UI page"
            if served
            else "HTTP %s: %s" % (status, "not an HTML page" if status == 200 else value)
        )
    else:
        observed = "web UI page" if served else "HTTP %s" % status
    passed = served if expected else (status == 404)
    want = "web UI page (ui)" if expected else "HTTP 404, no web UI (ui is off)"
    run.results.append(check_result("ui", "/", passed, want, observed))


@check("fail_delay", summary="a bad password is answered no sooner than O(fail_delay) seconds")
def check_fail_delay(run):
    delay = run.options.get("fail_delay")
    if not delay:
        run.results.append(skipped("fail_delay", "/v2/", "fail_delay not set"))
        return
    account = run.pusher or run.admin
    username = (account or {}).get("username") or "zotops-check"
    wrong = {"username": username, "password": "wrong-" + os.urandom(8).hex()}
    # The same request with the right password (anonymous when there is none), timed just
    # before: on a busy host any answer is slow, only the difference is zot's delay. The
    # fastest of a few is the baseline, so one slow good login cannot hide the delay.
    baseline_client = run.client(account)
    expected = "HTTP 401 at least %ss later than a good login (bad password for %s)" % (delay, username)
    timings = []
    for _unused in range(FAIL_DELAY_BASELINES):
        started = time.monotonic()
        status, answer = attempt(lambda: baseline_client.ping(expected=(200, 401)), 200)
        timings.append(time.monotonic() - started)
        good_status = getattr(answer, "status", status)  # a 401 is an answer, not an error
        if account and good_status != 200:
            # The right password refused: nothing to compare with, and each further login
            # could wait as long again.
            observed = "the good login got HTTP %s after %.2fs" % (good_status, timings[-1])
            observed += ldap_cause(timings[-1])
            run.results.append(check_result("fail_delay", "/v2/", False, expected, observed))
            return
    baseline = min(timings)

    def bad_login(_unused):
        client = run.client(wrong)
        started = time.monotonic()
        status, _value = attempt(lambda: client.ping(expected=200), 200)
        return status, time.monotonic() - started

    # As many bad logins, side by side (zot delays each one): the fastest counts, so one
    # answer slowed by a busy host cannot pass for zot's delay either.
    with ThreadPoolExecutor(max_workers=FAIL_DELAY_BASELINES) as pool:
        answers = list(pool.map(bad_login, range(FAIL_DELAY_BASELINES)))
    statuses = sorted({status for status, _elapsed in answers}, key=str)
    elapsed = min(elapsed for _status, elapsed in answers)
    passed = statuses == [401] and elapsed - baseline >= delay - FAIL_DELAY_TOLERANCE
    observed = "HTTP %s after %.2fs at the fastest of %d, the fastest good login after %.2fs" % (
        "/".join(map(str, statuses)),
        elapsed,
        len(answers),
        baseline,
    )
    observed += ldap_cause(elapsed - delay)
    run.results.append(check_result("fail_delay", "/v2/", passed, expected, observed))


def ldap_cause(seconds):
    """Why a login took `seconds` (beyond failDelay), when only zot's LDAP retries take that
    long: zot tries an unreachable LDAP server for every password it cannot check otherwise
    (a wrong htpasswd password and an API key too), and holds its LDAP lock meanwhile."""
    if seconds < ZOT_LDAP_RETRY_SECONDS:
        return ""
    return (
        "; as long as zot's retries of an LDAP server it cannot reach (%d s per login, one login"
        " at a time): check that zot reaches its LDAP server" % ZOT_LDAP_RETRY_SECONDS
    )


CHECK_NAMES = tuple(CHECKS)
# Checks that change nothing on the registry: the only ones run in check mode. pull_through
# writes because a pull through zot fills its cache.
READ_ONLY_CHECKS = tuple(name for name, entry in CHECKS.items() if not entry["writes"])


def run_checklist(options, check_mode=False):
    """Run the checklist; returns {"checks", "leftovers" (images the clean-up could not
    delete), "probes" (how many access probes were planned, run and allowed)}."""
    checklist = RegistryChecklist(options, check_mode=check_mode)
    checks = checklist.run()
    run_plan = checklist.plan or {"probes": [], "planned": 0, "unprobed_globs": [], "conditional": []}
    probes = {
        "planned": run_plan["planned"],
        "run": len(run_plan["probes"]),
        "limit": options.get("max_probes") or DEFAULT_LIMIT,
        "unprobed_globs": run_plan["unprobed_globs"],
        "conditional": ["%s %s" % pair for pair in run_plan["conditional"]],
    }
    return {"checks": checks, "leftovers": checklist.leftovers, "probes": probes}
