# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The weakened-deployment matrix: the checklist flags every way to weaken the hardened zot.

Each case builds zot's config with the collection's own builder (zot_config) from the zot
role's defaults (the hardened deployment), weakens it one way, starts real zot on loopback
with it, and runs the checklist as zot_registry_check does (module_utils, same options)
with the INTENDED policy, or with the weakened one where the role would have rendered it
(CHECKED_AS_DEPLOYED). The case passes only when the checklist fails and names the check
that catches the drift; the unweakened deployment must pass every check.
"""

import copy
from concurrent.futures import ThreadPoolExecutor
import json
import pathlib

import pytest

from harness import zot
from harness.role_defaults import zot_role_defaults, zot_settings

from ansible_collections.zotops.registry.plugins.plugin_utils._zot import config as zot_config
from ansible_collections.zotops.registry.plugins.module_utils._checks.checklist import (
    format_table,
    run_checklist,
)
from ansible_collections.zotops.registry.plugins.module_utils._registry.http_client import RegistryClient
from ansible_collections.zotops.registry.plugins.module_utils._registry.zot_api import ZotApi
from ansible_collections.zotops.registry.plugins.plugin_utils._zot.htpasswd import MIN_COST, hash_password
from ansible_collections.zotops.registry.plugins.plugin_utils._zot.secret_files import secret_files

pytestmark = pytest.mark.integration

DEFAULTS = zot_role_defaults()
PASSWORDS = {
    "ci": "ci-password-0123",
    "admin": "admin-password-0123",
    "prometheus": "prom-password-0123",
    "outsider": "outsider-password-0123",
}
USERS = [
    {"name": "ci", "groups": ["artifact-workloads"]},
    {"name": "admin", "groups": ["artifact-admins"]},
    {"name": "prometheus", "groups": []},
    {"name": "outsider", "groups": []},
]
# A pull-through namespace (its upstream is never reached: the probes do not pull).
UPSTREAMS = [{"name": "docker", "urls": ["http://127.0.0.1:9"], "prefix": "docker.io"}]
# The operator's policy: the role's default plus a private namespace only CI reads.
INTENDED_DECLARED = copy.deepcopy(DEFAULTS["zot_access_control"])
INTENDED_DECLARED["repositories"]["private/**"] = {
    "policies": [{"groups": ["artifact-workloads"], "actions": ["read", "create"]}]
}
INTENDED = zot_config.effective_access_control(INTENDED_DECLARED, USERS, UPSTREAMS)


def hardened_config(tmp_path):
    """zot's config for the role's defaults plus the users, upstream and policy above."""
    settings = zot_settings(
        config_dir=str(tmp_path),
        storage_dir=str(tmp_path / "storage"),
        http_port=0,
        htpasswd_users=USERS,
        api_keys_enabled=True,  # the pusher_api_key check needs them (off by default)
        secure_session=False,
        access_control=copy.deepcopy(INTENDED),
        sync_upstreams=UPSTREAMS,
        config_extra={},
        audit_log_enabled=False,  # a file of the host's, not what the checklist probes
    )
    config = zot_config.build_config(settings)
    del config["http"]["port"]  # harness/zot.py picks a free one
    return config


def repositories(config):
    return config["http"]["accessControl"]["repositories"]


def grant(glob, actions, **who):
    def weaken(config):
        repositories(config)[glob].setdefault("policies", []).append(dict(who, actions=actions))

    return weaken


def add_to(glob, key, action):
    def weaken(config):
        repositories(config)[glob].setdefault(key, []).append(action)

    return weaken


def set_path(value, *path):
    def weaken(config):
        node = config
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return weaken


def drop(*path):
    def weaken(config):
        node = config
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return weaken


def stale_key_groups(registry):
    """outsider logs in while still in the CI group, creates an API key, then leaves the
    group (zot restarts with the intended policy): the key keeps the CI group."""
    api = ZotApi(RegistryClient(registry.url, "outsider", PASSWORDS["outsider"]), "outsider")
    key = api.create_api_key("check", [], None).secret
    registry.config["http"]["accessControl"] = copy.deepcopy(INTENDED)
    pathlib.Path(registry.config_path).write_text(json.dumps(registry.config), encoding="utf-8")
    registry.restart()
    return {"bystander": {"username": "outsider", "password": key, "groups": []}}


def in_ci_group(user):
    def weaken(config):
        config["http"]["accessControl"]["groups"]["artifact-workloads"]["users"].append(user)

    return weaken


# (case id, weakening of the hardened config, the check that must name it)
CASES = [
    ("default-policy-gains-create", add_to("**", "defaultPolicy", "create"), "bystander_access"),
    ("default-policy-gains-delete", add_to("**", "defaultPolicy", "delete"), "bystander_access"),
    ("anonymous-write", add_to("**", "anonymousPolicy", "create"), "anonymous_access"),
    (
        "ci-grant-on-pull-through",
        grant("docker.io/**", ["create"], groups=["artifact-workloads"]),
        "pusher_access",
    ),
    (
        "pull-through-namespace-missing",
        drop("http", "accessControl", "repositories", "docker.io/**"),
        "pusher_access",
    ),
    (
        "pull-through-writable-by-anyone",
        add_to("docker.io/**", "defaultPolicy", "create"),
        "bystander_access",
    ),
    ("ci-may-update-tags", grant("**", ["update"], groups=["artifact-workloads"]), "pusher_overwrite"),
    ("ci-may-delete", grant("**", ["delete"], users=["ci"]), "pusher_delete"),
    ("no-admin-policy", drop("http", "accessControl", "adminPolicy"), "admin_access"),
    (
        "admin-policy-missing-delete",
        set_path(["read", "create", "update"], "http", "accessControl", "adminPolicy", "actions"),
        "admin_access",
    ),
    (
        "outsider-in-admin-group",
        set_path({"users": ["admin", "outsider"]}, "http", "accessControl", "groups", "artifact-admins"),
        "bystander_access",
    ),
    (
        "second-glob-shadows-root",
        set_path(
            {"defaultPolicy": ["read", "create"], "anonymousPolicy": ["read"]},
            "http",
            "accessControl",
            "repositories",
            "*/**",
        ),
        "bystander_access",
    ),
    ("bystander-reads-private", add_to("private/**", "defaultPolicy", "read"), "bystander_access"),
    ("anonymous-reads-private", add_to("private/**", "anonymousPolicy", "read"), "anonymous_access"),
    ("fail-delay-zero", set_path(0, "http", "auth", "failDelay"), "fail_delay"),
    ("api-keys-off", set_path(False, "http", "auth", "apikey"), "pusher_api_key"),
    ("ui-missing", drop("extensions", "ui"), "ui"),
    (
        "metrics-open-to-anonymous",
        set_path(["read"], "http", "accessControl", "metrics", "anonymousPolicy"),
        "metrics_anonymous",
    ),
    (
        "metrics-open-to-outsider",
        set_path(["prometheus", "outsider"], "http", "accessControl", "metrics", "users"),
        "metrics_bystander",
    ),
    ("stale-api-key-groups", in_ci_group("outsider"), "bystander_access"),
    # A `group:` typo in CI's zot_htpasswd_users entry: the role renders, deploys and checks
    # a policy without CI in its group, so the rendered policy itself refuses CI's push.
    (
        "ci-out-of-its-group",
        set_path({"users": []}, "http", "accessControl", "groups", "artifact-workloads"),
        "pusher_push",
    ),
]
ADMIN_CANNOT_DELETE = {"no-admin-policy", "admin-policy-missing-delete"}
# Cases checked against the policy they deploy, as the role checks what it rendered.
CHECKED_AS_DEPLOYED = {"ci-out-of-its-group"}
# Cases deployed and checked at the same time (each zot on its own port and directory).
CASE_WORKERS = 4
AFTER_START = {"stale-api-key-groups": stale_key_groups}


def checklist_options(url, **overrides):
    """The options zot_registry_check gets from the role's verify task."""
    options = {
        "url": url,
        "access_control": INTENDED,
        "repository": "zotops/registry-check",
        "pusher": {"username": "ci", "password": PASSWORDS["ci"], "groups": []},
        "admin": {"username": "admin", "password": PASSWORDS["admin"], "groups": []},
        "bystander": {"username": "outsider", "password": PASSWORDS["outsider"], "groups": []},
        "metrics": {"path": "/metrics", "username": "prometheus", "password": PASSWORDS["prometheus"]},
        "fail_delay": DEFAULTS["zot_auth_fail_delay"],
        "api_keys": True,
        "ui": True,
        "pull_through": [],
    }
    options.update(overrides)
    return options


