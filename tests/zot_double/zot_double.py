#!/usr/bin/env python3
"""A test double of the zot OCI registry, release v2.1.20.

It is NOT zot. It is an independent Python transcription of the behaviour of zot v2.1.20 as
read from zot's source (pkg/api/authz.go, authn.go, routes.go, pkg/api/config,
pkg/cli/server/root.go, pkg/extensions/sync), so that the collection can be tested on
machines where the real zot binary cannot be built. It is installed like a zot binary:

    zot_double.py serve CONFIG      run the registry
    zot_double.py verify CONFIG     exit 0 valid, 1 invalid, 2 crash; no CONFIG: exit 0
    zot_double.py -v | --version    JSON version line ("binary-type": "-double")

Covered:
- config loading as zot does it: JSON, keys matched case-insensitively and map keys
  lowercased (viper), unknown keys rejected (UnmarshalExact), weak typing, Go durations,
  verify's rules (secret files read and checked, accessControl needs an auth method, sync
  and metrics checks, glob patterns checked, port range, log level);
- the OCI distribution API on an on-disk OCI image layout per repository under
  storage.rootDirectory (index.json, oci-layout, blobs/sha256), so data survives restarts;
- authn: htpasswd (bcrypt, $5$/$6$ via crypt), API keys (zak_..., hashed at rest,
  expiry), failDelay on every authn/authz failure; authz exactly as authz.go (longest glob,
  default/anonymous/admin policies, groups, create/update for manifest writes, catalog
  filtering) including a subset of CEL for policy conditions;
- UI-style sessions: basic auth with "X-ZOT-API-CLIENT: zot-ui" sets the `session` cookie
  (2 h), which then authenticates requests carrying that header;
- health endpoints, Prometheus metrics with zot's access rules, on-demand sync.

- OpenID Connect login for the providers oidc, google and gitlab: discovery at start (exit 2,
  like zot's panic, when the issuer is unreachable or names itself differently), the
  authorization code flow with state and PKCE (client without secret), ID token checks
  (RS256 signature via the issuer's JWKS, issuer, audience, expiry, nonce, at_hash),
  userinfo, claimMapping to username and groups, the 2 h session, logout.

Not covered: LDAP binds (config only), github OAuth2 logins, bearer tokens, mTLS
identities, the web UI, search/CVE, scrub, GC and retention, dedupe across repositories,
cluster mode, referrers beyond a simple listing, YAML configs, config hot reload.
"""

import base64
import contextlib
import datetime as dt
import hashlib
import http.cookies
import http.server
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

try:
    import bcrypt  # Debian's python3-bcrypt on test hosts
except ImportError:
    bcrypt = None

RELEASE_TAG = "v2.1.20"
BINARY_TYPE = "-double"
DIST_SPEC_VERSION = "1.1.1"
COMMIT = "double"
GO_VERSION = "python" + ".".join(str(n) for n in sys.version_info[:3])

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
REF_NAME = "org.opencontainers.image.ref.name"
API_KEY_PREFIX = "zak_"
SESSION_HEADER = ("X-ZOT-API-CLIENT", "zot-ui")
METHOD_ACTIONS = ("read", "create", "update", "delete")
MAX_MANIFEST_BODY = 4 * 1024 * 1024
MAX_DIGEST_QUERY_TAGS = (8192 - 2048) // (len("tag=") + 128 + 1)

NAME_RE = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
TAG_RE = re.compile(r"^[\w][\w.-]{0,127}$")
DIGEST_RE = re.compile(r"^sha256:[a-f0-9]{64}$")
# Where the double keeps its own state (zot's meta.db): a hidden directory is never a repo.
STATE_DIR = ".zot-double"


# ----------------------------------------------------------------------------------------
# Logging: zerolog-like JSON lines on stderr (the journal under systemd).
# ----------------------------------------------------------------------------------------
_LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "panic"]
_log_lock = threading.Lock()
_log_threshold = 0


def log(level, message, **fields):
    if level in _LOG_LEVELS and _LOG_LEVELS.index(level) < _log_threshold:
        return
    record = {"level": level, "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    record.update(fields)
    record["message"] = message
    with _log_lock:
        sys.stderr.write(json.dumps(record, default=str) + "\n")
        sys.stderr.flush()


# ----------------------------------------------------------------------------------------
# Config loading (viper + mapstructure UnmarshalExact, as LoadConfiguration does it).
# A schema node is a type name, a dict of fields (a Go struct), ("map", node) for a Go map
# (keys are lowercased by viper) or ("list", node) for a slice.
# ----------------------------------------------------------------------------------------
class ConfigError(Exception):
    """An invalid config; the message names the offending key."""


STR, INT, BOOL, DUR, ANY = "string", "int", "bool", "duration", "any"
STRS = ("list", STR)

TLS_SCHEMA = {"cert": STR, "key": STR, "cacert": STR}
POLICY_SCHEMA = {
    "users": STRS,
    "actions": STRS,
    "groups": STRS,
    "conditions": ("list", {"expression": STR, "message": STR}),
}
KEEP_SCHEMA = {
    "pulledwithin": DUR,
    "pushedwithin": DUR,
    "mostrecentlypushedcount": INT,
    "mostrecentlypulledcount": INT,
}
STORAGE_SCHEMA = {
    "rootdirectory": STR,
    "maxrepos": INT,
    "dedupe": BOOL,
    "remotecache": BOOL,
    "redirectbloburl": BOOL,
    "gc": BOOL,
    "commit": BOOL,
    "gcdelay": DUR,
    "gcinterval": DUR,
    "gctimewindow": STR,
    "gcmaxschedulerdelay": DUR,
    "retention": {
        "dryrun": BOOL,
        "delay": DUR,
        "policies": (
            "list",
            {
                "repositories": STRS,
                "deletereferrers": BOOL,
                "deleteuntagged": BOOL,
                "keeptags": ("list", {"patterns": STRS, **KEEP_SCHEMA}),
                "keepuntagged": KEEP_SCHEMA,
            },
        ),
    },
    "storagedriver": ANY,
    "cachedriver": ANY,
}
SYNC_REGISTRY_SCHEMA = {
    "urls": STRS,
    "pollinterval": DUR,
    "content": (
        "list",
        {
            "prefix": STR,
            "tags": {"regex": STR, "excluderegex": STR, "semver": BOOL},
            "destination": STR,
            "stripprefix": BOOL,
        },
    ),
    "tlsverify": BOOL,
    "ondemand": BOOL,
    "certdir": STR,
    "maxretries": INT,
    "retrydelay": DUR,
    "maxretrydelay": DUR,
    "onlysigned": BOOL,
    "synclegacycosigntags": BOOL,
    "credentialhelper": STR,
    "oauth2credentialhelper": ANY,
    "preservedigest": BOOL,
    "synctimeout": DUR,
    "responseheadertimeout": DUR,
}
CONFIG_SCHEMA = {
    "distspecversion": STR,
    "goversion": STR,
    "commit": STR,
    "releasetag": STR,
    "binarytype": STR,
    "storage": {**STORAGE_SCHEMA, "subpaths": ("map", STORAGE_SCHEMA), "fastrestart": BOOL},
    "http": {
        "address": STR,
        "externalurl": STR,
        "port": STR,
        "alloworigin": STR,
        "readtimeout": DUR,
        "writetimeout": DUR,
        "tls": TLS_SCHEMA,
        "auth": {
            "faildelay": INT,
            "htpasswd": {"path": STR},
            "ldap": {
                "credentialsfile": STR,
                "port": INT,
                "insecure": BOOL,
                "starttls": BOOL,
                "skipverify": BOOL,
                "subtreesearch": BOOL,
                "address": STR,
                "usergroupattribute": STR,
                "basedn": STR,
                "userattribute": STR,
                "userfilter": STR,
                "cacert": STR,
            },
            "bearer": {
                "realm": STR,
                "service": STR,
                "cert": STR,
                "upstreamtokenendpoint": {
                    "realm": STR,
                    "service": STR,
                    "allowinsecurehttp": BOOL,
                },
                "oidc": ANY,
                "awssecretsmanager": {"region": STR, "secretname": STR, "refreshinterval": DUR},
            },
            "openid": {
                "providers": (
                    "map",
                    {
                        "credentialsfile": STR,
                        "name": STR,
                        "clientid": STR,
                        "clientsecret": STR,
                        "keypath": STR,
                        "issuer": STR,
                        "authurl": STR,
                        "tokenurl": STR,
                        "scopes": STRS,
                        "claimmapping": {"username": STR, "groups": STR},
                    },
                ),
                "callbackalloworigins": STRS,
            },
            "apikey": BOOL,
            "sessionkeysfile": STR,
            "sessiondriver": ANY,
            "securesession": BOOL,
            "mtls": {
                "identityattributes": STRS,
                "urisanpattern": STR,
                "urisanindex": INT,
                "dnssanindex": INT,
                "emailsanindex": INT,
            },
        },
        "accesscontrol": {
            "repositories": (
                "map",
                {
                    "policies": ("list", POLICY_SCHEMA),
                    "defaultpolicy": STRS,
                    "anonymouspolicy": STRS,
                },
            ),
            "adminpolicy": POLICY_SCHEMA,
            "groups": ("map", {"users": STRS}),
            "metrics": {"users": STRS, "anonymouspolicy": STRS},
        },
        "realm": STR,
        "ratelimit": {"rate": INT, "methods": ("list", {"method": STR, "rate": INT})},
        "compat": STRS,
    },
    "log": {"level": STR, "output": STR, "audit": STR},
    "extensions": {
        "search": {
            "enable": BOOL,
            "cve": {
                "updateinterval": DUR,
                "trivy": {
                    "dbrepository": STR,
                    "javadbrepository": STR,
                    "vulnseveritysources": STRS,
                    "sbom": {"enable": BOOL, "format": STR},
                },
            },
        },
        "sync": {
            "enable": BOOL,
            "credentialsfile": STR,
            "downloaddir": STR,
            "registries": ("list", SYNC_REGISTRY_SCHEMA),
        },
        "metrics": {"enable": BOOL, "prometheus": {"path": STR}},
        "scrub": {"enable": BOOL, "interval": DUR},
        "lint": {"enable": BOOL, "mandatoryannotations": STRS},
        "ui": {"enable": BOOL},
        "mgmt": {"enable": BOOL},
        "apikey": {"enable": BOOL},
        "trust": {"enable": BOOL, "cosign": BOOL, "notation": BOOL},
        "events": {"enable": BOOL, "sinks": ANY},
    },
    "scheduler": {"numworkers": INT},
    "cluster": {"members": STRS, "hashkey": STR, "tls": TLS_SCHEMA},
}

_DURATION_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "\u00b5s": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_DURATION_RE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|ms|s|m|h)")


def parse_go_duration(text):
    """Seconds for a Go duration string such as "1h30m" or "500ms" (time.ParseDuration)."""
    s = text.strip()
    sign = -1.0 if s.startswith("-") else 1.0
    s = s.lstrip("+-")
    if s == "0":
        return 0.0
    if not s:
        raise ValueError(f"time: invalid duration {text!r}")
    total, pos = 0.0, 0
    for match in _DURATION_RE.finditer(s):
        if match.start() != pos:
            raise ValueError(f"time: invalid duration {text!r}")
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    if pos != len(s):
        raise ValueError(f"time: invalid duration {text!r}")
    return sign * total


