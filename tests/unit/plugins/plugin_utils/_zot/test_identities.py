# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""One identity name, one source: LDAP never asked about a local name, OpenID claims that could
produce one refused (plugins/plugin_utils/_zot/identities.py)."""

import pytest

from ansible_collections.zotops.registry.plugins.plugin_utils._zot import identities
from ansible_collections.zotops.registry.plugins.plugin_utils._zot import config as zot_config
from tests.unit.plugins.plugin_utils._zot.test_config import build

LDAP = {"address": "ldap.example.org", "port": 636, "base_dn": "dc=example", "user_attribute": "uid"}
USERS = [
    {"name": "admin", "groups": ["artifact-admins"]},
    {"name": "ci-bot", "groups": ["artifact-workloads"]},
]


def test_ldap_filter_excludes_every_local_name():
    assert identities.ldap_user_filter(LDAP, ["ci-bot", "admin"]) == "&(!(uid=admin))(!(uid=ci-bot))"


def test_ldap_filter_keeps_the_directorys_own_filter():
    ldap = dict(LDAP, user_filter="(!(nsaccountlock=TRUE))", user_attribute="sAMAccountName")
    assert identities.ldap_user_filter(ldap, ["admin"]) == "&(!(nsaccountlock=TRUE))(!(sAMAccountName=admin))"
    # zot's own example writes the filter with parentheses, its code adds one pair: both work.
    assert (
        identities.ldap_user_filter(dict(ldap, user_filter="objectClass=person"), []) == "objectClass=person"
    )
    assert identities.ldap_user_filter(dict(ldap, user_filter="objectClass=person"), ["a"]).startswith(
        "&(objectClass=person)"
    )


def test_ldap_filter_escapes_names():
    assert identities.ldap_user_filter(LDAP, ["a*(b)\\"]) == r"&(!(uid=a\2a\28b\29\5c))"


def test_config_builder_renders_the_filter_only_with_local_users():
    assert build(ldap=LDAP, htpasswd_users=USERS)["http"]["auth"]["ldap"]["userFilter"] == (
        "&(!(uid=admin))(!(uid=ci-bot))"
    )
    assert "userFilter" not in build(ldap=LDAP)["http"]["auth"]["ldap"]


OIDC = {"oidc_enabled": True, "oidc_issuer": "https://idp.example", "oidc_scopes": ["openid"]}


@pytest.mark.parametrize("claim", ["", "email"])
def test_local_names_next_to_the_email_claim_are_accepted(claim):
    config = build(
        **OIDC, oidc_claim_username=claim, external_url="https://zot.example", htpasswd_users=USERS
    )
    assert config["http"]["auth"]["htpasswd"]


@pytest.mark.parametrize(
    "claim, users, message",
    [
        (
            "",
            [{"name": "ci@example.org"}],
            r"zot_htpasswd_users\[0\]\.name: ci@example\.org .*must not contain @",
        ),
        (
            "preferred_username",
            USERS,
            r"zot_htpasswd_users\[0\]\.name: admin .*zot_oidc_claim_username is preferred_username",
        ),
        ("sub", USERS[1:], r"zot_htpasswd_users\[0\]\.name: ci-bot .*keep zot's default email claim"),
    ],
)
def test_local_names_an_openid_login_could_produce_are_refused(claim, users, message):
    with pytest.raises(zot_config.ZotConfigError, match=message):
        build(**OIDC, oidc_claim_username=claim, external_url="https://zot.example", htpasswd_users=users)


def test_any_claim_without_local_users_is_accepted():
    build(**OIDC, oidc_claim_username="preferred_username", external_url="https://zot.example")
