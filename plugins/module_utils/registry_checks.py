"""The verification checklist: probe a live registry and compare it with the access policy.

Every expected outcome comes from the policy engine (``access_policy.LoadedPolicy``) applied to the
same ``access_control`` value the role renders into zot's config, never from constants here.
A probe that behaves differently from the policy is a failed check, whatever the cause.

The checklist writes only under throwaway tags ``zotops-check-<random>-*`` in one repository
and deletes what it created (as the admin) at the end; existing tags are never touched.
"""

import json
import os
import time

from ansible_collections.zotops.registry.plugins.module_utils.access_policy import LoadedPolicy
from ansible_collections.zotops.registry.plugins.module_utils.oci_client import (
    OCIClient,
    digest_of,
    synthetic_image,
)
from ansible_collections.zotops.registry.plugins.module_utils.registry_http import (
    RegistryHTTPError,
    client_from_params,
)

CHECK_NAMES = (
    "health",
    "tls",
    "mtls",
    "anonymous_push",
    "pusher_push",
    "anonymous_catalog",
    "anonymous_pull",
    "pusher_overwrite",
    "pusher_digest_overwrite",
    "pusher_delete",
    "admin_delete",
    "pull_through",
    "metrics_anonymous",
    "metrics_scraper",
    "fail_delay",
)
# Checks that change nothing on the registry: the only ones run in check mode. pull_through
# is not among them because a pull through zot fills its cache.
READ_ONLY_CHECKS = (
    "health",
    "tls",
    "mtls",
    "anonymous_catalog",
    "metrics_anonymous",
    "metrics_scraper",
    "fail_delay",
)
# Checks that need the seeded throwaway tag.
_SEEDED_CHECKS = (
    "anonymous_pull",
    "pusher_overwrite",
    "pusher_digest_overwrite",
    "pusher_delete",
    "admin_delete",
)
HEALTH_PATHS = ("/livez", "/readyz")
# A refused login may come back this much sooner than failDelay and still count as delayed:
# zot sleeps before answering, so only clock granularity can make it look shorter.
FAIL_DELAY_TOLERANCE = 0.25
ANONYMOUS = {"anonymous": True}


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


def identity_of(account):
    """The policy engine's view of an account option ({username, password, groups})."""
    return {"user": account["username"], "groups": list(account.get("groups") or [])}


def metrics_decision(access_control, who):
    """zot's metrics authorization, as the policy engine decides it (LoadedPolicy.decide_metrics)."""
    return LoadedPolicy(access_control).decide_metrics(who)


def describe_decision(decision):
    verdict = "allowed" if decision["allowed"] else "refused with HTTP %s" % decision["status"]
    return "%s: %s" % (verdict, decision["reason"])


def judge(name, target, decision, status, detail=""):
    """Compare one probe's HTTP outcome with the policy's decision.

    ``status`` is the HTTP status that ended the probe (a 2xx when it went through), or None
    when no HTTP answer arrived. A refusal must carry zot's status (401 or 403).
    """
    expected = describe_decision(decision)
    if status is None:
        return check_result(name, target, False, expected, "no HTTP answer: %s" % detail)
    went_through = 200 <= status < 300
    observed = "%s with HTTP %s" % ("allowed" if went_through else "refused", status)
    if detail:
        observed += "; " + detail
    if decision["allowed"]:
        passed = went_through
    else:
        passed = not went_through and status == decision["status"]
    return check_result(name, target, passed, expected, observed)


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


