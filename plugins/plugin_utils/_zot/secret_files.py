# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""The secret files the zot role keeps in zot's config directory, as one list.

The role writes this list twice: first into a private staging directory where `zot verify`
checks the candidate config together with these files, then, only when that passed, into
the config directory. So a run that fails never leaves new secrets live (zot re-reads
htpasswd on its own). A file whose content is None is removed.
"""

import json
import secrets

from ansible_collections.zotops.registry.plugins.plugin_utils._zot import config as zot_config

ENVIRONMENT_FILE = "zot.env"


def _session_keys(configured, current):
    """Vault-sourced keys, else the keys already on the host, else new random ones."""
    if configured:
        return json.dumps({"hashKey": configured["hash_key"], "encryptKey": configured["encrypt_key"]})
    if current:
        return current
    return json.dumps({"hashKey": secrets.token_hex(32), "encryptKey": secrets.token_hex(16)})


def _environment_file(environment):
    # systemd EnvironmentFile syntax: NAME="value" with \" and \\ escapes, as JSON writes them.
    return "".join("%s=%s\n" % (name, json.dumps(str(value))) for name, value in environment.items())


def secret_files(inputs):
    """[{name, content, zot_reads}] for the role's secret inputs.

    inputs: htpasswd (rendered text), session_keys (zot_session_keys),
    current_session_keys (the host's file content or ""), remote_sessions (sessions live in
    Redis: no session keys file), ldap (zot_ldap), oidc
    ({enabled, client_id, client_secret}), upstreams (zot_sync_upstreams), environment
    (zot_environment). zot_reads False: the file is for systemd (root only), not for zot.
    """
    oidc = inputs.get("oidc") or {}
    upstreams = inputs.get("upstreams") or []
    sync = zot_config.sync_credentials(upstreams) if upstreams else {}
    environment = inputs.get("environment") or {}
    files = [
        (zot_config.HTPASSWD_FILE, inputs.get("htpasswd") or None, True),
        (
            zot_config.SESSION_KEYS_FILE,
            None
            if inputs.get("remote_sessions")
            else _session_keys(inputs.get("session_keys"), inputs.get("current_session_keys")),
            True,
        ),
        (
            zot_config.LDAP_CREDENTIALS_FILE,
            json.dumps(zot_config.ldap_credentials(inputs["ldap"])) if inputs.get("ldap") else None,
            True,
        ),
        (
            zot_config.OIDC_CREDENTIALS_FILE,
            json.dumps({"clientid": oidc.get("client_id"), "clientsecret": oidc.get("client_secret") or ""})
            if oidc.get("enabled")
            else None,
            True,
        ),
        (zot_config.SYNC_CREDENTIALS_FILE, json.dumps(sync) if sync else None, True),
        (ENVIRONMENT_FILE, _environment_file(environment) if environment else None, False),
    ]
    return [{"name": name, "content": content, "zot_reads": reads} for name, content, reads in files]
