# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Merging zot's static client into a Dex config, and the schema check of the result."""

import pytest
from ansible_collections.zotops.registry.plugins.filter.dex_client import dex_config_errors
from ansible_collections.zotops.registry.plugins.plugin_utils._dex_config import (
    json_path,
    merge_static_client,
    static_client,
)

ZOT = static_client("zot", "zot registry", ["https://zot/zot/auth/callback/oidc"], "ZOT_SECRET")
VALID = {
    "issuer": "https://dex.example.test",
    "storage": {"type": "sqlite3", "config": {"file": "/var/lib/dex/dex.db"}},
    "web": {"http": "127.0.0.1:5556"},
    "staticClients": [{"id": "other", "name": "Other", "secret": "inline-secret-9"}],
}


def test_merge_appends_a_new_client_and_leaves_the_input_alone():
    merged = merge_static_client(VALID, ZOT)
    assert merged["staticClients"] == VALID["staticClients"] + [ZOT]
    assert len(VALID["staticClients"]) == 1


class NoDeepCopy(dict):
    """Stands in for Ansible's lazy containers, which must not be deep-copied."""

    def __deepcopy__(self, memo):
        raise AssertionError("deep-copied")


def test_merge_does_not_deep_copy_its_input():
    config = NoDeepCopy(VALID, oauth2=NoDeepCopy(skipApprovalScreen=True))
    merged = merge_static_client(config, ZOT)
    assert merged["staticClients"] == VALID["staticClients"] + [ZOT]
    assert merged["oauth2"] == {"skipApprovalScreen": True}
    assert "staticClients" in config and len(config["staticClients"]) == 1


def test_merge_replaces_the_entry_with_the_same_id_in_place():
    stale = dict(ZOT, redirectURIs=["https://old/cb"], secret="leaked")
    config = dict(VALID, staticClients=[stale, VALID["staticClients"][0]])
    merged = merge_static_client(config, ZOT)
    assert merged["staticClients"] == [ZOT, VALID["staticClients"][0]]


def test_merge_into_an_empty_config():
    assert merge_static_client(None, ZOT) == {"staticClients": [ZOT]}


def test_a_valid_config_has_no_errors():
    assert dex_config_errors(merge_static_client(VALID, ZOT)) == []


@pytest.mark.parametrize(
    "change, error",
    [
        ({"issuer": ""}, "issuer: must not be empty"),
        ({"storage": {"type": "redis"}}, "storage.type: must be one of"),
        ({"web": {}}, "web: web.http or web.https (an address to listen on) is required"),
        ({"web": {"https": ":5554", "tlsCert": "c"}}, "web: 'tlsKey' is a dependency of 'https'"),
        (
            {"staticClients": [{"id": "a", "idEnv": "A", "name": "n", "public": True}]},
            "staticClients[0]: exactly one of id and idEnv is required",
        ),
        (
            {"staticClients": [{"id": "a", "name": "n"}]},
            "staticClients[0]: secret or secretEnv is required unless public is true",
        ),
        (
            {"staticClients": [{"id": "a", "name": "n", "secret": "s", "secretEnv": "S"}]},
            "staticClients[0]: secret and secretEnv are exclusive",
        ),
        (
            {"staticClients": [{"id": "a", "name": "n", "public": True, "redirectUris": []}]},
            "staticClients[0]: Additional properties are not allowed ('redirectUris' was",
        ),
        (
            {"enablePasswordDB": False, "staticPasswords": [{"email": "e", "hashFromEnv": "H"}]},
            "enablePasswordDB: must be true when staticPasswords are given",
        ),
        (
            {"enablePasswordDB": True, "staticPasswords": [{"email": "e", "hash": "plain"}]},
            "staticPasswords[0].hash: must match",
        ),
        ({"oauth2": {"skipApprovalScreen": "yes"}}, "oauth2.skipApprovalScreen: must be of type"),
    ],
)
def test_errors_name_the_field(change, error):
    errors = dex_config_errors(dict(VALID, **change))
    assert any(line.startswith(error) for line in errors), errors


def test_errors_never_echo_values():
    config = dict(VALID, staticClients=[{"id": 7, "name": "n", "secret": ["inline-secret-9"]}])
    errors = dex_config_errors(config)
    assert errors and not any("inline-secret-9" in line for line in errors)


def test_json_path():
    assert json_path(["staticClients", 0, "name"]) == "staticClients[0].name"
    assert json_path([]) == "$"
