# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Bad input matrix: every malformed setting, given to a converged host, fails the play with
a message naming the offending field, and the host is left exactly as it was: watched files
byte-identical (same owner and mode), zot not restarted, and an image pushed before still
pulled with the same digest."""

import hashlib
import socket

import pytest
import reliability_host as rh

from harness.placeholders import fill

# The test inventory's users, as the extra vars of a case must restate them.
USERS = [
    {"name": "ci", "password": "{{ vault_zot_ci_password }}", "groups": ["artifact-workloads"]},
    {"name": "admin", "password": "{{ vault_zot_admin_password }}", "groups": ["artifact-admins"]},
    {"name": "prometheus", "password": "{{ vault_zot_prometheus_password }}"},
    {"name": "viewer", "password": "{{ vault_zot_viewer_password }}"},
    {"name": "ci-bot", "machine": True, "groups": ["artifact-workloads"]},
]
ADMIN_POLICY = {"groups": ["artifact-admins"], "actions": ["read", "create", "update", "delete"]}


def policy(repositories, **extra):
    """zot_access_control with the given repositories and the role's admin/metrics policy."""
    return {
        "zot_access_control": {
            "repositories": repositories,
            "adminPolicy": ADMIN_POLICY,
            "metrics": {"users": ["prometheus"]},
            **extra,
        }
    }


def ci_can(*actions):
    return {
        "**": {
            "anonymousPolicy": ["read"],
            "policies": [{"groups": ["artifact-workloads"], "actions": list(actions)}],
        }
    }


