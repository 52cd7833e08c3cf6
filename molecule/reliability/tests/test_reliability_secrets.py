# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Secrets stay out of output: a check-mode run with --diff and -vvv that would rotate every
secret shows neither the old nor the new values, and zot's journal shows none. (Every other
playbook run in this scenario goes through the same scan in reliability_host.run_playbook.)"""

import reliability_host as rh

# New values for every secret the role writes; never used outside this check-mode run.
ROTATED = {
    "ci": "rotated-ci-Vq3xT9",
    "admin": "rotated-admin-Lk8wP2",
    "hash_key": "r" * 64,
    "encrypt_key": "e" * 32,
    "bind_password": "rotated-ldap-Zm4nB7",
}


def test_check_diff_vvv_run_rotating_every_secret_shows_none(restore_after):
    before = restore_after.baseline
    run = rh.run_playbook(
        restore_after.inventory,
        {
            "zot_htpasswd_users": [
                {"name": "ci", "password": ROTATED["ci"], "groups": ["artifact-workloads"]},
                {"name": "admin", "password": ROTATED["admin"], "groups": ["artifact-admins"]},
                {"name": "prometheus", "password": "{{ vault_zot_prometheus_password }}"},
                {"name": "viewer", "password": "{{ vault_zot_viewer_password }}"},
                {"name": "ci-bot", "machine": True, "groups": ["artifact-workloads"]},
            ],
            "zot_session_keys": {"hash_key": ROTATED["hash_key"], "encrypt_key": ROTATED["encrypt_key"]},
            "zot_ldap": {
                "address": "ldap.example.test",
                "port": 636,
                "base_dn": "dc=example,dc=test",
                "user_attribute": "uid",
                "bind_dn": "cn=zot,dc=example,dc=test",
                "bind_password": ROTATED["bind_password"],
            },
        },
        check=True,
        extra_secrets=list(ROTATED.values()),
    )
    # Check mode stops at the verification checklist (the old passwords are still live), so
    # only the absence of leaks and of changes is asserted, not success.
    assert "TASK [zotops.registry.zot : Write the secret files]" in run.output, run
    assert rh.fingerprint() == before


def test_zot_journal_shows_no_secret():
    journal = rh.host_run("journalctl", "-u", "zot", "--no-pager", "-o", "cat").stdout
    assert journal, "no journal for zot"
    assert not rh.leaked_secrets(journal)