def _decode(value, node, path):
    """Decode one JSON value against a schema node, weakly typed like viper's decoder."""
    where = path or "<root>"
    if value is None:
        return None
    if node == ANY:
        return _lower_keys(value)
    if node == STR:
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, (int, float, str)):
            return str(value) if not isinstance(value, float) else f"{value:g}"
        raise ConfigError(f"'{where}' expected type 'string', got {type(value).__name__}")
    if node == INT:
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, (int, float)):
            return int(value)
        if isinstance(value, str):
            try:
                return int(value, 0) if value else 0
            except ValueError:
                raise ConfigError(f"cannot parse '{where}' as int: {value!r}") from None
        raise ConfigError(f"'{where}' expected type 'int', got {type(value).__name__}")
    if node == BOOL:
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            return value != 0
        if isinstance(value, str):
            lowered = value.lower()
            if lowered in ("1", "t", "true"):
                return True
            if lowered in ("", "0", "f", "false"):
                return False
            raise ConfigError(f"cannot parse '{where}' as bool: {value!r}")
        raise ConfigError(f"'{where}' expected type 'bool', got {type(value).__name__}")
    if node == DUR:
        if isinstance(value, str):
            try:
                return parse_go_duration(value)
            except ValueError as err:
                raise ConfigError(f"error decoding '{where}': {err}") from None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value / 1e9  # a bare number is nanoseconds, as in Go
        raise ConfigError(f"'{where}' expected a duration, got {type(value).__name__}")
    if isinstance(node, tuple) and node[0] == "list":
        if not isinstance(value, list):
            value = [value]  # mapstructure's WeaklyTypedInput lifts a single value to a slice
        return [_decode(item, node[1], f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(node, tuple) and node[0] == "map":
        if not isinstance(value, dict):
            raise ConfigError(f"'{where}' expected a map, got {type(value).__name__}")
        return {
            str(key).lower(): _decode(item, node[1], f"{path}.{str(key).lower()}")
            for key, item in value.items()
        }
    if isinstance(node, dict):
        if not isinstance(value, dict):
            raise ConfigError(f"'{where}' expected a map, got {type(value).__name__}")
        result, unknown = {}, []
        for key, item in value.items():
            lowered = str(key).lower()
            if lowered not in node:
                unknown.append(lowered)
                continue
            result[lowered] = _decode(item, node[lowered], f"{path}.{lowered}" if path else lowered)
        if unknown:
            raise ConfigError(f"'{path}' has invalid keys: {', '.join(sorted(unknown))}")
        return result
    raise AssertionError(f"bad schema node at {path}")


def _lower_keys(value):
    if isinstance(value, dict):
        return {str(k).lower(): _lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_keys(v) for v in value]
    return value


def dig(tree, *keys, default=None):
    """tree[k1][k2]... or default when any level is missing or null."""
    for key in keys:
        if not isinstance(tree, dict) or tree.get(key) is None:
            return default
        tree = tree[key]
    return tree


def _read_structured_file(path, what):
    """Read a JSON file the way viper does; the format is chosen from the extension."""
    ext = os.path.splitext(path)[1].lstrip(".").lower()
    if ext in ("yaml", "yml"):
        raise ConfigError(f"{what} {path}: YAML is not supported by the zot double, use JSON")
    if ext != "json":
        raise ConfigError(f'{what} {path}: Unsupported Config Type "{ext}"')
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as err:
        raise ConfigError(f"{what} {path}: {err.strerror}") from None
    except json.JSONDecodeError as err:
        raise ConfigError(f"{what} {path}: invalid JSON: {err}") from None


def read_secret_file(path, fields, require_all):
    """readSecretFile: exact keys (case-insensitive), optionally every key set."""
    data = _read_structured_file(path, "secret file")
    if not isinstance(data, dict) or not data:
        raise ConfigError(
            f"secret file {path}: failed to load secret file due to the absence of any key:value pair"
        )
    values = {str(k).lower(): v for k, v in data.items()}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ConfigError(
            f"secret file {path}: failed to load secret file due to unknown keys: " + ", ".join(unknown)
        )
    unset = [f for f in fields if f not in values]
    if require_all and unset:
        raise ConfigError(
            f"secret file {path}: failed to load secret file due to unset keys: " + ", ".join(unset)
        )
    return {f: "" if values.get(f) is None else str(values[f]) for f in fields}


def read_config_document(path):
    """The raw document. Without a supported extension viper tries every format (JSON
    first), so an extension-less file holding JSON loads fine."""
    ext = os.path.splitext(path)[1].lstrip(".").lower()
    if ext in ("yaml", "yml", "toml", "hcl", "ini", "properties", "props", "prop", "env"):
        raise ConfigError(f"config {path}: only JSON configs are supported by the zot double")
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as err:
        raise ConfigError(f"open {path}: {err.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"failed to read configuration {path}: {err}") from None


def load_config(path):
    """LoadConfiguration: parse, decode strictly, read secret files, default, validate."""
    document = read_config_document(path)
    if not isinstance(document, dict) or not document:
        raise ConfigError("failed to load config due to the absence of any key:value pair")
    conf = _decode(document, CONFIG_SCHEMA, "")
    level = dig(conf, "log", "level", default="debug")
    if level not in _LOG_LEVELS + ["", "disabled"]:
        raise ConfigError(f"log.level: Unknown Level String: '{level}', defaulting to NoLevel")
    auth = dig(conf, "http", "auth", default={})
    _load_secret_files(auth)
    _apply_defaults(conf)
    validate_config(conf)
    output = dig(conf, "log", "output")
    if output:
        # zot opens log.output while loading the config, so verify creates the file.
        with open(output, "a", encoding="utf-8"):
            pass
    return conf


def _load_secret_files(auth):
    ldap = auth.get("ldap")
    if ldap is not None and ldap.get("credentialsfile"):
        creds = read_secret_file(ldap["credentialsfile"], ("binddn", "bindpassword"), True)
        ldap["_binddn"], ldap["_bindpassword"] = creds["binddn"], creds["bindpassword"]
    for provider in (dig(auth, "openid", "providers") or {}).values():
        if provider.get("credentialsfile"):
            creds = read_secret_file(provider["credentialsfile"], ("clientid", "clientsecret"), True)
            provider["clientid"], provider["clientsecret"] = creds["clientid"], creds["clientsecret"]
    if auth.get("sessionkeysfile"):
        # Read and key-checked only: zot does not check key lengths at load time.
        keys = read_secret_file(auth["sessionkeysfile"], ("hashkey", "encryptkey"), False)
        auth["_sessionkeys"] = keys


def _apply_defaults(conf):
    """The defaults of config.New() and applyDefaultValues() that change behaviour."""
    http_conf = conf.setdefault("http", {})
    if http_conf.get("address") is None:
        http_conf["address"] = "127.0.0.1"
    if http_conf.get("port") is None:
        http_conf["port"] = "8080"
    for key in ("readtimeout", "writetimeout"):
        if http_conf.get(key) is None:
            http_conf[key] = 60.0
    auth = http_conf.get("auth") or {}
    http_conf["auth"] = auth
    if auth.get("openid") is not None:
        auth["apikey"] = True  # API keys are forced on with OpenID (data path credentials)
    storage = conf.setdefault("storage", {})
    storage.setdefault("dedupe", True)
    storage.setdefault("gc", True)
    extensions = conf.get("extensions") or {}
    metrics = extensions.get("metrics")
    if metrics is not None:
        if metrics.get("enable") is None:
            metrics["enable"] = True
        if metrics.get("prometheus") is None:
            metrics["prometheus"] = {"path": "/metrics"}
    sync = extensions.get("sync")
    if sync is not None:
        if sync.get("enable") is None:
            sync["enable"] = True
        for registry in sync.get("registries") or []:
            if registry.get("tlsverify") is None:
                registry["tlsverify"] = True
    for name in ("search", "scrub", "ui", "trust"):
        if extensions.get(name) is not None and extensions[name].get("enable") is None:
            extensions[name]["enable"] = True


def basic_authn_enabled(auth):
    """IsBasicAuthnEnabled: htpasswd path, LDAP, a supported OpenID provider or API keys."""
    openid = any(p in ("oidc", "google", "gitlab", "github") for p in dig(auth, "openid", "providers") or {})
    return (
        bool(dig(auth, "htpasswd", "path"))
        or auth.get("ldap") is not None
        or openid
        or bool(auth.get("apikey"))
    )


def mtls_enabled(conf):
    return bool(dig(conf, "http", "tls", "cacert"))


def bearer_enabled(auth):
    bearer = auth.get("bearer") or {}
    traditional = (
        bool(bearer.get("realm"))
        and bool(bearer.get("service"))
        and (bool(bearer.get("cert")) or bearer.get("awssecretsmanager") is not None)
    )
    return traditional or bool(bearer.get("oidc"))


def contains_only_anonymous_policy(access):
    admin = access.get("adminpolicy") or {}
    if len(admin.get("actions") or []) + len(admin.get("users") or []) > 0:
        return False
    present = False
    for group in (access.get("repositories") or {}).values():
        if group.get("defaultpolicy"):
            return False
        if group.get("anonymouspolicy"):
            present = True
        for policy in group.get("policies") or []:
            if len(policy.get("actions") or []) + len(policy.get("users") or []) > 0:
                return False
    return present


def contains_only_metrics_anonymous_policy(access):
    admin = access.get("adminpolicy") or {}
    if admin.get("actions") or admin.get("users") or admin.get("groups"):
        return False
    return (
        not access.get("repositories")
        and not access.get("groups")
        and "read" in (dig(access, "metrics", "anonymouspolicy") or [])
    )


def validate_config(conf):
    """validateConfiguration() of pkg/cli/server/root.go, the checks that apply here."""
    port = dig(conf, "http", "port", default="")
    if port != "":
        if not re.fullmatch(r"[+-]?\d+", port) or not 0 <= int(port) <= 65535:
            raise ConfigError(f"http.port: invalid port {port}")
    storage = conf.get("storage") or {}
    for key in ("gcdelay", "gcinterval"):
        if (storage.get(key) or 0) < 0:
            raise ConfigError(f"storage.{key}: invalid garbage-collect setting {storage[key]}")
    for policy in dig(storage, "retention", "policies") or []:
        for pattern in policy.get("repositories") or []:
            if not glob_valid(pattern):
                raise ConfigError(f"storage.retention: repo glob pattern could not be compiled: {pattern}")
        for keep in policy.get("keeptags") or []:
            for regex in keep.get("patterns") or []:
                _check_regex(regex, "storage.retention.policies.keeptags.patterns")
    auth = dig(conf, "http", "auth", default={})
    ldap = auth.get("ldap")
    if ldap is not None:
        for key, label in (("userattribute", "userAttribute"), ("address", "address"), ("basedn", "basedn")):
            if not ldap.get(key):
                raise ConfigError(
                    f"http.auth.ldap.{key}: invalid LDAP configuration, missing mandatory key: {label}"
                )
    for name, provider in (dig(auth, "openid", "providers") or {}).items():
        where = f"http.auth.openid.providers.{name}"
        if name in ("oidc", "google", "gitlab"):
            if not provider.get("clientid") or not provider.get("issuer") or not provider.get("scopes"):
                raise ConfigError(
                    f"{where}: OpenID provider config requires clientid, issuer and scopes parameters"
                )
        elif name == "github":
            if not provider.get("clientid") or not provider.get("scopes"):
                raise ConfigError(f"{where}: OAuth2 provider config requires clientid and scopes parameters")
        else:
            raise ConfigError(f"{where}: unsupported openid/oauth2 provider")
    _validate_sync(conf)
    driver = dig(auth, "sessiondriver")
    if driver is not None:
        if "name" not in driver:
            raise ConfigError("http.auth.sessiondriver: must provide session driver name!")
        if driver["name"] not in ("redis", "local"):
            raise ConfigError(
                f"http.auth.sessiondriver: session store driver {driver['name']} is not allowed!"
            )
    _validate_metrics(conf)
    extensions = conf.get("extensions") or {}
    if dig(extensions, "ui", "enable") and not dig(extensions, "search", "enable"):
        raise ConfigError("extensions.ui: failed to enable ui, search extension must be enabled")
    access = dig(conf, "http", "accesscontrol")
    if access is not None:
        if (
            not basic_authn_enabled(auth)
            and not mtls_enabled(conf)
            and not bearer_enabled(auth)
            and not contains_only_anonymous_policy(access)
            and not contains_only_metrics_anonymous_policy(access)
        ):
            raise ConfigError(
                "http.accessControl: access control config requires one of htpasswd, ldap, "
                "openid or mTLS authentication or using only 'anonymousPolicy' policies"
            )
        _compile_conditions(access)
    if storage.get("redirectbloburl") and not storage.get("storagedriver"):
        raise ConfigError(
            "storage.redirectBlobURL: invalid storage config, redirectBlobURL is supported only "
            "for s3/gcs/azure storage"
        )
    if storage.get("storagedriver"):
        if storage["storagedriver"].get("name") not in ("s3", "gcs", "azure"):
            raise ConfigError("storage.storageDriver: unsupported storage driver")
    if access is not None:
        for pattern in access.get("repositories") or {}:
            if not glob_valid(pattern):
                raise ConfigError(
                    f"http.accessControl.repositories.{pattern}: failed to compile authorization pattern"
                )
    cluster = conf.get("cluster")
    if cluster is not None:
        if not cluster.get("members"):
            raise ConfigError("cluster.members: cannot have 0 members in a scale out cluster")
        if len(cluster.get("hashkey") or "") != 16:
            raise ConfigError("cluster.hashKey: hashKey for scale out cluster must have 16 characters")


def _check_regex(regex, where):
    try:
        re.compile(regex)
    except re.error as err:
        raise ConfigError(f"{where}: regex could not be compiled: {regex} ({err})") from None


def _validate_sync(conf):
    sync = dig(conf, "extensions", "sync")
    if not sync:
        return
    compat = bool(dig(conf, "http", "compat"))
    for index, registry in enumerate(sync.get("registries") or []):
        where = f"extensions.sync.registries[{index}]"
        if registry.get("maxretries") is not None and registry.get("retrydelay") is None:
            raise ConfigError(f"{where}: retryDelay is required when using maxRetries")
        if registry.get("maxretrydelay") is not None:
            if registry.get("retrydelay") is None:
                raise ConfigError(f"{where}: retryDelay is required when using maxRetryDelay")
            if registry["maxretrydelay"] < registry["retrydelay"]:
                raise ConfigError(f"{where}: maxRetryDelay must be greater than or equal to retryDelay")
        if registry.get("credentialhelper") == "oauth2":
            helper = registry.get("oauth2credentialhelper") or {}
            if not helper.get("tokenurl") or not (helper.get("assertionfile") or helper.get("signingfile")):
                raise ConfigError(f"{where}: invalid oauth2CredentialHelper config")
        if registry.get("preservedigest") and not compat:
            raise ConfigError(
                f"{where}.preserveDigest: can not use PreserveDigest option without enabling http.Compat"
            )
        for content in registry.get("content") or []:
            prefix = content.get("prefix") or ""
            if not glob_valid(prefix):
                raise ConfigError(f"{where}.content: sync prefix could not be compiled: {prefix}")
            tags = content.get("tags") or {}
            for key in ("regex", "excluderegex"):
                if tags.get(key) is not None:
                    _check_regex(tags[key], f"{where}.content.tags.{key}")
            if content.get("stripprefix") and "/*" not in prefix and content.get("destination") == "/":
                raise ConfigError(
                    f"{where}.content: can not use stripPrefix true and destination '/' without "
                    "using glob patterns in prefix"
                )


def _validate_metrics(conf):
    prometheus = dig(conf, "extensions", "metrics", "prometheus")
    if prometheus is None:
        return
    path = prometheus.get("path") or ""
    if path != (os.path.normpath(path) if path else "."):
        raise ConfigError("extensions.metrics.prometheus.path: invalid metrics path")
    if not path.startswith("/"):
        raise ConfigError("extensions.metrics.prometheus.path: metrics path must start with '/'")
    if path in ("/", "/v2"):
        raise ConfigError("extensions.metrics.prometheus.path: metrics path is not allowed")


def _compile_conditions(access):
    policies = [("adminPolicy", access.get("adminpolicy") or {})]
    for pattern, group in (access.get("repositories") or {}).items():
        for i, policy in enumerate(group.get("policies") or []):
            policies.append((f"repositories[{pattern!r}].policies[{i}]", policy))
    for where, policy in policies:
        for i, condition in enumerate(policy.get("conditions") or []):
            try:
                cel_compile(condition.get("expression") or "")
            except CelError as err:
                raise ConfigError(f"http.accessControl.{where}: condition[{i}]: {err}") from None


# ----------------------------------------------------------------------------------------
# Glob matching with doublestar v4 semantics: "*" and "?" stay inside one path segment,
# "**" as a whole segment spans any number of segments (zero included, so "a/**" matches
# "a"), "[...]" classes and "{a,b}" alternatives. Nothing is anchored implicitly, so a
# leading "/" never matches a repository name.
# ----------------------------------------------------------------------------------------
_glob_cache = {}


def _glob_regex(pattern):
    out, i, n, depth = [], 0, len(pattern), 0
    while i < n:
        char = pattern[i]
        if char == "*":
            if pattern.startswith("**", i):
                whole_start = i == 0 or pattern[i - 1] == "/"
                whole_end = i + 2 == n or pattern[i + 2] == "/"
                if whole_start and whole_end:
                    if i + 2 < n:  # "**/" : zero or more leading segments
                        out.append("(?:.*/)?")
                        i += 3
                        continue
                    if out and out[-1] == "/":  # trailing "/**" : the parent itself too
                        out[-1] = "(?:/.*)?"
                    else:
                        out.append(".*")
                    i += 2
                    continue
                out.append("[^/]*")
                i += 2
                continue
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", i + 2)
            if end < 0:
                raise ValueError("syntax error in pattern")
            body = pattern[i + 1 : end]
            if body.startswith(("!", "^")):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end
        elif char == "{":
            depth += 1
            out.append("(?:")
        elif char == "}" and depth:
            depth -= 1
            out.append(")")
        elif char == "," and depth:
            out.append("|")
        elif char == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(char))
        i += 1
    if depth:
        raise ValueError("syntax error in pattern")
    return re.compile("".join(out) + r"\Z", re.S)


def glob_match(pattern, name):
    try:
        if pattern not in _glob_cache:
            _glob_cache[pattern] = _glob_regex(pattern)
        return _glob_cache[pattern].match(name) is not None
    except (ValueError, re.error):
        return False


def glob_valid(pattern):
    try:
        _glob_regex(pattern)
        return True
    except (ValueError, re.error):
        return False


def longest_glob(patterns, name):
    """The single longest pattern (by string length) matching name, or None."""
    best = None
    for pattern in patterns:
        if glob_match(pattern, name) and (best is None or len(pattern) > len(best)):
            best = pattern
    return best


# ----------------------------------------------------------------------------------------
# A subset of CEL for accessControl policy conditions (zot compiles them with cel-go and
# exposes a `req` map). Supported: literals, lists, member/index access, ! - * / % + < <=
# > >= == != in && || ?:, methods startsWith/endsWith/contains/matches/size/exists/all and
# functions size/string/int. Anything else is a compile error; an evaluation error denies.
# ----------------------------------------------------------------------------------------
class CelError(Exception):
    pass


_CEL_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+\.\d+|\d+)|(?P<str>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')"
    r"|(?P<op>&&|\|\||==|!=|<=|>=|[-+*/%<>!?:.,()\[\]])|(?P<id>[A-Za-z_][A-Za-z0-9_]*))"
)
_CEL_BINARY = {
    "||": 1,
    "&&": 2,
    "==": 3,
    "!=": 3,
    "<": 3,
    "<=": 3,
    ">": 3,
    ">=": 3,
    "in": 3,
    "+": 4,
    "-": 4,
    "*": 5,
    "/": 5,
    "%": 5,
}


def _cel_tokens(text):
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _CEL_TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise CelError(f"syntax error at position {pos} in {text!r}")
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "str":
            value = json.loads('"' + value[1:-1].replace('\\"', '"').replace('"', '\\"') + '"')
        tokens.append((kind, value))
        pos = match.end()
    tokens.append(("end", None))
    return tokens


class _CelParser:
    def __init__(self, text):
        self.tokens = _cel_tokens(text)
        self.pos = 0

    def peek(self):
        return self.tokens[self.pos]

    def take(self, value=None):
        token = self.tokens[self.pos]
        if value is not None and token[1] != value:
            raise CelError(f"expected {value!r}, found {token[1]!r}")
        self.pos += 1
        return token

    def parse(self):
        node = self.ternary()
        if self.peek()[0] != "end":
            raise CelError(f"unexpected {self.peek()[1]!r}")
        return node

    def ternary(self):
        cond = self.binary(1)
        if self.peek()[1] == "?":
            self.take("?")
            yes = self.ternary()
            self.take(":")
            no = self.ternary()
            return lambda env: yes(env) if _cel_bool(cond(env)) else no(env)
        return cond

    def binary(self, min_prec):
        left = self.unary()
        while True:
            kind, op = self.peek()
            if kind not in ("op", "id") or op not in _CEL_BINARY or _CEL_BINARY[op] < min_prec:
                return left
            self.take()
            right = self.binary(_CEL_BINARY[op] + 1)
            left = _cel_binary(op, left, right)

    def unary(self):
        if self.peek()[1] == "!":
            self.take()
            operand = self.unary()
            return lambda env: not _cel_bool(operand(env))
        if self.peek()[1] == "-":
            self.take()
            operand = self.unary()
            return lambda env: -operand(env)
        return self.postfix(self.primary())

    def primary(self):
        kind, value = self.take()
        if kind == "num":
            number = float(value) if "." in value else int(value)
            return lambda env: number
        if kind == "str":
            return lambda env: value
        if value == "(":
            node = self.ternary()
            self.take(")")
            return node
        if value == "[":
            items = self.arguments("]")
            return lambda env: [item(env) for item in items]
        if kind == "id":
            if value in ("true", "false", "null"):
                constant = {"true": True, "false": False, "null": None}[value]
                return lambda env: constant
            if self.peek()[1] == "(":
                self.take("(")
                args = self.arguments(")")
                return _cel_function(value, args)
            return lambda env: _cel_lookup(env, value)
        raise CelError(f"unexpected {value!r}")

    def arguments(self, closer):
        items = []
        while self.peek()[1] != closer:
            items.append(self.ternary())
            if self.peek()[1] == ",":
                self.take(",")
        self.take(closer)
        return items

    def postfix(self, node):
        while True:
            if self.peek()[1] == ".":
                self.take(".")
                _unused, name = self.take()
                if self.peek()[1] == "(":
                    node = self.method(node, name)
                else:
                    node = _cel_field(node, name)
            elif self.peek()[1] == "[":
                self.take("[")
                index = self.ternary()
                self.take("]")
                node = _cel_index(node, index)
            else:
                return node

    def method(self, target, name):
        self.take("(")
        if name in ("exists", "all"):
            _unused, variable = self.take()
            self.take(",")
            predicate = self.ternary()
            self.take(")")
            combine = any if name == "exists" else all

            def macro(env):
                return combine(_cel_bool(predicate({**env, variable: item})) for item in target(env))

            return macro
        args = self.arguments(")")
        methods = {
            "startsWith": lambda t, a: t.startswith(a),
            "endsWith": lambda t, a: t.endswith(a),
            "contains": lambda t, a: a in t,
            "matches": lambda t, a: re.search(a, t) is not None,
            "size": len,
        }
        if name not in methods:
            raise CelError(f"undeclared reference to '{name}'")
        call = methods[name]
        return lambda env: call(target(env), *[a(env) for a in args])


def _cel_bool(value):
    if not isinstance(value, bool):
        raise CelError(f"no such overload: expected bool, got {type(value).__name__}")
    return value


def _cel_lookup(env, name):
    if name not in env:
        raise CelError(f"undeclared reference to '{name}'")
    return env[name]


def _cel_member(value, key):
    if isinstance(value, dict) and key in value:
        return value[key]
    if isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
        return value[key]
    raise CelError(f"no such key: {key}")


# Functions rather than lambdas in the parser's loop, so that each node keeps the target it was
# built with while the loop rebinds `node`.
def _cel_field(target, key):
    return lambda env: _cel_member(target(env), key)


def _cel_index(target, index):
    return lambda env: _cel_member(target(env), index(env))


def _cel_function(name, args):
    functions = {"size": len, "string": str, "int": int}
    if name not in functions:
        raise CelError(f"undeclared reference to '{name}'")
    func = functions[name]
    return lambda env: func(*[a(env) for a in args])


def _cel_binary(op, left, right):
    if op == "&&":
        return lambda env: _cel_bool(left(env)) and _cel_bool(right(env))
    if op == "||":
        return lambda env: _cel_bool(left(env)) or _cel_bool(right(env))
    operations = {
        "==": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
        "in": lambda a, b: a in b,
        "+": lambda a, b: a + b,
        "-": lambda a, b: a - b,
        "*": lambda a, b: a * b,
        "/": lambda a, b: a // b if isinstance(a, int) and isinstance(b, int) else a / b,
        "%": lambda a, b: a % b,
    }
    operation = operations[op]

    def evaluate(env):
        try:
            return operation(left(env), right(env))
        except TypeError as err:
            raise CelError(f"no such overload: {err}") from None

    return evaluate


def cel_compile(expression):
    if not expression.strip():
        raise CelError("empty expression")
    return _CelParser(expression).parse()


def cel_evaluate(program, data):
    try:
        return _cel_bool(program(data))
    except CelError:
        raise
    except Exception as err:  # noqa: BLE001 - any evaluation failure denies, as in zot
        raise CelError(str(err)) from None


# ----------------------------------------------------------------------------------------
# Authorization: a transcription of pkg/api/authz.go.
# ----------------------------------------------------------------------------------------
class Identity:
    """The caller: username "" is anonymous; groups from accessControl or the key owner."""

    def __init__(self, username="", groups=None):
        self.username = username
        self.groups = list(groups) if groups else None

    @property
    def anonymous(self):
        return self.username == ""


class AccessController:
    def __init__(self, access):
        self.access = access or {}
        self.repositories = self.access.get("repositories") or {}
        self.admin = self.access.get("adminpolicy") or {}
        self._programs = {}

    def user_groups(self, username):
        """getUserGroups: every accessControl group listing the user."""
        groups = self.access.get("groups") or {}
        return [name for name, group in groups.items() if username in (group.get("users") or [])]

    def is_admin(self, identity):
        if identity.username in (self.admin.get("users") or []):
            return True
        return any(g in (self.admin.get("groups") or []) for g in identity.groups or [])

    def _conditions_met(self, policy, request_data):
        """policyConditionsMet: (ok, operator message when a condition said no)."""
        for condition in policy.get("conditions") or []:
            expression = condition.get("expression") or ""
            try:
                if expression not in self._programs:
                    self._programs[expression] = cel_compile(expression)
                ok = cel_evaluate(self._programs[expression], request_data)
            except CelError as err:
                log("warn", "failed to evaluate policy condition", expression=expression, error=str(err))
                return False, ""
            if not ok:
                return False, condition.get("message") or ""
        return True, ""

    def _is_permitted(self, identity, action, group, request_data):
        last_reason = ""
        for policy in group.get("policies") or []:
            if identity.username in (policy.get("users") or []) and action in (policy.get("actions") or []):
                ok, reason = self._conditions_met(policy, request_data)
                if ok:
                    return True, ""
                last_reason = reason or last_reason
        if identity.groups is not None:
            for policy in group.get("policies") or []:
                if action not in (policy.get("actions") or []):
                    continue
                if not any(g in identity.groups for g in policy.get("groups") or []):
                    continue
                ok, reason = self._conditions_met(policy, request_data)
                if ok:
                    return True, ""
                last_reason = reason or last_reason
        if action in (group.get("defaultpolicy") or []) and not identity.anonymous:
            return True, ""
        if action in (group.get("anonymouspolicy") or []) and identity.anonymous:
            return True, ""
        return False, last_reason

    def can(self, identity, action, repository, reference="", request_info=None):
        """(allowed, deny reason) for one action on one repository (AccessController.can)."""
        request_data = self._request_data(identity, action, repository, reference, request_info)
        allowed, reason = False, ""
        pattern = longest_glob(self.repositories, repository)
        if pattern is not None:
            allowed, reason = self._is_permitted(identity, action, self.repositories[pattern], request_data)
        if not allowed and self.is_admin(identity) and action in (self.admin.get("actions") or []):
            ok, deny_reason = self._conditions_met(self.admin, request_data)
            if ok:
                allowed, reason = True, ""
            elif deny_reason:
                reason = deny_reason
        return allowed, reason

    def can_read_for_catalog(self, identity, repository):
        """UserAccessControl.Can(read): admins see all; else the longest glob's flag, where
        user/group policies count without evaluating their conditions (getGlobPatterns)."""
        if self.is_admin(identity):
            return True
        flags = {}
        for pattern, group in self.repositories.items():
            if identity.anonymous:
                allowed = "read" in (group.get("anonymouspolicy") or [])
            else:
                allowed = "read" in (group.get("defaultpolicy") or [])
            for policy in group.get("policies") or []:
                if "read" not in (policy.get("actions") or []):
                    continue
                if identity.username in (policy.get("users") or []):
                    allowed = True
                if any(g in (policy.get("groups") or []) for g in identity.groups or []):
                    allowed = True
            flags[pattern] = allowed
        best = longest_glob(flags, repository)
        return flags.get(best, False) if best is not None else False

    def manifest_write_checks(self, repo_tags, reference, raw_tag_query):
        """manifestWriteAuthzChecks: every (action, reference) a manifest write needs."""
        if not DIGEST_RE.match(reference):
            return [("update" if reference in repo_tags else "create", reference)]
        existing, new = [], []
        for raw in raw_tag_query:
            tag = raw.strip()
            if not tag or not TAG_RE.match(tag):
                continue
            target = existing if tag in repo_tags else new
            if tag not in target:
                target.append(tag)
        checks = [("update", t) for t in existing] + [("create", t) for t in new]
        if new or not existing:
            checks.append(("create", reference))
        if existing:
            checks.append(("update", reference))
        return checks

    def _request_data(self, identity, action, repository, reference, info):
        info = info or {}
        ref_type = tag = digest = ""
        if reference:
            if ":" in reference:
                ref_type, digest = "digest", reference
            else:
                ref_type, tag = "tag", reference
        return {
            "req": {
                "time": dt.datetime.now(dt.UTC),
                "method": info.get("method", ""),
                "userAgent": info.get("userAgent", ""),
                "action": action,
                "repository": repository,
                "reference": reference,
                "referenceType": ref_type,
                "tag": tag,
                "digest": digest,
                "user": {"username": identity.username, "groups": identity.groups or []},
                "auth": {"anonymous": identity.anonymous, "admin": self.is_admin(identity)},
                "client": {"ip": info.get("clientIP", ""), "forwardedFor": info.get("forwardedFor", [])},
                "tls": {"enabled": info.get("tls", False), "version": info.get("tlsVersion", "")},
                "claims": {},
            }
        }

    def anonymous_policy_exists(self):
        return any(group.get("anonymouspolicy") for group in self.repositories.values())

    def has_mixed_policies(self):
        return self.anonymous_policy_exists() and not contains_only_anonymous_policy(self.access)


# ----------------------------------------------------------------------------------------
# Authentication helpers: htpasswd (re-read when the file changes) and the user store that
# stands in for zot's MetaDB (groups saved at each login, API keys as SHA-256 hashes).
# ----------------------------------------------------------------------------------------
class HTPasswd:
    def __init__(self, path):
        self.path = path
        self._stamp = None
        self._users = {}
        self._verified = set()
        self._lock = threading.Lock()
        self.reload()  # zot panics at start when the file cannot be read

    def reload(self):
        stat = os.stat(self.path)
        users = {}
        with open(self.path, encoding="utf-8") as handle:
            for line in handle:
                line = line.strip()
                if line and not line.startswith("#") and ":" in line:
                    user, hashed = line.split(":", 1)
                    users[user] = hashed
        if bcrypt is None and any(h.startswith("$2") for h in users.values()):
            raise OSError(f"{self.path} holds bcrypt hashes but the bcrypt module is missing")
        self._users, self._stamp = users, (stat.st_mtime_ns, stat.st_size)

    def authenticate(self, username, password):
        with self._lock:
            with contextlib.suppress(OSError):
                stat = os.stat(self.path)
                if (stat.st_mtime_ns, stat.st_size) != self._stamp:
                    self.reload()
            hashed = self._users.get(username)
        if not hashed:
            return False
        if hashed.startswith(("$2a$", "$2b$", "$2y$")):
            # bcrypt is slow by design; remember good pairs so clients' many requests stay fast.
            memo = hashlib.sha256(f"{username}\0{password}\0{hashed}".encode()).digest()
            if memo in self._verified:
                return True
            try:
                ok = bcrypt.checkpw(password.encode(), hashed.encode())
            except ValueError:
                return False
            if ok:
                self._verified.add(memo)
            return ok
        if hashed.startswith(("$5$", "$6$")):
            try:
                import crypt  # deprecated in 3.11; SHA-crypt hashes need it
            except ImportError:
                return False
            return secrets.compare_digest(crypt.crypt(password, hashed), hashed)
        return False  # apr1/MD5, SHA1 and plain text are not accepted by zot


class UserStore:
    """Per-user groups and API keys, persisted as JSON under the storage root."""

    def __init__(self, root, persist_sessions=False):
        self.path = os.path.join(root, STATE_DIR, "users.json")
        self._lock = threading.Lock()
        self._data = {}
        # UI sessions survive a restart only with fixed session keys (sessionKeysFile).
        self.persist_sessions = persist_sessions
        self._sessions = {}
        with contextlib.suppress(OSError, ValueError):
            with open(self.path, encoding="utf-8") as handle:
                self._data = json.load(handle)
        if persist_sessions:
            self._sessions = {k: tuple(v) for k, v in self._data.pop(SESSIONS_KEY, {}).items()}
        self._data.pop(SESSIONS_KEY, None)

    def _save(self):
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        data = dict(self._data, **({SESSIONS_KEY: self._sessions} if self.persist_sessions else {}))
        atomic_write(self.path, json.dumps(data, indent=1).encode())

    def _user(self, username):
        return self._data.setdefault(username, {"groups": [], "apiKeys": {}})

    def set_groups(self, username, groups):
        with self._lock:
            user = self._user(username)
            if user["groups"] != list(groups):
                user["groups"] = list(groups)
                self._save()

    def groups(self, username):
        with self._lock:
            return list(self._data.get(username, {}).get("groups", []))

    def add_key(self, username, hashed, details):
        with self._lock:
            self._user(username)["apiKeys"][hashed] = details
            self._save()

    def list_keys(self, username):
        now = dt.datetime.now(dt.UTC)
        with self._lock:
            keys = list(self._data.get(username, {}).get("apiKeys", {}).values())
        return [dict(k, isExpired=k["isExpired"] or _expired(k, now)) for k in keys]

    def delete_key(self, username, key_id):
        with self._lock:
            keys = self._data.get(username, {}).get("apiKeys", {})
            for hashed in [h for h, k in keys.items() if k["uuid"] == key_id]:
                del keys[hashed]
            self._save()

    def key_owner(self, hashed):
        """(owner, details) for a hashed key, or (None, None)."""
        with self._lock:
            for username, user in self._data.items():
                if hashed in user.get("apiKeys", {}):
                    return username, user["apiKeys"][hashed]
        return None, None

    def new_session(self, username, lifetime, provider=""):
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[token] = (username, time.time() + lifetime, provider)
            if self.persist_sessions:
                self._save()
        return token

    def session_user(self, token):
        with self._lock:
            username, expiry = self._sessions.get(token or "", (None, 0))[:2]
        return username if username is not None and time.time() < expiry else None

    def end_session(self, token):
        """Forget a session (logout); the OpenID provider it came from, or ""."""
        with self._lock:
            entry = self._sessions.pop(token or "", None)
            if entry is not None and self.persist_sessions:
                self._save()
        return entry[2] if entry is not None and len(entry) > 2 else ""

    def touch_key(self, username, hashed):
        with self._lock:
            key = self._data.get(username, {}).get("apiKeys", {}).get(hashed)
            if key is not None:
                key["lastUsed"] = rfc3339(dt.datetime.now(dt.UTC))
                self._save()


ZERO_TIME = "0001-01-01T00:00:00Z"
SESSIONS_KEY = "\u0000sessions"  # cannot collide with a username
SESSION_LIFETIME = 2 * 3600


def rfc3339(moment):
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _expired(key, now):
    if key.get("expirationDate", ZERO_TIME) == ZERO_TIME:
        return False
    return now > dt.datetime.fromisoformat(key["expirationDate"].replace("Z", "+00:00"))


def hash_api_key(secret):
    """hashUUID: hex SHA-256 of the key without its zak_ prefix."""
    return hashlib.sha256(secret.encode()).hexdigest()


def atomic_write(path, data):
    tmp = f"{path}.{uuid.uuid4().hex}.tmp"
    with open(tmp, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


# ----------------------------------------------------------------------------------------
# Storage: one OCI image layout per repository under rootDirectory, as zot's local store.
# ----------------------------------------------------------------------------------------
class StoreError(Exception):
    """A storage failure mapped to an OCI error: (status, code, detail)."""

    def __init__(self, status, code, detail=None):
        super().__init__(code)
        self.status, self.code, self.detail = status, code, detail or {}


def sha256_digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Storage:
    def __init__(self, root, compat):
        self.root = root
        self.compat = compat
        self.lock = threading.RLock()
        os.makedirs(root, exist_ok=True)

    def repo_dir(self, repo):
        return os.path.join(self.root, repo)

    def exists(self, repo):
        base = self.repo_dir(repo)
        return os.path.isfile(os.path.join(base, "index.json")) and os.path.isfile(
            os.path.join(base, "oci-layout")
        )

    def init_repo(self, repo):
        with self.lock:
            base = self.repo_dir(repo)
            os.makedirs(os.path.join(base, "blobs", "sha256"), exist_ok=True)
            os.makedirs(os.path.join(base, ".uploads"), exist_ok=True)
            if not os.path.isfile(os.path.join(base, "oci-layout")):
                atomic_write(os.path.join(base, "oci-layout"), b'{"imageLayoutVersion":"1.0.0"}')
            if not os.path.isfile(os.path.join(base, "index.json")):
                self.write_index(repo, {"schemaVersion": 2, "manifests": []})

    def repositories(self):
        repos = []
        for current, dirs, _files in os.walk(self.root):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "blobs")
            rel = os.path.relpath(current, self.root)
            if rel != "." and self.exists(rel):
                repos.append(rel.replace(os.sep, "/"))
        return sorted(repos)

    def read_index(self, repo):
        if not self.exists(repo):
            raise StoreError(404, "NAME_UNKNOWN", {"name": repo})
        with open(os.path.join(self.repo_dir(repo), "index.json"), encoding="utf-8") as handle:
            return json.load(handle)

    def write_index(self, repo, index):
        atomic_write(os.path.join(self.repo_dir(repo), "index.json"), json.dumps(index).encode())

    def tags(self, repo):
        index = self.read_index(repo)
        return [
            m["annotations"][REF_NAME] for m in index["manifests"] if REF_NAME in (m.get("annotations") or {})
        ]

    def blob_path(self, repo, digest):
        algorithm, _unused, encoded = digest.partition(":")
        return os.path.join(self.repo_dir(repo), "blobs", algorithm, encoded)

    def blob_size(self, repo, digest):
        """Size of a blob or None; a malformed digest is a 400 DIGEST_INVALID."""
        if not DIGEST_RE.match(digest):
            raise StoreError(400, "DIGEST_INVALID", {"digest": digest})
        if not self.exists(repo):
            raise StoreError(404, "NAME_UNKNOWN", {"name": repo})
        try:
            return os.path.getsize(self.blob_path(repo, digest))
        except OSError:
            return None

    def blob_media_type(self, repo, digest):
        """The media type a manifest of the repo gives the blob, else octet-stream."""
        with contextlib.suppress(StoreError, OSError, ValueError, KeyError):
            for desc in self.read_index(repo)["manifests"]:
                if desc["digest"] == digest:
                    return desc["mediaType"]
                with open(self.blob_path(repo, desc["digest"]), "rb") as handle:
                    manifest = json.load(handle)
                for item in [manifest.get("config") or {}] + (manifest.get("layers") or []):
                    if item.get("digest") == digest and item.get("mediaType"):
                        return item["mediaType"]
        return "application/octet-stream"

    def store_blob_file(self, repo, digest, source_path):
        """Move a fully received file into blobs/ after checking its digest."""
        hasher = hashlib.sha256()
        with open(source_path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                hasher.update(chunk)
        if not DIGEST_RE.match(digest) or "sha256:" + hasher.hexdigest() != digest:
            os.unlink(source_path)
            raise StoreError(400, "DIGEST_INVALID", {"digest": digest})
        with self.lock:
            self.init_repo(repo)
            os.replace(source_path, self.blob_path(repo, digest))

    def store_blob_bytes(self, repo, digest, data):
        tmp = self.upload_path(repo, uuid.uuid4().hex)
        self.init_repo(repo)
        with open(tmp, "wb") as handle:
            handle.write(data)
        self.store_blob_file(repo, digest, tmp)

    def upload_path(self, repo, session_id):
        return os.path.join(self.repo_dir(repo), ".uploads", session_id)

    def new_upload(self, repo):
        self.init_repo(repo)
        session_id = str(uuid.uuid4())
        open(self.upload_path(repo, session_id), "wb").close()
        return session_id

    def upload_size(self, repo, session_id):
        if not self.exists(repo):
            raise StoreError(404, "NAME_UNKNOWN", {"name": repo})
        if not re.fullmatch(r"[A-Za-z0-9-]+", session_id):
            raise StoreError(404, "BLOB_UPLOAD_UNKNOWN", {"session_id": session_id})
        try:
            return os.path.getsize(self.upload_path(repo, session_id))
        except OSError:
            raise StoreError(404, "BLOB_UPLOAD_UNKNOWN", {"session_id": session_id}) from None

    # -- manifests ------------------------------------------------------------------------
    def get_manifest(self, repo, reference):
        """(body, digest, mediaType); a digest not in index.json is looked up in blobs
        (children of an image index live there)."""
        index = self.read_index(repo)
        by_digest = DIGEST_RE.match(reference) is not None
        for desc in index["manifests"]:
            name = (desc.get("annotations") or {}).get(REF_NAME)
            if (by_digest and desc["digest"] == reference) or (not by_digest and name == reference):
                with open(self.blob_path(repo, desc["digest"]), "rb") as handle:
                    return handle.read(), desc["digest"], desc["mediaType"]
        if by_digest and os.path.isfile(self.blob_path(repo, reference)):
            with open(self.blob_path(repo, reference), "rb") as handle:
                body = handle.read()
            with contextlib.suppress(ValueError, AttributeError):
                media_type = json.loads(body).get("mediaType")
                if media_type in (OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST):
                    return body, reference, media_type
        raise StoreError(404, "MANIFEST_UNKNOWN", {"reference": reference})

    def supported_media_type(self, media_type):
        if "docker2s2" in self.compat and media_type in (DOCKER_MANIFEST, DOCKER_LIST):
            return True
        return media_type in (OCI_MANIFEST, OCI_INDEX)

    def _validate_manifest(self, repo, media_type, body):
        try:
            manifest = json.loads(body)
            if not isinstance(manifest, dict):
                raise ValueError("not an object")
        except ValueError:
            raise StoreError(400, "MANIFEST_INVALID", {"reason": "invalid JSON"}) from None
        if manifest.get("mediaType") not in (None, media_type):
            raise StoreError(400, "MANIFEST_INVALID", {"mediaType": manifest.get("mediaType")})
        if media_type in (OCI_MANIFEST, DOCKER_MANIFEST):
            config = manifest.get("config")
            if not isinstance(config, dict) or not isinstance(manifest.get("layers", []), list):
                raise StoreError(400, "MANIFEST_INVALID", {"jsonSchemaValidation": "config/layers"})
            if media_type == DOCKER_MANIFEST or config.get("mediaType") in (OCI_CONFIG, OCI_EMPTY):
                for item in [config] + (manifest.get("layers") or []):
                    if "nondistributable" in (item.get("mediaType") or "") or "foreign" in (
                        item.get("mediaType") or ""
                    ):
                        continue
                    if not os.path.isfile(self.blob_path(repo, str(item.get("digest", "x:x")))):
                        raise StoreError(400, "MANIFEST_INVALID", {"blob": str(item.get("digest"))})
        else:
            children = manifest.get("manifests")
            if not isinstance(children, list):
                raise StoreError(400, "MANIFEST_INVALID", {"jsonSchemaValidation": "manifests"})
            for child in children:
                if not os.path.isfile(self.blob_path(repo, str(child.get("digest", "x:x")))):
                    raise StoreError(400, "MANIFEST_INVALID", {"manifest": str(child.get("digest"))})
        return manifest

    def put_manifest(self, repo, reference, media_type, body, extra_tags=()):
        """PutImageManifest: returns (digest, subject digest or "")."""
        digest = sha256_digest(body)
        ref_is_digest = DIGEST_RE.match(reference) is not None
        if ref_is_digest and reference != digest:
            raise StoreError(400, "MANIFEST_INVALID", {"reference": reference})
        if not body:
            raise StoreError(400, "MANIFEST_INVALID", {"reference": reference})
        with self.lock:
            self.init_repo(repo)
            manifest = self._validate_manifest(repo, media_type, body)
            index = self.read_index(repo)
            path = self.blob_path(repo, digest)
            if not os.path.isfile(path) or os.path.getsize(path) != len(body):
                atomic_write(path, body)
            desc = {"mediaType": media_type, "size": len(body), "digest": digest}
            tags = list(extra_tags) if extra_tags else ([] if ref_is_digest else [reference])
            changed = False
            if not tags:
                if not any(m["digest"] == digest for m in index["manifests"]):
                    index["manifests"].append(desc)
                    changed = True
            for tag in tags:
                current = [m for m in index["manifests"] if (m.get("annotations") or {}).get(REF_NAME) == tag]
                if current and current[0]["digest"] == digest:
                    continue  # same tag, same digest: nothing to do
                index["manifests"] = [
                    m
                    for m in index["manifests"]
                    if (m.get("annotations") or {}).get(REF_NAME) != tag
                    and not (m["digest"] == digest and not (m.get("annotations") or {}).get(REF_NAME))
                ]
                index["manifests"].append(dict(desc, annotations={REF_NAME: tag}))
                changed = True
            if changed:
                self.write_index(repo, index)
            subject = (manifest.get("subject") or {}).get("digest", "")
            return digest, subject, changed

    def delete_manifest(self, repo, reference):
        with self.lock:
            _body, digest, _media_type = self.get_manifest(repo, reference)
            index = self.read_index(repo)
            if DIGEST_RE.match(reference):
                index["manifests"] = [m for m in index["manifests"] if m["digest"] != digest]
            else:
                index["manifests"] = [
                    m for m in index["manifests"] if (m.get("annotations") or {}).get(REF_NAME) != reference
                ]
            self.write_index(repo, index)
            if not any(m["digest"] == digest for m in index["manifests"]):
                with contextlib.suppress(OSError):
                    os.unlink(self.blob_path(repo, digest))

    def blob_referenced(self, repo, digest):
        for desc in self.read_index(repo)["manifests"]:
            if desc["digest"] == digest:
                return True
            with contextlib.suppress(OSError, ValueError):
                with open(self.blob_path(repo, desc["digest"]), "rb") as handle:
                    manifest = json.load(handle)
                items = [manifest.get("config") or {}] + (manifest.get("layers") or [])
                items += manifest.get("manifests") or []
                if any(item.get("digest") == digest for item in items):
                    return True
        return False

    def delete_blob(self, repo, digest):
        with self.lock:
            if self.blob_size(repo, digest) is None:
                raise StoreError(404, "BLOB_UNKNOWN", {"digest": digest})
            if self.blob_referenced(repo, digest):
                raise StoreError(405, "DENIED", {"digest": digest})
            os.unlink(self.blob_path(repo, digest))

    def referrers(self, repo, digest):
        result = []
        with contextlib.suppress(StoreError):
            for desc in self.read_index(repo)["manifests"]:
                with contextlib.suppress(OSError, ValueError):
                    with open(self.blob_path(repo, desc["digest"]), "rb") as handle:
                        manifest = json.load(handle)
                    if (manifest.get("subject") or {}).get("digest") == digest:
                        artifact = manifest.get("artifactType") or (manifest.get("config") or {}).get(
                            "mediaType"
                        )
                        entry = {
                            "mediaType": desc["mediaType"],
                            "digest": desc["digest"],
                            "size": desc["size"],
                        }
                        if artifact:
                            entry["artifactType"] = artifact
                        if manifest.get("annotations"):
                            entry["annotations"] = manifest["annotations"]
                        result.append(entry)
        return result

    def storage_bytes(self, repo):
        total = 0
        for current, _dirs, files in os.walk(os.path.join(self.repo_dir(repo), "blobs")):
            total += sum(os.path.getsize(os.path.join(current, f)) for f in files)
        return total


# ----------------------------------------------------------------------------------------
# On-demand sync (pkg/extensions/sync): a pull of a repository under a configured content
# rule asks the upstream first and copies manifest/index, child manifests and blobs into
# local storage; when the upstream fails the local copy is served.
# ----------------------------------------------------------------------------------------
def split_pattern(pattern):
    """doublestar.SplitPattern: (base without meta characters, the rest)."""
    split_at, i = -1, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 1
        elif char == "/":
            split_at = i
        elif char in "*?[{":
            break
        i += 1
    if split_at == 0:
        return "/", pattern[1:]
    if split_at > 0:
        return pattern[:split_at], pattern[split_at + 1 :]
    return ".", pattern


def content_for_local_repo(contents, repo):
    """GetContentByLocalRepo: the first content rule whose local pattern matches."""
    repo = repo.strip("/")
    for content in contents:
        prefix = (content.get("prefix") or "").strip("/") + "/"
        destination = (content.get("destination") or "").strip("/")
        if content.get("stripprefix"):
            parts = [destination, split_pattern(prefix)[1]]
        else:
            parts = [destination, prefix]
        if glob_match("/".join(parts).strip("/"), repo):
            return content
    return None


def remote_repo_for(local_repo, content):
    """getRepoSource: the upstream repository name of a local repository."""
    local_repo = local_repo.strip("/")
    destination = (content.get("destination") or "").strip("/")
    prefix = (content.get("prefix") or "").strip("/*")
    local_repo = local_repo.removeprefix(destination).strip("/")
    parts = [prefix, local_repo] if content.get("stripprefix") else [local_repo]
    source = "/".join(parts)
    return source if source == "/" else source.strip("/")


_DOCKER_TO_OCI = {
    DOCKER_MANIFEST: OCI_MANIFEST,
    DOCKER_LIST: OCI_INDEX,
    DOCKER_CONFIG: OCI_CONFIG,
    "application/vnd.docker.image.rootfs.diff.tar.gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip": (
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
    ),
}


class Upstream:
    """A minimal distribution client for one upstream URL (basic and bearer token auth)."""

    MANIFEST_ACCEPT = ", ".join([OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST])

    def __init__(self, url, tls_verify, credentials, timeout):
        self.base = url.rstrip("/")
        self.credentials = credentials
        self.timeout = timeout
        self.context = None
        if url.startswith("https") and not tls_verify:
            self.context = ssl.create_default_context()
            self.context.check_hostname = False
            self.context.verify_mode = ssl.CERT_NONE
        self.authorization = None

    def _basic(self):
        if not self.credentials:
            return None
        pair = f"{self.credentials.get('username', '')}:{self.credentials.get('password', '')}"
        return "Basic " + base64.b64encode(pair.encode()).decode()

    def _open(self, path, accept=None):
        for attempt in range(2):
            request = urllib.request.Request(self.base + path)
            if accept:
                request.add_header("Accept", accept)
            if self.authorization:
                request.add_header("Authorization", self.authorization)
            try:
                return urllib.request.urlopen(request, timeout=self.timeout, context=self.context)
            except urllib.error.HTTPError as err:
                if err.code != 401 or attempt:
                    raise
                self.authorization = self._answer_challenge(err.headers.get("WWW-Authenticate", ""))
                if not self.authorization:
                    raise
        raise AssertionError("unreachable")

    def _answer_challenge(self, challenge):
        scheme, _unused, params = challenge.partition(" ")
        if scheme.lower() == "basic":
            return self._basic()
        if scheme.lower() != "bearer":
            return None
        fields = dict(re.findall(r'(\w+)="([^"]*)"', params))
        query = urllib.parse.urlencode({k: v for k, v in fields.items() if k in ("service", "scope")})
        request = urllib.request.Request(fields.get("realm", "") + "?" + query)
        if self._basic():
            request.add_header("Authorization", self._basic())
        with urllib.request.urlopen(request, timeout=self.timeout, context=self.context) as response:
            token = json.load(response)
        return "Bearer " + (token.get("token") or token.get("access_token") or "")

    def manifest(self, repo, reference):
        with self._open(f"/v2/{repo}/manifests/{reference}", self.MANIFEST_ACCEPT) as response:
            body = response.read()
            media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        return body, media_type or json.loads(body).get("mediaType", OCI_MANIFEST)

    def blob_to_file(self, repo, digest, path):
        with self._open(f"/v2/{repo}/blobs/{digest}") as response, open(path, "wb") as handle:
            shutil.copyfileobj(response, handle, 1 << 20)


class SyncService:
    def __init__(self, conf, storage):
        sync = dig(conf, "extensions", "sync", default={})
        self.storage = storage
        self.registries = [r for r in sync.get("registries") or [] if r.get("ondemand")]
        self.credentials = {}
        if sync.get("credentialsfile"):
            with open(sync["credentialsfile"], encoding="utf-8") as handle:
                self.credentials = json.load(handle)

    def enabled(self):
        return bool(self.registries)

    def sync_image(self, local_repo, reference):
        """True when the image was (re)copied from an upstream."""
        for registry in self.registries:
            contents = registry.get("content") or []
            if contents:
                content = content_for_local_repo(contents, local_repo)
                if content is None:
                    continue
                remote_repo = remote_repo_for(local_repo, content)
                if not DIGEST_RE.match(reference) and not self._tag_allowed(content, reference):
                    continue
            else:
                remote_repo = local_repo  # no content rules: every repository matches
            for url in registry.get("urls") or []:
                host = urllib.parse.urlparse(url).netloc
                upstream = Upstream(
                    url,
                    registry.get("tlsverify", True),
                    self.credentials.get(host),
                    registry.get("synctimeout") or 30,
                )
                try:
                    self._copy(upstream, registry, remote_repo, local_repo, reference)
                    log("info", "sync: image synced", remote=url, repo=local_repo, reference=reference)
                    return True
                except (OSError, ValueError, KeyError, urllib.error.URLError, StoreError) as err:
                    log(
                        "error",
                        "failed to sync image",
                        remote=url,
                        repo=local_repo,
                        reference=reference,
                        error=str(err),
                    )
        return False

    @staticmethod
    def _tag_allowed(content, tag):
        tags = content.get("tags") or {}
        if tags.get("regex") is not None and not re.search(tags["regex"], tag):
            return False
        return not (tags.get("excluderegex") is not None and re.search(tags["excluderegex"], tag))

    def _copy(self, upstream, registry, remote_repo, local_repo, reference):
        body, media_type = upstream.manifest(remote_repo, reference)
        preserve = registry.get("preservedigest")
        if media_type in (OCI_INDEX, DOCKER_LIST):
            index = json.loads(body)
            for child in index.get("manifests") or []:
                child_body, child_type = upstream.manifest(remote_repo, child["digest"])
                child_body, child_type = self._copy_manifest(
                    upstream, remote_repo, local_repo, child_body, child_type, preserve
                )
                child["digest"], child["size"] = sha256_digest(child_body), len(child_body)
                child["mediaType"] = child_type
                self.storage.put_manifest(local_repo, child["digest"], child_type, child_body)
            if not preserve and media_type == DOCKER_LIST:
                index["mediaType"] = media_type = OCI_INDEX
                body = json.dumps(index, separators=(",", ":")).encode()
        else:
            body, media_type = self._copy_manifest(
                upstream, remote_repo, local_repo, body, media_type, preserve
            )
        self.storage.put_manifest(
            local_repo, reference if not DIGEST_RE.match(reference) else sha256_digest(body), media_type, body
        )

    def _copy_manifest(self, upstream, remote_repo, local_repo, body, media_type, preserve):
        manifest = json.loads(body)
        self.storage.init_repo(local_repo)
        for item in [manifest.get("config") or {}] + (manifest.get("layers") or []):
            digest = item.get("digest")
            if not digest or self.storage.blob_size(local_repo, digest) is not None:
                continue
            tmp = self.storage.upload_path(local_repo, uuid.uuid4().hex)
            upstream.blob_to_file(remote_repo, digest, tmp)
            self.storage.store_blob_file(local_repo, digest, tmp)
        if preserve or media_type != DOCKER_MANIFEST:
            return body, media_type
        # Without preserveDigest zot stores Docker images converted to OCI media types.
        manifest["mediaType"] = OCI_MANIFEST
        for item in [manifest.get("config") or {}] + (manifest.get("layers") or []):
            item["mediaType"] = _DOCKER_TO_OCI.get(item.get("mediaType"), item.get("mediaType"))
        return json.dumps(manifest, separators=(",", ":")).encode(), OCI_MANIFEST


# ----------------------------------------------------------------------------------------
# Metrics: Prometheus text exposition of a few real zot series.
# ----------------------------------------------------------------------------------------
class Metrics:
    def __init__(self):
        self._lock = threading.Lock()
        self.requests = {}
        self.downloads = {}
        self.uploads = {}

    def count(self, table, key):
        with self._lock:
            table[key] = table.get(key, 0) + 1

    def render(self, storage):
        lines = [
            "# HELP zot_info Server general information",
            "# TYPE zot_info gauge",
            f'zot_info{{binaryType="{BINARY_TYPE}",commit="{COMMIT}",goVersion="{GO_VERSION}",'
            f'version="{RELEASE_TAG}"}} 1',
            "# HELP zot_http_requests_total Total number of http request in zot",
            "# TYPE zot_http_requests_total counter",
        ]
        with self._lock:
            for (method, code), value in sorted(self.requests.items()):
                lines.append(f'zot_http_requests_total{{code="{code}",method="{method}"}} {value}')
            for name, table, help_text in (
                ("repo_downloads_total", self.downloads, "Total number times an image was downloaded"),
                ("repo_uploads_total", self.uploads, "Total number times an image was uploaded"),
            ):
                lines += [f"# HELP zot_{name} {help_text}", f"# TYPE zot_{name} counter"]
                lines += [f'zot_{name}{{repo="{repo}"}} {value}' for repo, value in sorted(table.items())]
        lines += [
            "# HELP zot_repo_storage_bytes Storage used per zot repo",
            "# TYPE zot_repo_storage_bytes gauge",
        ]
        lines += [
            f'zot_repo_storage_bytes{{repo="{r}"}} {storage.storage_bytes(r)}' for r in storage.repositories()
        ]
        return ("\n".join(lines) + "\n").encode()


# ----------------------------------------------------------------------------------------
# HTTP: routing, authn (tryAuthnHandlers), authz middlewares and the route handlers.
# ----------------------------------------------------------------------------------------
ERROR_MESSAGES = {
    "BLOB_UNKNOWN": "blob unknown to registry",
    "BLOB_UPLOAD_INVALID": "blob upload invalid",
    "BLOB_UPLOAD_UNKNOWN": "blob upload unknown to registry",
    "DIGEST_INVALID": "provided digest did not match uploaded content",
    "MANIFEST_BLOB_UNKNOWN": "blob unknown to registry",
    "MANIFEST_INVALID": "manifest invalid",
    "MANIFEST_UNKNOWN": "manifest unknown",
    "NAME_INVALID": "invalid repository name",
    "NAME_UNKNOWN": "repository name not known to registry",
    "SIZE_INVALID": "provided length did not match content length",
    "UNAUTHORIZED": "authentication required",
    "DENIED": "requested access to the resource is denied",
    "UNSUPPORTED": "the operation is unsupported",
}

REPO_ROUTES = [
    ("uploads", re.compile(rf"^/v2/(?P<name>{NAME_RE})/blobs/uploads/$")),
    ("upload", re.compile(rf"^/v2/(?P<name>{NAME_RE})/blobs/uploads/(?P<session_id>[^/]+)$")),
    ("tags", re.compile(rf"^/v2/(?P<name>{NAME_RE})/tags/list$")),
    ("manifest", re.compile(rf"^/v2/(?P<name>{NAME_RE})/manifests/(?P<reference>[^/]+)$")),
    ("blob", re.compile(rf"^/v2/(?P<name>{NAME_RE})/blobs/(?P<digest>[^/]+)$")),
    ("referrers", re.compile(rf"^/v2/(?P<name>{NAME_RE})/referrers/(?P<digest>[^/]+)$")),
]
ROUTE_METHODS = {
    "uploads": ("POST",),
    "upload": ("GET", "PATCH", "PUT", "DELETE"),
    "tags": ("GET",),
    "manifest": ("GET", "HEAD", "PUT", "DELETE"),
    "blob": ("GET", "HEAD", "DELETE"),
    "referrers": ("GET",),
}


# ----------------------------------------------------------------------------------------
# OpenID Connect login (pkg/api/authn.go and routes.go with github.com/zitadel/oidc/v3's
# relying party, as zot v2.1.20 wires them): discovery at start, authorization code flow
# with state (and PKCE for a client without secret), ID token and userinfo checks, claims
# to identity and groups. zitadel's rp sends no nonce, so an ID token carrying one is
# refused, as its verifier compares the claim with the empty expected nonce.
# ----------------------------------------------------------------------------------------
OPENID_PROVIDERS = ("oidc", "google", "gitlab")
CALLBACK_BASE_PATH = "/zot/auth/callback"
RELYING_PARTY_COOKIE_MAX_AGE = 120  # relyingPartyCookieMaxAge: state and PKCE cookies
ISSUED_AT_OFFSET = 5  # issuedAtOffset: tolerated clock skew for the ID token's iat
IDP_HTTP_TIMEOUT = 30  # zitadel's default HTTP client timeout
DEFAULT_USERNAME_CLAIM = "email"
DEFAULT_GROUPS_CLAIM = "groups"
# DER prefix of a SHA-256 DigestInfo (RFC 8017 section 9.2): what RS256 signs.
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


class OpenIDError(Exception):
    """A failed discovery, code exchange or token check; the message says which."""


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def rs256_verify(jwk, signing_input, signature):
    """RSASSA-PKCS1-v1_5 with SHA-256 against an RSA JWK (public key only: stdlib is enough)."""
    modulus = int.from_bytes(b64url_decode(jwk["n"]), "big")
    exponent = int.from_bytes(b64url_decode(jwk["e"]), "big")
    size = (modulus.bit_length() + 7) // 8
    if len(signature) != size:
        return False
    decoded = pow(int.from_bytes(signature, "big"), exponent, modulus).to_bytes(size, "big")
    digest = _SHA256_DIGEST_INFO + hashlib.sha256(signing_input).digest()
    expected = b"\x00\x01" + b"\xff" * (size - len(digest) - 3) + b"\x00" + digest
    return secrets.compare_digest(decoded, expected)


def _idp_request(url, data=None, headers=None):
    request = urllib.request.Request(url, data=data, headers=dict(headers or {}, Accept="application/json"))
    try:
        with urllib.request.urlopen(request, timeout=IDP_HTTP_TIMEOUT) as response:  # noqa: S310
            return json.loads(response.read())
    except urllib.error.HTTPError as err:
        raise OpenIDError(f"{url}: HTTP {err.code}: {err.read()[:300].decode(errors='replace')}") from err
    except (OSError, ValueError) as err:
        raise OpenIDError(f"{url}: {err}") from err


def openid_origin(conf):
    """originFromConfig: externalUrl, else scheme://address:port (wrong behind a proxy)."""
    external = (dig(conf, "http", "externalurl") or "").rstrip("/")
    if external:
        return external
    scheme = "https" if dig(conf, "http", "tls") else "http"
    address = dig(conf, "http", "address")
    host = f"[{address}]" if ":" in address else address
    return f"{scheme}://{host}:{dig(conf, 'http', 'port')}"


class RelyingParty:
    """One OpenID provider as zitadel's rp.NewRelyingPartyOIDC sets it up."""

    def __init__(self, conf, name, provider):
        self.name = name
        self.issuer = provider.get("issuer") or ""
        self.client_id = provider.get("clientid") or ""
        self.client_secret = provider.get("clientsecret") or ""
        scopes = list(provider.get("scopes") or [])
        # getRelyingPartyArgs: the openid scope must come first.
        self.scopes = scopes if "openid" in scopes else ["openid", *scopes]
        self.redirect_uri = openid_origin(conf) + CALLBACK_BASE_PATH + "/" + name
        mapping = provider.get("claimmapping") or {}
        self.username_claim = mapping.get("username") or ""
        self.groups_claim = mapping.get("groups") or DEFAULT_GROUPS_CLAIM
        self.metadata = {}
        self._keys = {}

    @property
    def pkce(self):
        return self.client_secret == ""

    def discover(self):
        """client.Discover: the issuer's discovery document, whose issuer must match exactly."""
        metadata = _idp_request(self.issuer.rstrip("/") + "/.well-known/openid-configuration")
        if metadata.get("issuer") != self.issuer:
            raise OpenIDError(
                f"issuer does not match: discovery document says {metadata.get('issuer')!r}, "
                f"config says {self.issuer!r}"
            )
        self.metadata = metadata

    def authorization_url(self, state, code_challenge=None):
        params = {
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "scope": " ".join(self.scopes),
            "state": state,
        }
        if code_challenge:
            params.update(code_challenge=code_challenge, code_challenge_method="S256")
        endpoint = self.metadata["authorization_endpoint"]
        return endpoint + ("&" if "?" in endpoint else "?") + urllib.parse.urlencode(params)

    def exchange_code(self, code, code_verifier=None):
        """The token endpoint's answer for an authorization code.

        Client authentication as golang.org/x/oauth2's AuthStyleAutoDetect: HTTP Basic
        first (also with an empty secret), then client_id/client_secret in the form.
        """
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}
        if code_verifier:
            form["code_verifier"] = code_verifier
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        login = f"{urllib.parse.quote_plus(self.client_id)}:{urllib.parse.quote_plus(self.client_secret)}"
        basic = {"Authorization": "Basic " + base64.b64encode(login.encode()).decode()}
        in_form = {
            "client_id": self.client_id,
            **({"client_secret": self.client_secret} if self.client_secret else {}),
        }
        try:
            tokens = _idp_request(
                self.metadata["token_endpoint"], urllib.parse.urlencode(form).encode(), {**headers, **basic}
            )
        except OpenIDError:
            body = urllib.parse.urlencode({**form, **in_form}).encode()
            tokens = _idp_request(self.metadata["token_endpoint"], body, headers)
        if not tokens.get("access_token"):
            raise OpenIDError("token response has no access_token")
        if not tokens.get("id_token"):
            raise OpenIDError("id_token missing")
        return tokens

    def _signing_key(self, kid):
        if kid not in self._keys:  # zitadel's remote key set refetches on an unknown kid
            jwks = _idp_request(self.metadata["jwks_uri"])
            self._keys = {key.get("kid"): key for key in jwks.get("keys", []) if key.get("kty") == "RSA"}
        if kid in self._keys:
            return self._keys[kid]
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        raise OpenIDError(f"no RSA key with kid {kid!r} in the issuer's JWKS")

    def verify_id_token(self, id_token, access_token):
        """VerifyTokens: signature, issuer, audience, azp, expiry, iat, nonce, at_hash."""
        try:
            header_b64, payload_b64, signature_b64 = id_token.split(".")
            header = json.loads(b64url_decode(header_b64))
            claims = json.loads(b64url_decode(payload_b64))
            signature = b64url_decode(signature_b64)
        except ValueError as err:
            raise OpenIDError(f"malformed id_token: {err}") from err
        if claims.get("iss") != self.issuer:
            raise OpenIDError(f"issuer does not match: {claims.get('iss')!r} != {self.issuer!r}")
        audience = claims.get("aud")
        audience = [audience] if isinstance(audience, str) else list(audience or [])
        if self.client_id not in audience:
            raise OpenIDError(f"audience is not valid: {audience} does not contain {self.client_id!r}")
        if len(audience) > 1 and claims.get("azp") != self.client_id:
            raise OpenIDError("authorized party is not valid")
        if header.get("alg") != "RS256":
            raise OpenIDError(f"signature algorithm not supported: {header.get('alg')!r}")
        key = self._signing_key(header.get("kid"))
        if not rs256_verify(key, f"{header_b64}.{payload_b64}".encode(), signature):
            raise OpenIDError("signature is invalid")
        now = time.time()
        if not isinstance(claims.get("exp"), (int, float)) or now > claims["exp"]:
            raise OpenIDError("token has expired")
        if not isinstance(claims.get("iat"), (int, float)) or claims["iat"] > now + ISSUED_AT_OFFSET:
            raise OpenIDError("issuedAt of token is in the future")
        if claims.get("nonce", "") != "":
            raise OpenIDError("nonce does not match")
        if claims.get("at_hash"):
            digest = hashlib.sha256(access_token.encode()).digest()
            expected = base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()
            if claims["at_hash"] != expected:
                raise OpenIDError("at_hash does not correspond to access token")
        return claims

    def userinfo(self, access_token, subject):
        """rp.Userinfo: the userinfo endpoint's claims, for the ID token's subject only."""
        bearer = {"Authorization": "Bearer " + access_token}
        info = _idp_request(self.metadata["userinfo_endpoint"], headers=bearer)
        if info.get("sub") != subject:
            raise OpenIDError("sub from userinfo does not match the sub from the id_token")
        return info

    def identity(self, info, id_claims):
        """extractOpenIDIdentity: (username, sorted unique groups); username "" = reject."""
        claim = self.username_claim or DEFAULT_USERNAME_CLAIM
        username = _claim_string(info, claim)
        if not username and self.username_claim and claim != DEFAULT_USERNAME_CLAIM:
            log(
                "warn",
                "configured username claim missing or empty, falling back to "
                f'"{DEFAULT_USERNAME_CLAIM}" claim',
                provider=self.name,
                claim=claim,
            )
            username = _claim_string(info, DEFAULT_USERNAME_CLAIM)
        groups = _claim_groups(info, self.groups_claim) + _claim_groups(id_claims, self.groups_claim)
        return username, sorted(set(groups))


def _claim_string(claims, name):
    value = claims.get(name)
    return value if isinstance(value, str) else ""


def _claim_groups(claims, name):
    """appendOpenIDGroups: a list (non-empty items as text) or a single string."""
    value = claims.get(name)
    if isinstance(value, list):
        return [str(item) for item in value if item is not None and str(item) != ""]
    if isinstance(value, str) and value:
        return [value]
    return []


def validate_callback_ui(callback_ui, allow_origins):
    """ValidateCallbackUI: relative paths, or absolute http(s) URLs of an allowed origin."""
    if not callback_ui:
        return ""
    if "\r" in callback_ui or "\n" in callback_ui or callback_ui.startswith("//"):
        return "/"
    parsed = urllib.parse.urlsplit(callback_ui)
    if "\\" in urllib.parse.unquote(parsed.path):
        return "/"
    if not parsed.scheme and not parsed.netloc:
        return callback_ui if callback_ui.startswith("/") else "/"
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return "/"
    origin = f"{parsed.scheme}://{parsed.netloc}".lower()
    allowed = {o.rstrip("/").lower() for o in allow_origins if o}
    return callback_ui if origin in allowed else "/"


def code_challenge(verifier):
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def error_body(code, detail=None, as_list=True):
    error = {
        "code": code,
        "message": ERROR_MESSAGES.get(code, code),
        "detail": {"description": ERROR_MESSAGES.get(code, code), **(detail or {})},
    }
    return {"errors": [error]} if as_list else error


class Registry:
    """Everything a request handler needs, built once from the loaded config."""

    def __init__(self, conf):
        self.conf = conf
        self.auth = dig(conf, "http", "auth", default={})
        self.access_conf = dig(conf, "http", "accesscontrol")
        self.access = AccessController(self.access_conf) if self.access_conf is not None else None
        self.realm = dig(conf, "http", "realm", default="")
        self.fail_delay = self.auth.get("faildelay") or 0
        root = dig(conf, "storage", "rootdirectory", default="")
        self.storage = Storage(root, dig(conf, "http", "compat", default=[]))
        self.users = UserStore(root, persist_sessions=bool(self.auth.get("sessionkeysfile")))
        path = dig(self.auth, "htpasswd", "path")
        self.htpasswd = HTPasswd(path) if path else None
        self.basic_enabled = basic_authn_enabled(self.auth)
        self.apikey_enabled = bool(self.auth.get("apikey"))
        providers = dig(self.auth, "openid", "providers") or {}
        self.openid_enabled = any(p in ("oidc", "google", "gitlab", "github") for p in providers)
        # Discovery happens in discover_openid(), at start, as zot does it.
        self.relying_parties = {
            name: RelyingParty(conf, name, provider)
            for name, provider in providers.items()
            if name in OPENID_PROVIDERS
        }
        self.pending_logins = PendingLogins()
        metrics = dig(conf, "extensions", "metrics", default={})
        self.metrics_path = dig(metrics, "prometheus", "path") if metrics.get("enable") else None
        self.metrics = Metrics()
        sync_conf = dig(conf, "extensions", "sync")
        self.sync = SyncService(conf, self.storage) if sync_conf and sync_conf.get("enable") else None

    def discover_openid(self):
        """NewRelyingPartyOIDC for every OpenID provider; zot panics when one fails."""
        for party in self.relying_parties.values():
            party.discover()


class PendingLogins:
    """Logins between /zot/auth/login and the callback: state, callback_ui, PKCE verifier.

    zot keeps these in encrypted cookies; the double keeps them here, keyed by the value of
    its `statecookie`, and forgets them after the rp cookies' lifetime.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._logins = {}

    def add(self, **login):
        handle = secrets.token_urlsafe(24)
        with self._lock:
            now = time.time()
            self._logins = {k: v for k, v in self._logins.items() if v["expires"] > now}
            self._logins[handle] = dict(login, expires=now + RELYING_PARTY_COOKIE_MAX_AGE)
        return handle

    def take(self, handle):
        with self._lock:
            login = self._logins.pop(handle or "", None)
        return login if login is not None and login["expires"] > time.time() else None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "zot-double"

    # -- plumbing ---------------------------------------------------------------------
    @property
    def app(self):
        return self.server.app

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass  # requests are logged as JSON in _handle

    def do_GET(self):
        self._handle()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _handle(self):
        self.status = 500
        self.extra_headers = {}
        self.body_consumed = False
        self.username = ""
        parsed = urllib.parse.urlsplit(self.path)
        self.url_path = parsed.path
        self.query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
        try:
            self._route()
        except StoreError as err:
            self.send_json(err.status, error_body(err.code, err.detail))
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception as err:  # noqa: BLE001 - a handler bug must answer 500, not hang
            log("error", "unexpected error", error=repr(err))
            self.send_json(500, error_body("UNSUPPORTED", {"reason": "internal error"}))
        finally:
            if not self.body_consumed and self._has_body():
                self.close_connection = True
            self.app.metrics.count(self.app.metrics.requests, (self.command, str(self.status)))
            log(
                "info",
                "HTTP API",
                component="session",
                clientIP=self.client_address[0],
                method=self.command,
                path=self.url_path,
                statusCode=self.status,
                username=self.username,
            )

    def _has_body(self):
        return (
            self.headers.get("Transfer-Encoding", "").lower() == "chunked"
            or int(self.headers.get("Content-Length") or 0) > 0
        )

    def body_chunks(self):
        """The request body as a stream of chunks (Content-Length or chunked encoding)."""
        self.body_consumed = True
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return
                remaining = size
                while remaining:
                    chunk = self.rfile.read(min(remaining, 1 << 20))
                    if not chunk:
                        raise ConnectionError("client closed the connection")
                    remaining -= len(chunk)
                    yield chunk
                self.rfile.readline()
        else:
            remaining = int(self.headers.get("Content-Length") or 0)
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 1 << 20))
                if not chunk:
                    raise ConnectionError("client closed the connection")
                remaining -= len(chunk)
                yield chunk

    def read_body(self, limit=None):
        data = bytearray()
        for chunk in self.body_chunks():
            data += chunk
            if limit is not None and len(data) > limit:
                raise StoreError(413, "MANIFEST_INVALID", {"reason": "body too large"})
        return bytes(data)

    def send(self, status, body=b"", headers=None, content_type=None):
        self.status = status
        self.send_response(status)
        for key, value in list((headers or {}).items()) + list(self.extra_headers.items()):
            for item in value if isinstance(value, list) else [value]:
                self.send_header(key, item)
        if content_type:
            self.send_header("Content-Type", content_type)
        if "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status, payload, headers=None):
        self.send(status, json.dumps(payload).encode(), headers, "application/json")

    def first(self, key):
        values = self.query.get(key)
        return values[0] if values else None

    # -- authentication and authorization ---------------------------------------------
    def sleep_fail_delay(self):
        if self.app.fail_delay:
            log("info", "authn/authz failure: sleeping failDelay", failDelay=self.app.fail_delay)
            time.sleep(self.app.fail_delay)

    def challenge_headers(self):
        if self.headers.get(SESSION_HEADER[0]) == SESSION_HEADER[1]:
            return {}  # the UI gets no browser login prompt
        return {"WWW-Authenticate": "Basic realm=" + json.dumps(self.app.realm or "Authorization Required")}

    def authn_fail(self):
        """authFail: 401; the delay only when credentials or a UI session were presented."""
        if not self._authorization_empty() or self.headers.get(SESSION_HEADER[0]) == SESSION_HEADER[1]:
            self.sleep_fail_delay()
        self.close_connection = self.close_connection or self._has_body()
        self.send_json(401, error_body("UNAUTHORIZED", as_list=False), self.challenge_headers())

    def authz_fail(self, identity, reason=""):
        """AuthzFail: always delayed; 401 for anonymous callers, 403 DENIED otherwise."""
        self.sleep_fail_delay()
        self.close_connection = self.close_connection or self._has_body()
        if identity.anonymous:
            self.send_json(401, error_body("UNAUTHORIZED"), self.challenge_headers())
        else:
            self.send_json(
                403, error_body("DENIED", {"reason": reason} if reason else None), self.challenge_headers()
            )

    def _authorization_empty(self):
        header = self.headers.get("Authorization", "")
        return header == "" or header.lower() == "basic og=="

    def authenticate(self):
        """tryAuthnHandlers: an Identity, or None when the request must get a 401."""
        app = self.app
        access = app.access
        allow_anonymous = access is not None and access.anonymous_policy_exists()
        is_mgmt = self.path == "/v2/_zot/ext/mgmt"
        metrics_anonymous = (
            self._authorization_empty()
            and "read" in (dig(app.access_conf or {}, "metrics", "anonymouspolicy") or [])
            and app.metrics_path is not None
            and self.url_path.startswith(app.metrics_path)
        )
        if len(self.headers.get_all("Authorization") or []) > 1:
            return None
        if not self._authorization_empty() and app.basic_enabled:
            return self.basic_authn()
        if self.headers.get(SESSION_HEADER[0]) == SESSION_HEADER[1]:
            identity = self.session_authn()
            if identity is not None:
                return identity
            # An invalid session still passes where anonymous access is allowed.
            return Identity() if allow_anonymous or is_mgmt or metrics_anonymous else None
        if not app.basic_enabled and not mtls_enabled(app.conf):
            return Identity()
        if allow_anonymous or is_mgmt or metrics_anonymous:
            agent = self.headers.get("User-Agent", "")
            docker = "Docker-Client" in agent or agent.startswith("docker/")
            if (
                docker
                and self.url_path.rstrip("/") == "/v2"
                and access.has_mixed_policies()
                and (app.htpasswd or app.auth.get("ldap") is not None or app.apikey_enabled)
            ):
                return None  # Docker workaround: make the daemon send its stored credentials
            return Identity()
        return None

    def start_session(self, username, provider=""):
        """saveUserLoggedSession: the session cookie plus the UI's "user" cookie."""
        token = self.app.users.new_session(username, SESSION_LIFETIME, provider)
        secure = "; Secure" if self.app.auth.get("securesession") else ""
        self.extra_headers.setdefault("Set-Cookie", []).extend(
            [
                f"session={token}; Path=/; Max-Age={SESSION_LIFETIME}; HttpOnly{secure}",
                f"user={username}; Path=/; Max-Age={SESSION_LIFETIME}{secure}",
            ]
        )

    def session_authn(self):
        cookies = http.cookies.SimpleCookie(self.headers.get("Cookie", ""))
        username = self.app.users.session_user(cookies["session"].value if "session" in cookies else "")
        if username is None:
            self.extra_headers.setdefault("Set-Cookie", []).append(
                "session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly"
            )
            return None
        self.username = username
        return Identity(username, self.app.users.groups(username))

    def basic_authn(self):
        app = self.app
        scheme, _unused, encoded = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            username, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        if not sep:
            return None
        if app.htpasswd and app.htpasswd.authenticate(username, password):
            groups = app.access.user_groups(username) if app.access else []
            app.users.set_groups(username, groups)  # what API keys of this user inherit
            self.username = username
            if self.headers.get(SESSION_HEADER[0]) == SESSION_HEADER[1]:
                self.start_session(username)
            return Identity(username, groups)
        if app.apikey_enabled:
            if not password.startswith(API_KEY_PREFIX):
                log("error", "invalid api token format")
                return None
            hashed = hash_api_key(password[len(API_KEY_PREFIX) :])
            owner, details = app.users.key_owner(hashed)
            if owner is None or owner != username:
                return None
            if details.get("isExpired") or _expired(details, dt.datetime.now(dt.UTC)):
                return None
            app.users.touch_key(owner, hashed)
            self.username = username
            return Identity(username, app.users.groups(owner))
        return None

    def request_info(self):
        forwarded = [
            ip.strip()
            for h in self.headers.get_all("X-Forwarded-For") or []
            for ip in h.split(",")
            if ip.strip()
        ]
        return {
            "method": self.command,
            "userAgent": self.headers.get("User-Agent", ""),
            "clientIP": self.client_address[0],
            "forwardedFor": forwarded,
            "tls": isinstance(self.connection, ssl.SSLSocket),
            "tlsVersion": self.connection.version().removeprefix("TLSv")
            if isinstance(self.connection, ssl.SSLSocket)
            else "",
        }

    def authorize_repo_route(self, identity, route, params):
        """DistSpecAuthzHandler: True when the request may go on (else already answered)."""
        access = self.app.access
        if access is None or self.command == "OPTIONS":
            return True
        name = params["name"]
        reference = params.get("reference", "")
        if route == "manifest" and self.command == "PUT":
            try:
                repo_tags = self.app.storage.tags(name)
            except StoreError:
                repo_tags = []
            for action, ref in access.manifest_write_checks(repo_tags, reference, self.query.get("tag", [])):
                allowed, reason = access.can(identity, action, name, ref, self.request_info())
                if not allowed:
                    self.authz_fail(identity, reason)
                    return False
            return True
        action = {"GET": "read", "HEAD": "read", "DELETE": "delete"}.get(self.command, "create")
        allowed, reason = access.can(identity, action, name, reference, self.request_info())
        if not allowed:
            self.authz_fail(identity, reason)
        return allowed

    # -- routing ----------------------------------------------------------------------
    def _route(self):
        app, path = self.app, self.url_path
        if path in ("/livez", "/readyz", "/startupz"):
            return self.send(200)
        if app.metrics_path and path.startswith(app.metrics_path):
            return self.route_metrics()
        if app.apikey_enabled and path == "/zot/auth/apikey":
            return self.route_apikey()
        if app.openid_enabled and (path == "/zot/auth/login" or path.startswith("/zot/auth/callback/")):
            return self.route_openid()
        if app.basic_enabled and path == "/zot/auth/logout" and self.command in ("POST", "OPTIONS"):
            return self.route_logout()
        if path == "/v2" or path.startswith("/v2/"):
            return self.route_v2()
        return self.send(404, b"404 page not found\n", content_type="text/plain; charset=utf-8")

    def route_v2(self):
        if self.command == "OPTIONS":
            return self.send(204)
        identity = self.identity = self.authenticate()
        if identity is None:
            return self.authn_fail()
        path = self.url_path
        if path in ("/v2", "/v2/"):
            return self.version_check()
        if path == "/v2/_catalog":
            return self.list_repositories(identity) if self.command == "GET" else self.send(405)
        if path == "/v2/_oci/ext/discover":
            return self.send_json(200, {"extensions": []})
        for route, pattern in REPO_ROUTES:
            match = pattern.match(path)
            if not match:
                continue
            if self.command not in ROUTE_METHODS[route]:
                return self.send(405)
            params = match.groupdict()
            if not self.authorize_repo_route(identity, route, params):
                return None
            return getattr(self, f"{route}_{self.command.lower()}")(**params)
        return self.send(404, b"404 page not found\n", content_type="text/plain; charset=utf-8")

    def version_check(self):
        headers = {"Docker-Distribution-API-Version": "registry/2.0"}
        if self.app.basic_enabled and self.headers.get(SESSION_HEADER[0]) != SESSION_HEADER[1]:
            headers["WWW-Authenticate"] = "basic realm=" + self.app.realm
        self.send(200, b"", headers, "application/json")

    def list_repositories(self, identity):
        repos = self.app.storage.repositories()
        if self.app.access is not None:
            repos = [r for r in repos if self.app.access.can_read_for_catalog(identity, r)]
        last, limit = self.first("last") or "", self.first("n")
        if last:
            repos = [r for r in repos if r > last]
        headers = {}
        if limit is not None and limit.isdigit() and int(limit) < len(repos):
            repos = repos[: int(limit)]
            if repos:
                headers["Link"] = f'</v2/_catalog?n={limit}&last={repos[-1]}>; rel="next"'
        self.send_json(200, {"repositories": repos}, headers)

    # -- manifests --------------------------------------------------------------------
    def _resolve_manifest(self, name, reference):
        """getImageManifest: by tag the upstream is asked first when sync is on."""
        storage, sync = self.app.storage, self.app.sync
        if DIGEST_RE.match(reference):
            try:
                return storage.get_manifest(name, reference)
            except StoreError:
                if sync is None or not sync.enabled():
                    raise
        if sync is not None and sync.enabled():
            log(
                "info",
                "trying to get updated image by syncing on demand",
                repository=name,
                reference=reference,
            )
            sync.sync_image(name, reference)
        return storage.get_manifest(name, reference)

    def manifest_head(self, name, reference):
        body, digest, media_type = self._resolve_manifest(name, reference)
        self.send(200, body, {"Docker-Content-Digest": digest}, media_type)

    def manifest_get(self, name, reference):
        body, digest, media_type = self._resolve_manifest(name, reference)
        self.app.metrics.count(self.app.metrics.downloads, name)
        self.send(200, body, {"Docker-Content-Digest": digest}, media_type)

    def manifest_put(self, name, reference):
        storage = self.app.storage
        if reference.startswith("sha256:") and not DIGEST_RE.match(reference):
            raise StoreError(400, "DIGEST_INVALID", {"reference": reference})
        media_type = self.headers.get("Content-Type", "")
        if not storage.supported_media_type(media_type):
            raise StoreError(415, "MANIFEST_INVALID", {"mediaType": media_type})
        raw_tags = self.query.get("tag", [])
        if len(raw_tags) > MAX_DIGEST_QUERY_TAGS:
            raise StoreError(414, "MANIFEST_INVALID", {"reason": "too many tag query parameters"})
        tags = []
        for raw in raw_tags:
            tag = raw.strip()
            if not tag or not TAG_RE.match(tag):
                raise StoreError(400, "MANIFEST_INVALID", {"reason": "invalid tag query parameter"})
            if tag not in tags:
                tags.append(tag)
        if tags and not DIGEST_RE.match(reference):
            raise StoreError(
                400,
                "MANIFEST_INVALID",
                {"reason": "tag query parameters are only valid when pushing a manifest by digest"},
            )
        body = self.read_body(MAX_MANIFEST_BODY)
        digest, subject, changed = storage.put_manifest(name, reference, media_type, body, tags)
        if changed:
            self.app.metrics.count(self.app.metrics.uploads, name)
        headers = {"Location": f"/v2/{name}/manifests/{digest}", "Docker-Content-Digest": digest}
        if subject:
            headers["OCI-Subject"] = subject
        if tags:
            headers["OCI-Tag"] = tags
        self.send(201, b"", headers)

    def manifest_delete(self, name, reference):
        try:
            self.app.storage.delete_manifest(name, reference)
        except StoreError as err:
            if err.code == "NAME_UNKNOWN":
                err.status = 400  # zot answers 400 here
            raise
        self.send(202)

    def tags_get(self, name):
        tags = sorted(self.app.storage.tags(name))
        limit, last = self.query.get("n"), self.query.get("last")
        if last:
            if last[0] not in tags:
                return self.send(404)
            tags = tags[tags.index(last[0]) + 1 :]
        headers = {}
        if limit:
            if not limit[0].isdigit():
                return self.send(400)
            count = int(limit[0])
            if count < len(tags):
                tags = tags[:count]
                if tags:
                    headers["Link"] = f'</v2/{name}/tags/list?n={count}&last={tags[-1]}>; rel="next"'
        self.send_json(200, {"name": name, "tags": tags}, headers)

    def referrers_get(self, name, digest):
        manifests = self.app.storage.referrers(name, digest)
        wanted = self.first("artifactType")
        if wanted:
            manifests = [m for m in manifests if m.get("artifactType") == wanted]
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}
        self.send(200, json.dumps(index).encode(), {}, OCI_INDEX)

    # -- blobs and uploads ------------------------------------------------------------
    def blob_head(self, name, digest):
        size = self.app.storage.blob_size(name, digest)
        if size is None:
            raise StoreError(404, "BLOB_UNKNOWN", {"digest": digest})
        headers = {
            "Content-Length": str(size),
            "Accept-Ranges": "bytes",
            "Docker-Content-Digest": digest,
        }
        self.send(200, b"", headers, self.app.storage.blob_media_type(name, digest))

    def blob_get(self, name, digest):
        storage = self.app.storage
        size = storage.blob_size(name, digest)
        if size is None:
            raise StoreError(404, "BLOB_UNKNOWN", {"digest": digest})
        start, end, status = 0, size - 1, 200
        headers = {"Docker-Content-Digest": digest}
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
        if match and size:
            first, last = match.groups()
            start = int(first) if first else max(size - int(last or 0), 0)
            end = min(int(last), size - 1) if first and last else size - 1
            if start > end:
                return self.send(416, headers={"Content-Range": f"bytes */{size}"})
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        headers["Content-Length"] = str(end - start + 1 if size else 0)
        self.send(status, b"", headers, storage.blob_media_type(name, digest))
        with open(storage.blob_path(name, digest), "rb") as handle:
            handle.seek(start)
            remaining = end - start + 1 if size else 0
            while remaining > 0:
                chunk = handle.read(min(remaining, 1 << 20))
                if not chunk:
                    break
                self.wfile.write(chunk)
                remaining -= len(chunk)

    def blob_delete(self, name, digest):
        if not DIGEST_RE.match(digest):
            return self.send(404)
        self.app.storage.delete_blob(name, digest)
        self.send(202)

    def _mount_source(self, digest):
        """canMount: a repository holding the blob that the caller may read."""
        storage, access = self.app.storage, self.app.access
        for repo in storage.repositories():
            if access is not None and not access.can_read_for_catalog(self.identity, repo):
                continue
            if storage.blob_size(repo, digest) is not None:
                return repo
        return None

    def uploads_post(self, name):
        storage = self.app.storage
        if "mount" in self.query:
            mount = self.query["mount"]
            if len(mount) != 1:
                return self.send(400)
            digest = mount[0]
            source = self._mount_source(digest) if DIGEST_RE.match(digest) else None
            if source is None:
                session_id = storage.new_upload(name)
                location = f"/v2/{name}/blobs/uploads/{session_id}"
                return self.send(202, b"", {"Location": location, "Range": "0-0"})
            if source != name:
                tmp = storage.upload_path(name, storage.new_upload(name))
                shutil.copyfile(storage.blob_path(source, digest), tmp)
                storage.store_blob_file(name, digest, tmp)
            return self.send(201, b"", {"Location": f"/v2/{name}/blobs/{digest}"})
        if "from" in self.query:
            return self.send(405)
        if "digest" in self.query:
            digests = self.query["digest"]
            if len(digests) != 1:
                return self.send(400)
            if self.headers.get("Content-Type") != "application/octet-stream":
                return self.send(415)
            digest = digests[0]
            if not DIGEST_RE.match(digest):
                raise StoreError(400, "DIGEST_INVALID", {"digest": digest})
            session_id = storage.new_upload(name)
            path = storage.upload_path(name, session_id)
            with open(path, "wb") as handle:
                for chunk in self.body_chunks():
                    handle.write(chunk)
            storage.store_blob_file(name, digest, path)
            headers = {"Location": f"/v2/{name}/blobs/{digest}", "Blob-Upload-UUID": session_id}
            return self.send(201, b"", headers)
        session_id = storage.new_upload(name)
        self.send(202, b"", {"Location": f"/v2/{name}/blobs/uploads/{session_id}", "Range": "0-0"})

    def upload_get(self, name, session_id):
        size = self.app.storage.upload_size(name, session_id)
        headers = {
            "Location": f"/v2/{name}/blobs/uploads/{session_id}",
            "Range": f"0-{size - 1}" if size > 0 else "0-0",
        }
        self.send(204, b"", headers)

    def _append_upload(self, name, session_id, expect_from=None):
        storage = self.app.storage
        current = storage.upload_size(name, session_id)
        if expect_from is not None and expect_from != current:
            raise StoreError(416, "BLOB_UPLOAD_INVALID", {"session_id": session_id})
        with open(storage.upload_path(name, session_id), "ab") as handle:
            for chunk in self.body_chunks():
                handle.write(chunk)
        return storage.upload_size(name, session_id)

    def _content_range(self):
        match = re.fullmatch(r"(?:bytes )?(\d+)-(\d+)", self.headers.get("Content-Range", "").strip())
        if not match:
            return None
        return int(match.group(1)), int(match.group(2))

    def upload_patch(self, name, session_id):
        length, content_range = self.headers.get("Content-Length"), self.headers.get("Content-Range")
        if not length or not content_range:
            size = self._append_upload(name, session_id)
        else:
            bounds = self._content_range()
            if not length.isdigit() or bounds is None or bounds[1] - bounds[0] + 1 != int(length):
                return self.send(416)
            size = self._append_upload(name, session_id, bounds[0])
        headers = {
            "Location": f"/v2/{name}/blobs/uploads/{session_id}",
            "Range": f"0-{size - 1}",
            "Blob-Upload-UUID": session_id,
        }
        self.send(202, b"", headers)

    def upload_put(self, name, session_id):
        digests = self.query.get("digest")
        if not digests or len(digests) != 1 or not DIGEST_RE.match(digests[0]):
            return self.send(400)
        digest = digests[0]
        storage = self.app.storage
        storage.upload_size(name, session_id)  # 404 when the session is unknown
        bounds = self._content_range() if self.headers.get("Content-Range") else None
        if self.headers.get("Content-Range") and bounds is None:
            raise StoreError(416, "BLOB_UPLOAD_INVALID", {"session_id": session_id})
        self._append_upload(name, session_id, bounds[0] if bounds else None)
        storage.store_blob_file(name, digest, storage.upload_path(name, session_id))
        headers = {"Location": f"/v2/{name}/blobs/{digest}", "Docker-Content-Digest": digest}
        self.send(201, b"", headers)

    def upload_delete(self, name, session_id):
        storage = self.app.storage
        storage.upload_size(name, session_id)
        os.unlink(storage.upload_path(name, session_id))
        self.send(204)

    # -- metrics and API keys ---------------------------------------------------------
    def route_metrics(self):
        identity = self.authenticate()
        if identity is None:
            return self.authn_fail()
        access_conf = self.app.access_conf
        if access_conf is not None:  # MetricsAuthzHandler
            metrics_conf = access_conf.get("metrics") or {}
            if identity.anonymous:
                if "read" not in (metrics_conf.get("anonymouspolicy") or []):
                    return self.authz_fail(identity)
            elif identity.username not in (metrics_conf.get("users") or []):
                if not metrics_conf.get("users"):
                    log(
                        "warn",
                        "no users configured in metrics user list; "
                        "metrics are not accessible to any authenticated user.",
                    )
                return self.authz_fail(identity)
        if self.command != "GET":
            return self.send(405)
        self.send(
            200, self.app.metrics.render(self.app.storage), {}, "text/plain; version=0.0.4; charset=utf-8"
        )

    def route_openid(self):
        """/zot/auth/login (AuthURLHandler) and /zot/auth/callback/<provider> (CodeExchangeHandler)."""
        app = self.app
        if self.url_path == "/zot/auth/login":
            return self.openid_login()
        party = app.relying_parties.get(self.url_path[len(CALLBACK_BASE_PATH) + 1 :])
        if party is None or not self.url_path.startswith(CALLBACK_BASE_PATH + "/"):
            # github (OAuth2) logins are not covered by the double; others have no route
            return self.send(404, b"404 page not found\n", content_type="text/plain; charset=utf-8")
        return self.openid_callback(party)

    def openid_login(self):
        app = self.app
        party = app.relying_parties.get(self.first("provider") or "")
        if party is None:
            log("error", "failed to authenticate due to unrecognized openid provider")
            return self.send(400)
        allow_origins = list(dig(app.auth, "openid", "callbackalloworigins") or [])
        allow_origins.append(dig(app.conf, "http", "externalurl") or "")
        state = str(uuid.uuid4())
        verifier = secrets.token_urlsafe(32) if party.pkce else None
        handle = app.pending_logins.add(
            provider=party.name,
            state=state,
            callback=validate_callback_ui(self.first("callback_ui") or "", allow_origins),
            verifier=verifier,
        )
        secure = "; Secure" if app.auth.get("securesession") else ""
        cookie = (
            f"statecookie={handle}; Path={CALLBACK_BASE_PATH}; "
            f"Max-Age={RELYING_PARTY_COOKIE_MAX_AGE}; HttpOnly{secure}"
        )
        location = party.authorization_url(state, code_challenge(verifier) if verifier else None)
        return self.send(302, headers={"Location": location, "Set-Cookie": cookie})

    def openid_callback(self, party):
        cookies = http.cookies.SimpleCookie(self.headers.get("Cookie", ""))
        login = self.app.pending_logins.take(cookies["statecookie"].value if "statecookie" in cookies else "")
        state = self.first("state") or ""
        if login is None or login["provider"] != party.name or login["state"] != state:
            log("error", "'state' cookie differs from the actual one", component="openID")
            return self.send_text(401, "failed to get state: invalid state cookie")
        if self.first("error"):
            return self.send_text(500, f"{self.first('error')}: {self.first('error_description') or ''}")
        try:
            tokens = party.exchange_code(self.first("code") or "", login["verifier"])
        except OpenIDError as err:
            log("error", "failed to exchange token", component="openID", error=str(err))
            return self.send_text(401, f"failed to exchange token: {err}")
        try:
            id_claims = party.verify_id_token(tokens["id_token"], tokens["access_token"])
            info = party.userinfo(tokens["access_token"], id_claims.get("sub"))
        except OpenIDError as err:
            log("error", "failed to verify tokens or read userinfo", component="openID", error=str(err))
            return self.send_text(401, f"userinfo failed: {err}")
        username, groups = party.identity(info, id_claims)
        if not username:
            log("error", "failed to set user record for empty username value")
            return self.send(401)
        self.app.users.set_groups(username, groups)  # what sessions and API keys resolve to
        self.username = username
        self.start_session(username, party.name)
        log("info", "user profile set successfully", identity=username, groups=groups)
        if login["callback"]:
            return self.send(302, headers={"Location": login["callback"]})
        return self.send(200)

    def route_logout(self):
        """Logout: the session ends on the server; OIDC sessions get the IdP's end-session URL."""
        if self.command == "OPTIONS":
            return self.send(204)
        cookies = http.cookies.SimpleCookie(self.headers.get("Cookie", ""))
        provider = self.app.users.end_session(cookies["session"].value if "session" in cookies else "")
        answer = {}
        party = self.app.relying_parties.get(provider)
        endpoint = party.metadata.get("end_session_endpoint") if party else None
        if endpoint:
            query = urllib.parse.urlencode(
                {
                    "client_id": party.client_id,
                    "post_logout_redirect_uri": openid_origin(self.app.conf) + "/login",
                }
            )
            answer["endSessionUrl"] = endpoint + ("&" if "?" in endpoint else "?") + query
        self.send_json(200, answer, {"Set-Cookie": "session=; Path=/; Max-Age=0; HttpOnly"})

    def send_text(self, status, text):
        """http.Error: a plain-text line."""
        self.send(status, (text + "\n").encode(), content_type="text/plain; charset=utf-8")

    def route_apikey(self):
        if self.command == "OPTIONS":
            return self.send(204)
        identity = self.authenticate()
        if identity is None:
            return self.authn_fail()
        users = self.app.users
        if self.command == "GET":
            if identity.anonymous:
                return self.send(500)
            return self.send_json(200, {"apiKeys": users.list_keys(identity.username)})
        if self.command == "DELETE":
            ids = self.query.get("id")
            if not ids or len(ids) != 1:
                return self.send(400)
            if identity.anonymous:
                return self.send(500)
            users.delete_key(identity.username, ids[0])
            return self.send(200)
        if self.command != "POST":
            return self.send(405)
        raw = self.read_body(8 * 1024)
        try:
            payload = json.loads(raw)
            if not isinstance(payload, dict):
                raise ValueError("not an object")
        except ValueError:
            return self.send(400)
        created = dt.datetime.now(dt.UTC)
        expiration = ZERO_TIME
        if payload.get("expirationDate"):
            try:
                moment = dt.datetime.fromisoformat(str(payload["expirationDate"]).replace("Z", "+00:00"))
            except ValueError:
                return self.send(400)
            if moment.tzinfo is None or moment <= created:
                return self.send(400)
            expiration = rfc3339(moment)
        if identity.anonymous:
            return self.send(500)  # MetaDB refuses anonymous user data
        secret = uuid.uuid4().hex
        details = {
            "createdAt": rfc3339(created),
            "expirationDate": expiration,
            "isExpired": False,
            "creatorUa": self.headers.get("User-Agent", ""),
            "generatedBy": "manual",
            "lastUsed": ZERO_TIME,
            "label": str(payload.get("label") or ""),
            "scopes": payload.get("scopes"),
            "uuid": str(uuid.uuid4()),
        }
        users.add_key(identity.username, hash_api_key(secret), details)
        self.send_json(201, dict(details, apiKey=API_KEY_PREFIX + secret))