class RegistryChecklist:
    """One run of the checklist. ``options`` has the zot_registry_check module's options."""

    def __init__(self, options, check_mode=False):
        self.options = options
        self.check_mode = check_mode
        self.access_control = options["access_control"]
        # Prepared once: every probe's expected answer comes from the same loaded policy.
        self.policy = LoadedPolicy(self.access_control)
        self.repository = options["repository"]
        self.tag_prefix = "zotops-check-" + os.urandom(4).hex()
        self.pusher = options.get("pusher")
        self.admin = options.get("admin")
        self.results = []
        # (repository, digest) of every manifest this run created; deleted at the end.
        self.created = []
        self.leftovers = []
        self.seed = None
        # Digest of the image pushed by pusher_push (admin_delete deletes it).
        self.pusher_image = None

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

    def decide(self, who, action, repository=None):
        return self.policy.decide(who, repository or self.repository, action)

    # -- orchestration ---------------------------------------------------------------------

    def selected(self, name):
        wanted = self.options.get("checks") or CHECK_NAMES
        return name in wanted

    def run(self):
        """Run the selected checks in order; returns the list of check results."""
        steps = [
            (("health",), self.check_health),
            (("tls",), self.check_tls),
            (("mtls",), self.check_mtls),
            (("anonymous_push",), self.check_anonymous_push),
            (("pusher_push",), self.check_pusher_push),
            (("anonymous_catalog",), self.check_anonymous_catalog),
            (("anonymous_pull",), self.check_anonymous_pull),
            (("pusher_overwrite", "pusher_digest_overwrite"), self.check_overwrites),
            (("pusher_delete",), self.check_pusher_delete),
            (("admin_delete",), self.check_admin_delete),
            (("pull_through",), self.check_pull_through),
            (("metrics_anonymous",), self.check_metrics_anonymous),
            (("metrics_scraper",), self.check_metrics_scraper),
            (("fail_delay",), self.check_fail_delay),
        ]
        if not self.check_mode and any(self.selected(name) for name in _SEEDED_CHECKS):
            self.seed_tag()
        try:
            for names, step in steps:
                names = [name for name in names if self.selected(name)]
                if not names:
                    continue
                if self.check_mode and names[0] not in READ_ONLY_CHECKS:
                    self.results.extend(
                        skipped(name, self.repository, "check mode: writes skipped") for name in names
                    )
                    continue
                step()
        finally:
            self.clean_up()
        return self.results

    def need(self, name, account_name):
        """The account option a check needs, or None after recording the check as failed."""
        account = getattr(self, account_name)
        if not account:
            self.results.append(
                check_result(
                    name,
                    self.repository,
                    False,
                    "a %s account" % account_name,
                    "option %s is not set" % account_name,
                )
            )
        return account

    def seed_tag(self):
        """As the admin, push the throwaway image the pull/overwrite/delete checks use."""
        if not self.admin:
            self.seed = {"error": "option admin is not set"}
            return
        tag = self.tag_prefix + "-seed"
        status, value = attempt(lambda: self.client(self.admin).push_image(self.repository, tag), 201)
        if status == 201:
            self.created.append((self.repository, value["digest"]))
            self.seed = {"tag": tag, "digest": value["digest"]}
        else:
            self.seed = {"error": "admin could not push %s:%s: %s" % (self.repository, tag, value)}

    def seeded(self, name):
        """The seed, or None after recording ``name`` as failed because seeding failed."""
        if self.seed and "tag" in self.seed:
            return self.seed
        reason = (self.seed or {}).get("error", "no seeded tag")
        self.results.append(check_result(name, self.repository, False, "a seeded tag", reason))
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

    # -- checks ----------------------------------------------------------------------------

    def check_health(self):
        anonymous = self.client()
        for path in HEALTH_PATHS:
            status, value = attempt(lambda p=path: anonymous.http.request("GET", p), 200)
            observed = "HTTP %s" % status if status else "no HTTP answer: %s" % value
            self.results.append(check_result("health", path, status == 200, "HTTP 200", observed))

    def check_tls(self):
        url = self.options["url"]
        if not url.startswith("https://"):
            self.results.append(skipped("tls", url, "url is plain http"))
            return
        if not self.options.get("validate_certs", True):
            self.results.append(
                skipped("tls", url, "validate_certs is false: the certificate is not verified")
            )
            return
        status, value = attempt(lambda: self.client().http.request("GET", "/livez"), 200)
        observed = "verified handshake, HTTP %s" % status if status else "TLS failed: %s" % value
        self.results.append(
            check_result("tls", url, status == 200, "certificate verifies against the CA", observed)
        )

    def check_mtls(self):
        url = self.options["url"]
        if not self.options.get("client_cert"):
            self.results.append(skipped("mtls", url, "no client_cert given"))
            return
        status, value = attempt(lambda: self.client(with_client_cert=True).ping(expected=200), 200)
        observed = "HTTP %s" % status if status else "TLS failed: %s" % value
        self.results.append(
            check_result(
                "mtls",
                url,
                status == 200,
                "client certificate accepted as an identity (HTTP 200 on /v2/)",
                observed,
            )
        )

    def check_anonymous_push(self):
        anonymous = self.client()
        path = "/v2/%s/blobs/uploads/" % self.repository
        status, value = attempt(lambda: anonymous.http.request("POST", path, data=b"", expected=202), 202)
        if status == 202:  # the upload session is not wanted: cancel it
            location = value.headers.get("location")
            if location:
                attempt(lambda: anonymous.http.request("DELETE", location, expected=None), 204)
        self.results.append(
            judge(
                "anonymous_push",
                self.repository,
                self.decide(ANONYMOUS, "create"),
                status,
                "" if status and status < 300 else value,
            )
        )

    def check_pusher_push(self):
        pusher = self.need("pusher_push", "pusher")
        if not pusher:
            return
        tag = self.tag_prefix + "-new"
        status, value = attempt(lambda: self.client(pusher).push_image(self.repository, tag), 201)
        detail = "pushed %s:%s" % (self.repository, tag) if status == 201 else value
        if status == 201:
            self.created.append((self.repository, value["digest"]))
            self.pusher_image = value["digest"]
        who = identity_of(pusher)
        self.results.append(judge("pusher_push", self.repository, self.decide(who, "create"), status, detail))

    def check_anonymous_catalog(self):
        decision = self.policy.catalog_lists(ANONYMOUS, self.repository)
        status, value = attempt(lambda: self.client().catalog(), 200)
        expected = "%s %s in /v2/_catalog" % (
            self.repository,
            "listed" if decision["allowed"] else "not listed",
        )
        if status is None:
            self.results.append(check_result("anonymous_catalog", "/v2/_catalog", False, expected, value))
            return
        listed = status == 200 and self.repository in value
        observed = "HTTP %s, %s %s" % (
            status,
            self.repository,
            "listed" if listed else "not listed",
        )
        if decision["allowed"]:
            # The repository exists only once something was pushed to it.
            must_list = bool(self.seed and "tag" in self.seed)
            passed = status == 200 and (listed or not must_list)
            if not must_list:
                observed += " (nothing seeded, listing not required)"
        else:
            passed = not listed
        self.results.append(check_result("anonymous_catalog", "/v2/_catalog", passed, expected, observed))

    def check_anonymous_pull(self):
        seed = self.seeded("anonymous_pull")
        if not seed:
            return
        target = "%s:%s" % (self.repository, seed["tag"])
        status, value = attempt(lambda: self.client().pull(self.repository, seed["tag"]), 200)
        detail = "pulled %s blobs" % value["blobs"] if status == 200 else value
        self.results.append(judge("anonymous_pull", target, self.decide(ANONYMOUS, "read"), status, detail))

    def tag_digest(self, tag):
        """The digest a tag points to, read by the admin (None if unreadable)."""
        status, value = attempt(lambda: self.client(self.admin).get_manifest(self.repository, tag), 200)
        return value.headers.get("docker-content-digest") if status == 200 else None

    def check_overwrites(self):
        """pusher_overwrite: PUT another manifest to the seeded tag. pusher_digest_overwrite:
        PUT it by digest with ?tag=<seeded tag>&tag=<new tag>. Both need ``update``."""
        names = [n for n in ("pusher_overwrite", "pusher_digest_overwrite") if self.selected(n)]
        pusher = self.need(names[0], "pusher")
        seed = pusher and self.seeded(names[0])
        if not seed:
            return
        who = identity_of(pusher)
        decision = self.decide(who, "update")
        client = self.client(pusher)
        config, layer, manifest = synthetic_image(os.urandom(16).hex())
        target = "%s:%s" % (self.repository, seed["tag"])

        def upload_then(put):
            client.upload_blob(self.repository, config)
            client.upload_blob(self.repository, layer)
            return put()

        probes = {
            "pusher_overwrite": lambda: client.put_manifest(self.repository, seed["tag"], manifest),
            "pusher_digest_overwrite": lambda: client.push_manifest_by_digest(
                self.repository, manifest, [seed["tag"], self.tag_prefix + "-extra"]
            ),
        }
        for name in names:
            before = self.tag_digest(seed["tag"])
            status, value = attempt(lambda n=name: upload_then(probes[n]), 201)
            if status == 201:
                self.created.append((self.repository, digest_of(manifest)))
            after = self.tag_digest(seed["tag"])
            moved = before != after
            detail = "tag %s" % ("moved to %s" % after if moved else "unchanged")
            if status != 201:
                detail = "%s; %s" % (value, detail)
            result = judge(name, target, decision, status, detail)
            if not decision["allowed"] and moved:
                result = check_result(name, target, False, result["expected"], result["observed"])
            self.results.append(result)

    def check_pusher_delete(self):
        pusher = self.need("pusher_delete", "pusher")
        seed = pusher and self.seeded("pusher_delete")
        if not seed:
            return
        digest = self.tag_digest(seed["tag"]) or seed["digest"]
        who = identity_of(pusher)
        status, value = attempt(lambda: self.client(pusher).delete_manifest(self.repository, digest), 202)
        self.results.append(
            judge(
                "pusher_delete",
                "%s@%s" % (self.repository, digest),
                self.decide(who, "delete"),
                status,
                "" if status == 202 else value,
            )
        )

    def check_admin_delete(self):
        admin = self.need("admin_delete", "admin")
        seed = admin and self.seeded("admin_delete")
        if not seed:
            return
        digest = self.pusher_image or self.tag_digest(seed["tag"])
        if not digest:
            self.results.append(
                check_result(
                    "admin_delete",
                    self.repository,
                    False,
                    "an image to delete",
                    "the seeded tag is gone (deleted by an earlier check)",
                )
            )
            return
        who = identity_of(admin)
        status, value = attempt(lambda: self.client(admin).delete_manifest(self.repository, digest), 202)
        if status == 202:
            self.created = [item for item in self.created if item[1] != digest]
        self.results.append(
            judge(
                "admin_delete",
                "%s@%s" % (self.repository, digest),
                self.decide(who, "delete"),
                status,
                "" if status == 202 else value,
            )
        )

    def check_pull_through(self):
        images = self.options.get("pull_through") or []
        if not images:
            self.results.append(skipped("pull_through", "", "no pull_through images given"))
            return
        anonymous = self.client()
        for image in images:
            repository, tag = image["repository"], image.get("tag") or "latest"
            status, value = attempt(lambda r=repository, t=tag: anonymous.pull(r, t), 200)
            detail = "pulled %s (%s blobs)" % (value["digest"], value["blobs"]) if status == 200 else value
            self.results.append(
                judge(
                    "pull_through",
                    "%s:%s" % (repository, tag),
                    self.decide(ANONYMOUS, "read", repository),
                    status,
                    detail,
                )
            )

    def _metrics_probe(self, name, account):
        metrics = self.options.get("metrics") or {}
        path = metrics.get("path") or "/metrics"
        who = identity_of(account) if account else ANONYMOUS
        status, value = attempt(lambda: self.client(account).http.request("GET", path), 200)
        decision = metrics_decision(self.access_control, who)
        result = judge(name, path, decision, status, "" if status == 200 else value)
        if status == 200 and b"# TYPE" not in value.body:
            # A 200 that is not Prometheus text is not metrics (a UI page, a proxy's answer).
            result = check_result(name, path, False, result["expected"], "HTTP 200 but not Prometheus text")
        self.results.append(result)

    def check_metrics_anonymous(self):
        if self.options.get("metrics") is None:
            self.results.append(skipped("metrics_anonymous", "", "metrics option not set"))
            return
        self._metrics_probe("metrics_anonymous", None)

    def check_metrics_scraper(self):
        metrics = self.options.get("metrics") or {}
        if not metrics.get("username"):
            self.results.append(skipped("metrics_scraper", "", "no metrics.username given"))
            return
        self._metrics_probe("metrics_scraper", metrics)

    def check_fail_delay(self):
        delay = self.options.get("fail_delay")
        if not delay:
            self.results.append(skipped("fail_delay", "/v2/", "fail_delay not set"))
            return
        username = (self.pusher or self.admin or {}).get("username") or "zotops-check"
        wrong = {"username": username, "password": "wrong-" + os.urandom(8).hex()}
        client = self.client(wrong)
        started = time.monotonic()
        status, value = attempt(lambda: client.ping(expected=200), 200)
        elapsed = time.monotonic() - started
        passed = status == 401 and elapsed >= delay - FAIL_DELAY_TOLERANCE
        observed = "HTTP %s after %.2fs" % (status, elapsed)
        self.results.append(
            check_result(
                "fail_delay",
                "/v2/",
                passed,
                "HTTP 401 after at least %ss (bad password for %s)" % (delay, username),
                observed,
            )
        )


def run_checklist(options, check_mode=False):
    """Run the checklist; returns (checks, leftovers) where leftovers lists images the
    clean-up could not delete."""
    checklist = RegistryChecklist(options, check_mode=check_mode)
    checks = checklist.run()
    return checks, checklist.leftovers