# (id, extra vars, substrings the failure output must contain: the field and the reason).
# "{release}" in a value is replaced by the URL of a local fake release server.
CASES = [
    ("policy-unknown-action", policy(ci_can("read", "push")), ["policies[0].actions[1]", "unknown action"]),
    (
        "policy-leading-slash-glob",
        policy({"/team/**": {"anonymousPolicy": ["read"]}}),
        ["/team/**", "leading"],
    ),
    (
        "policy-unclosed-bracket-glob",
        policy({"team/[ab": {"anonymousPolicy": ["read"]}}),
        ["team/[ab", "invalid glob"],
    ),
    (
        "policy-overlapping-globs",
        # Both 6 bytes long and both match "team/apps": zot would pick one at random.
        policy({"team/*": {"defaultPolicy": ["read"]}, "*/apps": {"defaultPolicy": ["read", "create"]}}),
        ["*/apps", "overlaps", "same length"],
    ),
    ("policy-update-without-create", policy(ci_can("read", "update")), ["policies[0].actions", "update"]),
    ("policy-create-without-read", policy(ci_can("create")), ["policies[0].actions", "read"]),
    (
        "policy-uppercase-group",
        policy(
            {"**": {"policies": [{"groups": ["CI-Pushers"], "actions": ["read"]}]}},
            groups={"CI-Pushers": {"users": ["ci"]}},
        ),
        ["CI-Pushers", "lowercases group names"],
    ),
    (
        "policy-anonymous-push",
        policy({"**": {"anonymousPolicy": ["read", "create"]}}),
        ["anonymousPolicy", "anonymous callers may"],
    ),
    ("policy-not-a-mapping", {"zot_access_control": ["read"]}, ["accessControl", "dict"]),
    ("policy-unknown-key", policy({"**": {"anonymousPolicies": ["read"]}}), ["anonymousPolicies"]),
    (
        "policy-requirement-violated",
        {
            "zot_access_policy_require": [
                {"who": {"anonymous": True}, "repos": ["team/app"], "cannot": ["read"]}
            ]
        },
        ["team/app", "read"],
    ),
    ("zot-version-too-old-for-immutable-tags", {"zot_version": "v2.1.14"}, ["v2.1.14", "immutable"]),
    ("zot-version-malformed", {"zot_version": "2.1.20"}, ["zot_version"]),
    # The real v2.1.20 binary, declared as v2.1.19: `zot -v` tells them apart before any change.
    (
        "zot-version-not-the-binary",
        {"zot_version": "v2.1.19"},
        ["zot_binary_local_path is zot v2.1.20", "zot_version is v2.1.19"],
    ),
    (
        "external-url-trailing-path",
        {"zot_external_url": "https://zot.example.test/registry/"},
        ["zot_external_url"],
    ),
    ("external-url-without-scheme", {"zot_external_url": "zot.example.test"}, ["zot_external_url"]),
    ("http-port-out-of-range", {"zot_http_port": 70000}, ["zot_http_port"]),
    ("tls-cert-without-key", {"zot_tls_cert": "/etc/zot/tls.crt"}, ["zot_tls_cert", "zot_tls_key"]),
    (
        "session-hash-key-too-short",
        {
            "zot_session_keys": {
                "hash_key": "0123456789",
                "encrypt_key": "{{ vault_zot_session_encrypt_key }}",
            }
        },
        ["zot_session_keys.hash_key"],
    ),
    (
        "session-encrypt-key-too-short",
        {"zot_session_keys": {"hash_key": "{{ vault_zot_session_hash_key }}", "encrypt_key": "short"}},
        ["zot_session_keys", "encrypt_key"],
    ),
    (
        "htpasswd-empty-password",
        {"zot_htpasswd_users": USERS + [{"name": "newbie", "password": ""}]},
        ["zot_htpasswd_users[5].password", "empty"],
    ),
    (
        "htpasswd-duplicate-user",
        {"zot_htpasswd_users": USERS + [{"name": "ci", "password": "other-secret"}]},
        ["zot_htpasswd_users[5].name", "twice"],
    ),
    (
        "htpasswd-colon-in-name",
        {"zot_htpasswd_users": USERS + [{"name": "a:b", "password": "pw-1234"}]},
        ["zot_htpasswd_users[5].name"],
    ),
    (
        "htpasswd-password-over-72-bytes",
        {"zot_htpasswd_users": USERS + [{"name": "long", "password": "x" * 73}]},
        ["zot_htpasswd_users[5].password", "72"],
    ),
    ("bcrypt-cost-too-low", {"zot_htpasswd_bcrypt_cost": 4}, ["zot_htpasswd_bcrypt_cost"]),
    ("bcrypt-cost-above-31", {"zot_htpasswd_bcrypt_cost": 32}, ["zot_htpasswd_bcrypt_cost", "10 to 31"]),
    (
        # "ci\nadmin" would write a second htpasswd line giving admin ci's password.
        "htpasswd-newline-in-name",
        {"zot_htpasswd_users": USERS + [{"name": "ci\nadmin", "password": "pw-1234"}]},
        ["zot_htpasswd_users[5].name", "control characters"],
    ),
    (
        "htpasswd-password-trailing-newline",
        {"zot_htpasswd_users": USERS + [{"name": "newbie", "password": "pw-1234\n"}]},
        ["zot_htpasswd_users[5].password", "newline"],
    ),
    (
        "htpasswd-numeric-password",
        {"zot_htpasswd_users": USERS + [{"name": "newbie", "password": 12345678}]},
        ["zot_htpasswd_users[5].password", "must be a string"],
    ),
    (
        "htpasswd-groups-a-string",
        {
            "zot_htpasswd_users": USERS
            + [{"name": "newbie", "password": "pw-1234", "groups": "artifact-workloads"}]
        },
        ["zot_htpasswd_users[5].groups", "list"],
    ),
    (
        "policy-names-an-unknown-user",
        policy(
            {
                "**": {
                    "anonymousPolicy": ["read"],
                    "policies": [{"users": ["cii"], "actions": ["read", "create"]}],
                }
            }
        ),
        ["policies[0].users[0]", "cii is not a local user"],
    ),
    (
        # CI's own group misspelt: zot would enforce the policy exactly, without CI's push.
        "policy-takes-ci-push-away",
        {"zot_htpasswd_users": [dict(USERS[0], groups=["artifact-workload"])] + USERS[1:]},
        ["zot_verify_pusher (ci, CI pushes new tags)", "must be able to create"],
    ),
    (
        "policy-takes-the-admins-delete-away",
        policy(
            ci_can("read", "create"),
            adminPolicy=dict(ADMIN_POLICY, actions=["read", "create", "update"]),
        ),
        ["zot_verify_admin (admin", "must be able to delete"],
    ),
    (
        "policy-group-nothing-can-fill",
        policy(
            {
                "**": {
                    "anonymousPolicy": ["read"],
                    "policies": [
                        {"groups": ["artifact-workloads"], "actions": ["read", "create"]},
                        {"groups": ["release-managers"], "actions": ["read", "create"]},
                    ],
                }
            }
        ),
        ['repositories["**"].policies[1].groups[0]', "has no members"],
    ),
    ("fail-delay-negative", {"zot_auth_fail_delay": -1}, ["zot_auth_fail_delay"]),
    (
        "upstream-url-without-scheme",
        {
            "zot_sync_upstreams": [
                {"name": "docker.io", "urls": ["registry-1.docker.io"], "prefix": "docker.io"}
            ]
        },
        ["zot_sync_upstreams[0].urls[0]", "http(s) URL"],
    ),
    (
        "upstream-without-urls",
        {"zot_sync_upstreams": [{"name": "docker.io", "prefix": "docker.io"}]},
        ["zot_sync_upstreams[0].urls"],
    ),
    (
        "upstream-duplicate-prefix",
        {
            "zot_sync_upstreams": [
                {"name": "docker.io", "urls": ["https://registry-1.docker.io"], "prefix": "docker.io"},
                {"name": "mirror", "urls": ["https://mirror.gcr.io"], "prefix": "docker.io"},
            ]
        },
        ["zot_sync_upstreams[1].prefix", "already the prefix"],
    ),
    (
        "environment-in-the-unit",
        {
            "zot_systemd_extra_service_settings": [
                "TimeoutStopSec=60",
                "Environment=HTTPS_PROXY=http://u:p@proxy:3128",
            ]
        },
        ["zot_systemd_extra_service_settings[1]", "zot_environment"],
    ),
    (
        "minimal-flavour-with-metrics",
        {"zot_flavour": "minimal"},
        ["zot_metrics_enabled", "zot_flavour: minimal"],
    ),
    (
        "ldap-unknown-key",
        {
            "zot_ldap": {
                "address": "ldap.example.test",
                "port": 636,
                "base_dn": "dc=example",
                "user_attribute": "uid",
                "bind_pasword": "typo",
            }
        },
        ["zot_ldap.bind_pasword", "unknown"],
    ),
    # zot gives every identity named "admin" the local admin's groups and API-key rights: an
    # OpenID username claim other than email could name an IdP user like a local user.
    (
        "oidc-claim-could-name-a-local-user",
        {
            "zot_oidc_enabled": True,
            "zot_oidc_issuer": "https://idp.example.test",
            "zot_external_url": "https://zot.example.test",
            "zot_oidc_claim_username": "preferred_username",
        },
        ["zot_htpasswd_users[0].name: ci could also be an OpenID user", "zot_oidc_claim_username"],
    ),
    # A misspelt key at any level of a structured variable (the role's argument spec): `group`
    # would otherwise leave CI in no group, without push rights, and the run would pass.
    (
        "htpasswd-misspelt-groups-key",
        {
            "zot_htpasswd_users": [
                {"name": "ci", "password": USERS[0]["password"], "group": USERS[0]["groups"]},
                *USERS[1:],
            ]
        },
        ["zot_htpasswd_users.group", "Supported parameters include: groups, machine, name, password"],
    ),
    (
        "upstream-misspelt-key",
        {
            "zot_sync_upstreams": [
                {
                    "name": "docker.io",
                    "urls": ["https://registry-1.docker.io"],
                    "prefix": "docker.io",
                    "tls_verfy": False,
                }
            ]
        },
        ["zot_sync_upstreams.tls_verfy", "unknown key"],
    ),
    (
        "upstream-credentials-misspelt-key",
        {
            "zot_sync_upstreams": [
                {
                    "name": "docker.io",
                    "urls": ["https://registry-1.docker.io"],
                    "prefix": "docker.io",
                    "credentials": {"username": "hub-user", "pasword": "hub-token"},
                }
            ]
        },
        ["zot_sync_upstreams.credentials.pasword", "Supported parameters include: password, username"],
    ),
    ("verify-without-pusher", {"zot_verify_pusher": {}}, ["zot_verify_pusher"]),
    ("binary-source-unknown", {"zot_binary_source": "download"}, ["zot_binary_source"]),
    (
        "local-binary-missing",
        {"zot_binary_local_path": "/nonexistent/zot-binary"},
        ["/nonexistent/zot-binary"],
    ),
    (
        "release-checksum-mismatch",
        {"zot_binary_source": "release", "zot_release_base_url": "{release}"},
        ["checksum", "zot-linux-amd64"],
    ),
    (
        "release-pinned-checksum-wrong",
        {
            "zot_binary_source": "release",
            "zot_release_base_url": "{release}",
            "zot_binary_checksum": "0" * 64,
        },
        ["checksum"],
    ),
    (
        "release-asset-not-in-checksums",
        {
            "zot_binary_source": "release",
            "zot_release_base_url": "{release}",
            "zot_flavour": "minimal",
            "zot_metrics_enabled": False,
        },
        ["checksum", "zot-linux-amd64-minimal"],
    ),
    ("config-extra-unknown-key", {"zot_config_extra": {"http": {"realmm": "typo"}}}, ["realmm"]),
    (
        # The fingerprint compares htpasswd: the rotated password must not go live either.
        "bad-config-with-a-password-rotation",
        {
            "zot_config_extra": {"http": {"realmm": "typo"}},
            "zot_htpasswd_users": [dict(USERS[0], password="rotated-ci-password")] + USERS[1:],  # noqa: S106
        },
        ["realmm"],
    ),
    ("config-extra-bad-log-level", {"zot_config_extra": {"log": {"level": "chatty"}}}, ["level"]),
    # zot verify does not open TLS files and cannot know the port is taken: only a preflight
    # check in roles/zot can refuse these before config.json changes (docs/reliability.md).
    # The short ready timeout only bounds how long a role without that check waits.
    pytest.param(
        {
            "zot_tls_cert": "/etc/zot/missing.crt",
            "zot_tls_key": "/etc/zot/missing.key",
            "zot_ready_timeout": 10,
        },
        ["/etc/zot/missing.crt"],
        id="tls-files-missing",
    ),
    pytest.param(
        {
            "zot_tls_cert": "{tls_dir}/tls.crt",
            "zot_tls_key": "{tls_dir}/tls.key",
            "zot_ready_timeout": 10,
        },
        ["{tls_dir}/tls.key", "cannot be read by the zot user"],
        id="tls-key-only-root-can-read",
    ),
    pytest.param(
        {"zot_storage_dir": "{absent_mount}/zot"},
        ["zot_storage_dir", "{absent_mount}", "not mounted"],
        id="storage-on-an-unmounted-filesystem",
    ),
    pytest.param(
        {"zot_http_port": "{busy_port}", "zot_ready_timeout": 10},
        ["{busy_port}"],
        id="port-clash",
    ),
    # zot opens these as the zot user inside the unit's sandbox; a check outside it passed
    # them all and zot crash-looped with "permission denied" (docs/reliability.md).
    pytest.param(
        {
            "zot_tls_cert": "{home_tls_dir}/tls.crt",
            "zot_tls_key": "{home_tls_dir}/tls.key",
            "zot_ready_timeout": 10,
        },
        ["zot_tls_cert {home_tls_dir}/tls.crt", "zot_tls_key {home_tls_dir}/tls.key", "ProtectHome=true"],
        id="tls-files-under-home",
    ),
    pytest.param(
        {"zot_storage_dir": "/home/zotops-storage"},
        ["zot_storage_dir /home/zotops-storage", "hides it", "ProtectHome=true"],
        id="storage-dir-under-home",
    ),
    pytest.param(
        {"zot_log_dir": "/tmp/zotops-log"},  # noqa: S108 - a path the sandbox hides
        ["zot_log_dir /tmp/zotops-log", "hides it", "PrivateTmp=true"],
        id="log-dir-under-tmp",
    ),
    pytest.param(
        {"zot_config_dir": "/tmp/zotops-config"},  # noqa: S108 - a path the sandbox hides
        ["zot_config_dir /tmp/zotops-config", "PrivateTmp=true"],
        id="secret-files-under-tmp",
    ),
    pytest.param(
        {"zot_systemd_extra_service_settings": ["ReadOnlyPaths=/var/lib/zot"]},
        ["zot_storage_dir /var/lib/zot", "makes it read-only", "ReadOnlyPaths"],
        id="storage-dir-made-read-only",
    ),
]


