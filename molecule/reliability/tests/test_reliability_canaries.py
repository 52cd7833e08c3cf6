# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Secret canaries: a unique value planted in every secret-bearing variable of the zot role
never shows up in a converge, an idempotent re-run, a --check --diff run or a failing run
(all -vvv --diff), in zot's journal, or in a world-readable file on the host.

The planted variables are the zot role's `no_log` options (roles/zot/meta/argument_specs.yml):
a new secret option fails test_every_secret_option_gets_a_canary until it is planted here."""

import uuid

import pytest
import reliability_host as rh
import yaml

from test_reliability_bad_inputs import USERS
from test_reliability_rollback import junk_tls

SPEC = rh.ROOT / "roles" / "zot" / "meta" / "argument_specs.yml"
# Options whose canary cannot be planted on this host, with the scenario that covers them.
NOT_PLANTED = {
    # needs a live identity provider at converge: molecule/oidc (its secret is a vault value
    # scanned there) and the failing run below, which stops before any IdP is asked.
    "zot_oidc_client_secret": "molecule/oidc",
    # the checklist must log in with the real identities: their passwords are the vault
    # values every run of this scenario is scanned for (reliability_host.leaked_secrets).
    "zot_verify_pusher": "vault scan",
    "zot_verify_admin": "vault scan",
    "zot_verify_metrics": "vault scan",
    # cluster mode needs its members, Redis and S3 (molecule/cluster): planted here only in
    # the failing cluster run below (CLUSTER_CANARIES). zot itself logs the Redis URL at start
    # (docs/security-model.md).
    "zot_cluster_hash_key": "molecule/cluster, failing cluster run",
    "zot_redis_url": "molecule/cluster, failing cluster run",
    "zot_storage_s3_credentials": "molecule/cluster, failing cluster run",
}


def canary(label):
    return "canary-%s-%s" % (label, uuid.uuid4().hex)


CANARIES = {
    name: canary(name)
    for name in ("htpasswd", "hash", "encrypt", "ldap", "upstream", "extra", "env", "removed")
}
CLUSTER_CANARIES = {name: canary(name) for name in ("redis", "s3-access", "s3-secret")}
CLUSTER_CANARIES["cluster-hash"] = uuid.uuid4().hex[:16]  # zot's SipHash key: 16 bytes


def failing_cluster():
    """A cluster member whose Redis and S3 are not there: zot v2.1.20 logs its config (the
    Redis URL with its password) and exits ("failed to ping redis cache")."""
    return {
        # This host and a member that is not there (a cluster has two at least).
        "zot_cluster_members": [rh.REGISTRY, "127.0.0.1:9"],
        "zot_cluster_hash_key": CLUSTER_CANARIES["cluster-hash"],
        "zot_redis_url": "redis://:%s@127.0.0.1:9/0" % CLUSTER_CANARIES["redis"],
        "zot_storage_s3": {
            "bucket": "zot",
            "region": "us-east-1",
            "endpoint": "http://127.0.0.1:9",
            "secure": False,
        },
        "zot_storage_s3_credentials": {
            "access_key": CLUSTER_CANARIES["s3-access"],
            "secret_key": CLUSTER_CANARIES["s3-secret"],
        },
        # zot verify refuses pull-through sync on remote storage without a download directory.
        "zot_sync_upstreams": [],
        "zot_ready_timeout": 10,
    }


def planted(config_extra=None):
    """Extra vars planting a canary in each secret option (the option names are the keys).

    zot logs its whole config at start (only storage, cache and session drivers, the LDAP
    bind password and OpenID secrets masked), so the zot_config_extra canary is planted only
    in runs that never start zot with it: the dry run and the failing run."""
    return {
        "zot_htpasswd_users": USERS + [{"name": "canary", "password": CANARIES["htpasswd"][:60]}],
        # Not in the live htpasswd, so only passed around: a user removed earlier.
        "zot_htpasswd_removed_users": [{"name": "canary-removed", "password": CANARIES["removed"][:60]}],
        "zot_session_keys": {
            "hash_key": CANARIES["hash"][:64].ljust(64, "x"),
            "encrypt_key": CANARIES["encrypt"][:32],
        },
        "zot_ldap": {
            "address": "127.0.0.1",
            "port": 1,
            "base_dn": "dc=canary,dc=test",
            "user_attribute": "uid",
            "bind_dn": "cn=zot,dc=canary,dc=test",
            "bind_password": CANARIES["ldap"],
        },
        # The canary user is in htpasswd and in no group: a real bystander for the checklist.
        "zot_verify_bystander": {"username": "canary", "password": CANARIES["htpasswd"][:60]},
        "zot_sync_upstreams": [
            {
                "name": "canary.io",
                "urls": ["http://127.0.0.1:9"],
                "prefix": "canary.io",
                "credentials": {"username": "canary", "password": CANARIES["upstream"]},
            }
        ],
        # Stands for an S3 secret key or a Redis password in the escape hatch.
        "zot_config_extra": config_extra or {},
        "zot_environment": {"ZOTOPS_CANARY": CANARIES["env"]},
    }


def secret_options():
    spec = yaml.safe_load(SPEC.read_text())["argument_specs"]["main"]["options"]
    return {name for name, option in spec.items() if option.get("no_log")}


def test_every_secret_option_gets_a_canary():
    assert set(planted()) | set(NOT_PLANTED) == secret_options()


def host_leaks():
    """Canaries in zot's journal or in any world-readable file of the role's directories."""
    journal = rh.host_run("journalctl", "-u", "zot", "--no-pager", "-o", "cat").stdout
    files = rh.host_shell(
        "find /etc/zot /etc/systemd/system /usr/local/bin /var/lib/zot -type f -perm -o=r "
        "-not -name zot -size -2M -print0 | xargs -0 -r cat",
        check=False,
    ).stdout
    return [name for name, value in CANARIES.items() if value in journal or value in files]


@pytest.fixture(scope="module")
def canary_runs(host_state):
    values = list(CANARIES.values()) + [CANARIES["htpasswd"][:60], CANARIES["encrypt"][:32]]
    runs = {}
    try:
        runs["converge"] = rh.run_playbook(host_state.inventory, planted(), extra_secrets=values)
        runs["environment"] = rh.host_shell(
            "stat -c '%U:%G:%a' /etc/zot/zot.env; "
            "tr '\\0' '\\n' < /proc/$(systemctl show -p MainPID --value zot)/environ"
            " | grep -c '^ZOTOPS_CANARY='",
            check=False,
        ).stdout.split()
        runs["rerun"] = rh.run_playbook(host_state.inventory, planted(), extra_secrets=values)
        extra = {"http": {"realm": CANARIES["extra"]}}
        runs["check"] = rh.run_playbook(
            host_state.inventory, planted(extra), check=True, extra_secrets=values
        )
        failing = planted({"http": {"realmm": CANARIES["extra"]}})
        runs["failing"] = rh.run_playbook(host_state.inventory, failing, extra_secrets=values)
        runs["leaks"] = host_leaks()
        # Runs that start zot with secrets in its config and fail at the readiness wait: zot
        # logs its config at start (so its journal holds them from here on), the run must not.
        runs["not_ready"] = rh.run_playbook(
            host_state.inventory, dict(planted(extra), **junk_tls()), extra_secrets=values
        )
        runs["cluster"] = rh.run_playbook(
            host_state.inventory,
            {**planted(), **failing_cluster()},
            extra_secrets=values + list(CLUSTER_CANARIES.values()),
        )
    finally:
        host_state.restore()
    return runs


@pytest.mark.extended
def test_converge_with_canaries_succeeds_and_is_idempotent(canary_runs):
    assert canary_runs["converge"].returncode == 0, canary_runs["converge"]
    rerun = canary_runs["rerun"]
    assert rerun.returncode == 0 and "changed=0 " in rerun.output, rerun
    # The dry run would change config.json (zot_config_extra): no diff of it is shown.
    assert canary_runs["check"].returncode == 0, canary_runs["check"]


@pytest.mark.extended
def test_a_failing_run_with_canaries_fails_without_showing_them(canary_runs):
    # run_playbook already failed the fixture had any canary been in the output.
    assert canary_runs["failing"].returncode != 0 and "realmm" in canary_runs["failing"].output


@pytest.mark.extended
@pytest.mark.parametrize("run", ["not_ready", "cluster"])
def test_a_run_zot_does_not_come_up_from_shows_no_canary(canary_runs, run):
    # zot's own error line, never its config dump; the change is rolled back.
    output = canary_runs[run].output
    assert (
        canary_runs[run].returncode != 0 and "rolled back: the previous state is serving again" in output
    ), canary_runs[run]
    assert "configuration settings" not in output


@pytest.mark.extended
def test_zot_environment_reaches_zot_from_a_root_only_file(canary_runs):
    assert canary_runs["environment"] == ["root:root:600", "1"]


@pytest.mark.extended
def test_no_canary_on_the_host(canary_runs):
    assert canary_runs["leaks"] == []