# ----------------------------------------------------------------------------------------
# Processes: serve, verify, version.
# ----------------------------------------------------------------------------------------
class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, app, read_timeout):
        self.app = app
        self.read_timeout = read_timeout
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.address_family = family
        super().__init__(address, Handler)

    def finish_request(self, request, client_address):
        request.settimeout(self.read_timeout)
        super().finish_request(request, client_address)


def serve(config_path):
    global _log_threshold
    try:
        conf = load_config(config_path)
    except ConfigError as err:
        log("error", "invalid config file", config=config_path, error=str(err))
        return 1
    level = dig(conf, "log", "level", default="debug")
    _log_threshold = _LOG_LEVELS.index(level) if level in _LOG_LEVELS else 0
    if not dig(conf, "storage", "rootdirectory"):
        log("error", "failed to init controller", error="storage.rootDirectory is not set")
        return 1
    try:
        app = Registry(conf)
    except OSError as err:
        # zot panics when e.g. the htpasswd file cannot be read
        log("panic", "failed to init controller", error=str(err))
        return 2
    try:
        app.discover_openid()
    except OpenIDError as err:
        for party in app.relying_parties.values():
            log(
                "panic",
                "failed to initialize new relying party oidc",
                issuer=party.issuer,
                redirectURI=party.redirect_uri,
                scopes=party.scopes,
                error=str(err),
            )
            break
        return 2  # a Go panic
    keys = dig(conf, "http", "auth", "_sessionkeys")
    if keys and (len(keys["hashkey"]) not in (32, 64) or len(keys["encryptkey"]) not in (0, 16, 24, 32)):
        log("warn", "session keys have unusual lengths (hashKey 32|64, encryptKey 16|24|32 bytes)")
    address = dig(conf, "http", "address")
    port = int(dig(conf, "http", "port"))
    try:
        server = Server((address, port), app, dig(conf, "http", "readtimeout"))
    except OSError as err:
        log("error", "failed to start controller, exiting", error=str(err))
        return 0  # zot exits 0 when the listener cannot bind
    cert, key = dig(conf, "http", "tls", "cert"), dig(conf, "http", "tls", "key")
    if cert and key:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)

    def stop(signum, _frame):
        log("info", "received signal, shutting down", signal=signal.Signals(signum).name)
        threading.Thread(target=server.shutdown, daemon=True).start()

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, stop)
    log(
        "info",
        "starting to listen",
        address=address,
        port=server.server_address[1],
        release=RELEASE_TAG,
        binaryType=BINARY_TYPE,
    )
    server.serve_forever(poll_interval=0.2)
    server.server_close()
    log("info", "shutdown complete")
    return 0