def run_case(tmp_path, case, weaken, checks=None):
    """Deploy the hardened config weakened by ``weaken`` (None: as it is), run the checklist
    (``checks``: only these) with the intended policy; returns its outcome. The registry is
    stopped again."""
    config = hardened_config(tmp_path)
    if weaken:
        weaken(config)
    # The lowest bcrypt cost keeps zot's per-request password check cheap for the matrix.
    htpasswd = "".join("%s:%s\n" % (name, hash_password(pw, MIN_COST)) for name, pw in PASSWORDS.items())
    # The secret files as the role writes them (htpasswd, generated session keys).
    files = {
        item["name"]: item["content"] for item in secret_files({"htpasswd": htpasswd}) if item["content"]
    }
    registry = zot.start(tmp_path, config, files)
    try:
        overrides = AFTER_START[case](registry) if case in AFTER_START else {}
        if case in CHECKED_AS_DEPLOYED:
            overrides["access_control"] = config["http"]["accessControl"]
        return run_checklist(checklist_options(registry.url, checks=checks, **overrides))
    finally:
        registry.stop()


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """Every case's checklist outcome; the cases run side by side, each on its own zot. The
    hardened deployment gets the whole checklist, a weakened one the check that must flag it
    (and, where the admin cannot delete, pusher_push, whose image the clean-up must report)."""
    cases = [("hardened", None, None)] + [
        (case, weaken, [name] + (["pusher_push"] if case in ADMIN_CANNOT_DELETE else []))
        for case, weaken, name in CASES
    ]
    with ThreadPoolExecutor(max_workers=CASE_WORKERS) as pool:
        futures = {
            case: pool.submit(run_case, tmp_path_factory.mktemp(case), case, weaken, checks)
            for case, weaken, checks in cases
        }
    return {case: future.result() for case, future in futures.items()}


