# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""Dex configuration for registering zot as a static client (role dex_client).

DEX_CONFIG_SCHEMA is a JSON Schema that mirrors Dex v2.45.1's own config structs
(cmd/dex/config.go ``Config``, ``Web``, ``OAuth2``, ``Storage``...; storage.Client for
``staticClients``; the ``password`` type for ``staticPasswords``) and the checks Dex runs at
start (``Config.Validate`` and the static client checks in ``serve``). Dex itself cannot run
on the machines that test this collection, so this schema is the check. It is stricter
than Dex in one way: unknown keys are rejected (Dex v2.45 silently ignores them, which hides
typos such as ``redirectUris``).

Pure data and standard library: the validation itself (jsonschema) runs on the controller,
in plugins/filter/dex_client.py.
"""

_STRINGS = {"type": "array", "items": {"type": "string"}}
_TLS_VERSION = {"type": "string", "enum": ["", "1.2", "1.3"]}

STATIC_CLIENT_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string"},
        "idEnv": {"type": "string"},
        "secret": {"type": "string"},
        "secretEnv": {"type": "string"},
        "redirectURIs": _STRINGS,
        "trustedPeers": _STRINGS,
        "public": {"type": "boolean"},
        "name": {"type": "string", "minLength": 1},
        "logoURL": {"type": "string"},
    },
    "required": ["name"],
    "allOf": [
        {
            "oneOf": [{"required": ["id"]}, {"required": ["idEnv"]}],
            "message": "exactly one of id and idEnv is required",
        },
        {
            "not": {"required": ["secret", "secretEnv"]},
            "message": "secret and secretEnv are exclusive",
        },
        {
            "if": {"not": {"properties": {"public": {"const": True}}, "required": ["public"]}},
            "then": {
                "anyOf": [{"required": ["secret"]}, {"required": ["secretEnv"]}],
                "message": "secret or secretEnv is required unless public is true",
            },
        },
    ],
}

DEX_CONFIG_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Dex v2.45.1 configuration",
    "type": "object",
    "additionalProperties": False,
    "required": ["issuer", "storage", "web"],
    "properties": {
        "issuer": {"type": "string", "minLength": 1},
        "storage": {
            "type": "object",
            "additionalProperties": False,
            "required": ["type"],
            "properties": {
                "type": {"enum": ["etcd", "kubernetes", "memory", "sqlite3", "postgres", "mysql"]},
                "config": {"type": "object"},
            },
            "if": {"properties": {"type": {"const": "sqlite3"}}},
            "then": {
                "required": ["config"],
                "properties": {"config": {"required": ["file"]}},
            },
        },
        "web": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "http": {"type": "string"},
                "https": {"type": "string"},
                "headers": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        key: {"type": "string"}
                        for key in (
                            "Content-Security-Policy",
                            "X-Frame-Options",
                            "X-Content-Type-Options",
                            "X-XSS-Protection",
                            "Strict-Transport-Security",
                        )
                    },
                },
                "tlsCert": {"type": "string"},
                "tlsKey": {"type": "string"},
                "tlsMinVersion": _TLS_VERSION,
                "tlsMaxVersion": _TLS_VERSION,
                "allowedOrigins": _STRINGS,
                "allowedHeaders": _STRINGS,
                "clientRemoteIP": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"header": {"type": "string"}, "trustedProxies": _STRINGS},
                },
            },
            "anyOf": [{"required": ["http"]}, {"required": ["https"]}],
            "message": "web.http or web.https (an address to listen on) is required",
            "dependentRequired": {"https": ["tlsCert", "tlsKey"]},
        },
        "telemetry": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"http": {"type": "string"}, "enableProfiling": {"type": "boolean"}},
        },
        "oauth2": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "grantTypes": _STRINGS,
                "responseTypes": _STRINGS,
                "skipApprovalScreen": {"type": "boolean"},
                "alwaysShowLoginScreen": {"type": "boolean"},
                "passwordConnector": {"type": "string"},
            },
        },
        "grpc": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "addr": {"type": "string"},
                "tlsCert": {"type": "string"},
                "tlsKey": {"type": "string"},
                "tlsClientCA": {"type": "string"},
                "tlsMinVersion": _TLS_VERSION,
                "tlsMaxVersion": _TLS_VERSION,
                "reflection": {"type": "boolean"},
            },
        },
        "expiry": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "signingKeys": {"type": "string"},
                "idTokens": {"type": "string"},
                "authRequests": {"type": "string"},
                "deviceRequests": {"type": "string"},
                "refreshTokens": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "disableRotation": {"type": "boolean"},
                        "reuseInterval": {"type": "string"},
                        "absoluteLifetime": {"type": "string"},
                        "validIfNotUsedFor": {"type": "string"},
                    },
                },
            },
        },
        "logger": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "level": {"type": "string"},
                "format": {"enum": ["", "text", "json"]},
            },
        },
        # Connector-, theme- and signer-specific settings: Dex checks those per type.
        "frontend": {"type": "object"},
        "signer": {"type": "object", "required": ["type"]},
        "connectors": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["type", "name", "id", "config"],
                "properties": {
                    "type": {"type": "string", "minLength": 1},
                    "name": {"type": "string", "minLength": 1},
                    "id": {"type": "string", "minLength": 1},
                    "config": {"type": "object"},
                },
            },
        },
        "staticClients": {"type": "array", "items": STATIC_CLIENT_SCHEMA},
        "enablePasswordDB": {"type": "boolean"},
        "staticPasswords": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "email": {"type": "string"},
                    "username": {"type": "string"},
                    "name": {"type": "string"},
                    "preferredUsername": {"type": "string"},
                    "emailVerified": {"type": "boolean"},
                    "userID": {"type": "string"},
                    "hash": {"type": "string", "pattern": r"^\$2[aby]?\$\d\d\$.{53}$"},
                    "hashFromEnv": {"type": "string"},
                    # Dex reads groups of static passwords since v2.45.0.
                    "groups": _STRINGS,
                },
                "anyOf": [{"required": ["hash"]}, {"required": ["hashFromEnv"]}],
                "message": "hash (bcrypt) or hashFromEnv is required",
            },
        },
    },
    "if": {"required": ["staticPasswords"], "properties": {"staticPasswords": {"minItems": 1}}},
    "then": {
        "required": ["enablePasswordDB"],
        "properties": {
            "enablePasswordDB": {
                "const": True,
                "message": "must be true when staticPasswords are given",
            }
        },
    },
}


def static_client(client_id, name, redirect_uris, secret_env):
    """zot's staticClients entry; the secret comes from environment variable ``secret_env``."""
    return {
        "id": client_id,
        "name": name,
        "secretEnv": secret_env,
        "redirectURIs": list(redirect_uris),
    }


def merge_static_client(config, client):
    """A copy of ``config`` whose staticClients has ``client`` in place of any same-id entry.

    Other clients keep their position and content; a new client is appended. Only the
    top-level mapping and the client list are copied: a deep copy of the lazy containers
    Ansible passes to filters copies its plugin loaders, and the copies (ansible-core 2.19)
    fail to load any filter a still-unrendered value in ``config`` uses.
    """
    merged = dict(config or {})
    clients = list(merged.get("staticClients") or [])
    for index, existing in enumerate(clients):
        if isinstance(existing, dict) and existing.get("id") == client["id"]:
            clients[index] = dict(client)
            break
    else:
        clients.append(dict(client))
    merged["staticClients"] = clients
    return merged


def json_path(parts):
    """``["staticClients", 0, "name"]`` -> ``staticClients[0].name`` (``$`` for the root)."""
    text = ""
    for part in parts:
        text += "[%d]" % part if isinstance(part, int) else ("." if text else "") + str(part)
    return text or "$"