@pytest.fixture(scope="module")
def fake_release(static_server):
    """A fake release: an asset that is not zot and a checksum list that does not match it."""
    url, directory = static_server
    asset = b"#!/bin/sh\necho not zot\n"
    (directory / "zot-linux-amd64").write_bytes(asset)
    (directory / "zot-linux-amd64-minimal").write_bytes(asset)
    wrong = hashlib.sha256(asset + b"tampered").hexdigest()
    (directory / "checksums.sha256.txt").write_text("%s  zot-linux-amd64\n" % wrong)
    return url


@pytest.fixture(scope="module")
def tls_dir():
    """TLS files on the host whose key only root can read (0600 root:root)."""
    path = "/etc/zotops-test-tls"
    rh.host_shell("install -d -m 0755 %s" % path)
    rh.host_shell(
        "install -m 0644 /dev/null %s/tls.crt && install -m 0600 /dev/null %s/tls.key" % (path, path)
    )
    return path


@pytest.fixture(scope="module")
def home_tls_dir():
    """TLS files under /home that the zot group may read (0640 root:zot): the unit's
    ProtectHome hides them from zot all the same."""
    path = "/home/zotops-test-tls"
    rh.host_shell("install -d -m 0755 %s" % path)
    rh.host_shell(
        "install -m 0640 -g zot /dev/null %s/tls.crt && install -m 0640 -g zot /dev/null %s/tls.key"
        % (path, path)
    )
    return path