def verify(config_path):
    try:
        load_config(config_path)
    except ConfigError as err:
        log("error", "invalid config file", config=config_path, error=str(err))
        return 1
    log("info", "config file is valid", config=config_path)
    return 0


def version_line():
    return json.dumps(
        {
            "level": "info",
            "distribution-spec": DIST_SPEC_VERSION,
            "commit": COMMIT,
            "binary-type": BINARY_TYPE,
            "go version": GO_VERSION,
            "release-tag": RELEASE_TAG,
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "message": "version",
        }
    )


USAGE = """`zot` (test double of zot v2.1.20)

Usage:
  zot [flags]
  zot [command]

Available Commands:
  serve       `serve` stores and distributes OCI images
  verify      `verify` validates a zot config file

Flags:
  -h, --help      help for zot
  -v, --version   show the version and exit
"""


def main(argv):
    try:
        if not argv:
            sys.stdout.write(USAGE)
            return 0
        command, args = argv[0], argv[1:]
        if command in ("-v", "--version"):
            print(version_line())
            return 0
        if command in ("-h", "--help", "help"):
            sys.stdout.write(USAGE)
            return 0
        if command == "verify":
            return verify(args[0]) if args else 0  # zot verify without a file says nothing
        if command == "serve":
            if len(args) != 1:
                sys.stderr.write("Error: accepts 1 arg(s), received %d\n" % len(args))
                return 1
            return serve(args[0])
        sys.stderr.write(f'Error: unknown command "{command}" for "zot"\n')
        return 1
    except Exception as err:  # noqa: BLE001 - a crash is exit 2, like a Go panic
        sys.stderr.write(f"panic: {err!r}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
