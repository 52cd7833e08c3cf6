# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The policy engine against a running registry: for every (identity, repository, action)
the HTTP answer must be the one `decide` predicts. All mismatches are reported at once."""

import itertools

import pytest

from ansible_collections.zotops.registry.plugins.module_utils._policy.engine import (
    ACTIONS,
    decide,
    validate_access_control,
)
from ansible_collections.zotops.registry.plugins.module_utils._registry.oci import OCIClient
from ansible_collections.zotops.registry.plugins.module_utils._registry.http_client import (
    RegistryClient,
    RegistryHTTPError,
)
from ansible_collections.zotops.registry.plugins.plugin_utils._zot.htpasswd import hash_password

pytestmark = pytest.mark.integration

PASSWORD = "s3cret-pw"
USERS = ["admin", "ci", "alice", "olga", "bob"]
# bcrypt's minimum cost keeps hundreds of authenticated requests fast.
HTPASSWD = "".join(f"{user}:{hash_password(PASSWORD, 4)}\n" for user in USERS)

ACCESS_CONTROL = {
    "groups": {"ci": {"users": ["ci"]}, "ops": {"users": ["olga"]}},
    "repositories": {
        "lib/**": {"defaultPolicy": ["read"], "anonymousPolicy": ["read"]},
        "apps/**": {
            "policies": [
                {"groups": ["ci"], "actions": ["read", "create"]},
                {"users": ["alice"], "actions": ["read", "create", "update", "delete"]},
            ],
            "defaultPolicy": ["read"],
        },
        # Longer than apps/**: nothing falls back to apps/** for apps/secret/<x>.
        "apps/secret/*": {"policies": [{"users": ["alice"], "actions": ["read"]}]},
        # Anonymous may read, authenticated callers may not (no defaultPolicy).
        "public/*": {"anonymousPolicy": ["read"]},
        "team/*": {"policies": [{"groups": ["ops"], "actions": ["read", "create", "update"]}]},
    },
    "adminPolicy": {"users": ["admin"], "actions": list(ACTIONS)},
}
# other/x matches no glob: admin only.
REPOS = ["lib/base", "apps/web", "apps/secret/db", "public/site", "team/tool", "other/x"]
IDENTITIES = [{"anonymous": True}] + [{"user": user} for user in USERS]


def client(registry, who):
    if who.get("anonymous"):
        return OCIClient(RegistryClient(registry.url))
    return OCIClient(RegistryClient(registry.url, username=who["user"], password=PASSWORD))


def observed_status(probe) -> int:
    """200 when every request of the probe succeeded, else the refusing status."""
    try:
        probe()
    except RegistryHTTPError as exc:
        return exc.status
    return 200


def test_registry_answers_as_the_engine_decides(tmp_path, zot_registry):
    errors, _warnings = validate_access_control(
        ACCESS_CONTROL, auth_methods={"htpasswd"}, zot_version="v2.1.20"
    )
    assert errors == []
    registry = zot_registry(
        tmp_path,
        {
            "http": {
                "auth": {"htpasswd": {"path": "{tmp}/htpasswd"}},
                "accessControl": ACCESS_CONTROL,
            },
            "log": {"level": "info"},
        },
        files={"htpasswd": HTPASSWD},
    )
    admin = client(registry, {"user": "admin"})
    seeds = {repo: admin.push_image(repo, "seed") for repo in REPOS}
    counter = itertools.count()

    def probes(oci, repo):
        def read():
            oci.get_manifest(repo, "seed")

        def create():
            oci.push_image(repo, f"new-{next(counter)}")

        def update():
            # Re-push of an existing tag, identical manifest: still needs update.
            oci.put_manifest(repo, "seed", seeds[repo]["manifest"])

        def delete():
            victim = admin.push_image(repo, f"victim-{next(counter)}")
            oci.delete_manifest(repo, victim["digest"])

        return {"read": read, "create": create, "update": update, "delete": delete}

    mismatches = []
    checked = 0
    seen_statuses = set()
    for who in IDENTITIES:
        oci = client(registry, who)
        for repo in REPOS:
            for action, probe in probes(oci, repo).items():
                decision = decide(ACCESS_CONTROL, who, repo, action)
                status = observed_status(probe)
                checked += 1
                seen_statuses.add(status)
                if status != decision["status"]:
                    mismatches.append(
                        f"{who} {action} {repo}: registry answered {status}, engine decided "
                        f"{decision['status']} ({decision['reason']})"
                    )
    assert checked == len(IDENTITIES) * len(REPOS) * len(ACTIONS)
    # The policies exercise every kind of answer, so a registry allowing or refusing
    # everything cannot pass.
    assert seen_statuses == {200, 401, 403}
    assert not mismatches, "\n".join(mismatches) + "\n" + registry.log_text()[-3000:]