@pytest.fixture(scope="module")
def absent_mount():
    """A mount point /etc/fstab lists (noauto) that is not mounted."""
    path = "/srv/zotops-absent"
    line = "tmpfs %s tmpfs noauto 0 0" % path
    rh.host_shell("echo '%s' >> /etc/fstab" % line)
    yield path
    rh.host_shell("sed -i '\\#^%s$#d' /etc/fstab" % line)


@pytest.fixture(scope="module")
def busy_port():
    """A loopback port something else already listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def _params(cases):
    return [case if hasattr(case, "marks") else pytest.param(*case[1:], id=case[0]) for case in cases]


@pytest.mark.parametrize("extra_vars, expected", _params(CASES))
def test_bad_input_fails_clearly_and_changes_nothing(
    extra_vars,
    expected,
    restore_after,
    seed_image,
    fake_release,
    busy_port,
    tls_dir,
    home_tls_dir,
    absent_mount,
):
    placeholders = {
        "{release}": fake_release,
        "{busy_port}": busy_port,
        "{tls_dir}": tls_dir,
        "{home_tls_dir}": home_tls_dir,
        "{absent_mount}": absent_mount,
    }
    before = restore_after.baseline
    run = rh.run_playbook(restore_after.inventory, fill(extra_vars, placeholders))

    assert run.returncode != 0, run
    assert "fatal:" in run.output or "ERROR!" in run.output, run
    for text in fill(expected, placeholders):
        assert str(text) in run.output, "%r not in the failure output: %r" % (text, run)
    assert rh.fingerprint() == before
    assert rh.pull_digest(seed_image) == seed_image.digest