def test_hardened_deployment_passes_every_check(outcomes):
    outcome = outcomes["hardened"]
    failed = [c for c in outcome["checks"] if c["status"] == "failed"]
    assert failed == [], "\n".join(format_table(outcome["checks"]))
    statuses = {c["name"]: c["status"] for c in outcome["checks"]}
    assert {name for name, status in statuses.items() if status == "skipped"} <= {
        "tls",
        "mtls",
        "pull_through",
        "pusher_tag_rules",  # no tag rules here (test_registry_check_tag_rules.py has them)
    }
    assert outcome["leftovers"] == []
    assert 0 < outcome["probes"]["run"] == outcome["probes"]["planned"]


@pytest.mark.parametrize(
    "case, check_name", [(case, name) for case, _unused, name in CASES], ids=[c[0] for c in CASES]
)
def test_weakened_deployment_is_flagged(outcomes, case, check_name):
    outcome = outcomes[case]
    failed = {c["name"] for c in outcome["checks"] if c["status"] == "failed"}
    assert check_name in failed, "%s not flagged:\n%s" % (case, "\n".join(format_table(outcome["checks"])))
    # Without the admin's delete the clean-up cannot remove the pusher's image: it says so.
    assert bool(outcome["leftovers"]) == (case in ADMIN_CANNOT_DELETE)
