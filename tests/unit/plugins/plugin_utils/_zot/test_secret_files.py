# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The secret files the zot role writes: one list, staged for zot verify, then written."""

import json

from ansible_collections.zotops.registry.plugins.plugin_utils._zot.secret_files import secret_files


def by_name(inputs):
    return {item["name"]: item for item in secret_files(inputs)}


def test_every_file_is_listed_and_unconfigured_ones_are_removed():
    files = by_name({})
    assert sorted(files) == sorted(
        [
            "htpasswd",
            "session-keys.json",
            "ldap-credentials.json",
            "oidc-credentials.json",
            "sync-credentials.json",
            "zot.env",
        ]
    )
    # Without inputs only the session keys exist (generated); the rest is removed.
    assert [name for name, item in files.items() if item["content"] is not None] == ["session-keys.json"]


def test_session_keys_from_vault_else_kept_else_generated():
    vault = {"hash_key": "h" * 64, "encrypt_key": "e" * 32}
    assert json.loads(by_name({"session_keys": vault})["session-keys.json"]["content"]) == {
        "hashKey": "h" * 64,
        "encryptKey": "e" * 32,
    }
    kept = '{"hashKey": "x", "encryptKey": "y"}'
    assert by_name({"current_session_keys": kept})["session-keys.json"]["content"] == kept
    generated = json.loads(by_name({})["session-keys.json"]["content"])
    assert len(generated["hashKey"]) == 64 and len(generated["encryptKey"]) == 32
    assert generated != json.loads(by_name({})["session-keys.json"]["content"])
    # Sessions in Redis (a cluster): zot refuses session keys, so the file is removed.
    vault_and_redis = {"session_keys": vault, "remote_sessions": True}
    assert by_name(vault_and_redis)["session-keys.json"]["content"] is None


def test_credentials_files_for_ldap_oidc_and_upstreams():
    files = by_name(
        {
            "ldap": {"address": "ldap", "bind_dn": "cn=zot", "bind_password": "pw"},
            "oidc": {"enabled": True, "client_id": "zot", "client_secret": "s"},
            "upstreams": [
                {
                    "urls": ["https://registry-1.docker.io"],
                    "prefix": "docker.io",
                    "credentials": {"username": "u", "password": "p"},
                }
            ],
        }
    )
    assert json.loads(files["ldap-credentials.json"]["content"]) == {"bindDN": "cn=zot", "bindPassword": "pw"}
    assert json.loads(files["oidc-credentials.json"]["content"]) == {"clientid": "zot", "clientsecret": "s"}
    assert json.loads(files["sync-credentials.json"]["content"]) == {
        "registry-1.docker.io": {"username": "u", "password": "p"}
    }
    assert (
        by_name({"oidc": {"enabled": False, "client_id": "zot"}})["oidc-credentials.json"]["content"] is None
    )


def test_environment_file_is_for_systemd_only_and_quoted():
    item = by_name({"environment": {"HTTPS_PROXY": 'http://u:p"w@proxy:3128', "N": 3}})["zot.env"]
    assert item["zot_reads"] is False
    assert item["content"] == 'HTTPS_PROXY="http://u:p\\"w@proxy:3128"\nN="3"\n'
