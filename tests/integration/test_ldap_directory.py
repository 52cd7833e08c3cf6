# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The test directory (tests/support/ldap_directory.py): real slapd, seeded, StartTLS with its
own CA, memberOf kept by the overlay, nothing readable without a bind."""

import os
import subprocess

import pytest

from tests.support import ldap_directory as ldap

pytestmark = pytest.mark.integration


@pytest.fixture
def directory(tmp_path):
    started = ldap.start_ldap_directory(tmp_path)
    yield started
    started.stop()


def search(directory, *args, bind=True, starttls=False):
    argv = ["ldapsearch", "-x", "-LLL", "-H", directory.url, "-b", ldap.PEOPLE_DN]
    argv += ["-D", ldap.BIND_DN, "-w", ldap.BIND_PASSWORD] if bind else []
    argv += ["-ZZ"] if starttls else []
    env = dict(os.environ, LDAPTLS_CACERT=directory.ca_file, LDAPTLS_REQCERT="demand")
    return subprocess.run([*argv, *args], capture_output=True, text=True, env=env, check=False)  # noqa: S603 - test argv


def test_seeded_people_have_their_groups_and_membership_changes_show(directory):
    found = search(directory, "(uid=ci-bot)", "memberOf", starttls=True)
    assert found.returncode == 0, found.stderr
    assert f"memberOf: {ldap.group_dn('artifact-workloads')}" in found.stdout
    admin = search(directory, "(uid=release-admin)", "memberOf").stdout
    assert f"memberOf: {ldap.group_dn('artifact-admins')}" in admin

    directory.remove_member("artifact-workloads", "ci-bot")
    assert "memberOf" not in search(directory, "(uid=ci-bot)", "memberOf").stdout
    directory.add_member("artifact-workloads", "ci-bot")
    assert ldap.group_dn("artifact-workloads") in search(directory, "(uid=ci-bot)", "memberOf").stdout


def test_anonymous_reads_nothing_and_a_wrong_password_does_not_bind(directory):
    assert "uid=ci-bot" not in search(directory, "(uid=ci-bot)", bind=False).stdout
    wrong = subprocess.run(  # noqa: S603
        ["ldapwhoami", "-x", "-H", directory.url, "-D", ldap.person_dn("ci-bot"), "-w", "not-it"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert wrong.returncode == 49  # invalidCredentials
