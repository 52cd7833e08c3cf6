# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""Build zot's config.json (v2.1.x schema) from the `zot` role's variables.

Everything the role decides about zot's configuration is decided here, once; the role
renders the result and hands the same effective access policy to the policy check and the
verification checklist.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
from urllib.parse import urlsplit

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.zotops.registry.plugins.plugin_utils._zot import cluster as zot_cluster
from ansible_collections.zotops.registry.plugins.plugin_utils._zot import identities
from ansible_collections.zotops.registry.plugins.plugin_utils._zot.retention import (
    RetentionError,
    build_retention,
)
from ansible_collections.zotops.registry.plugins.plugin_utils._zot.ui import UiSettingsError, ui_and_search
from ansible_collections.zotops.registry.plugins.module_utils._policy.tag_rules import (
    render_tag_rules,
    retention_tags,
)

# File names inside the config directory. zot insists that secret files end in .json.
HTPASSWD_FILE = "htpasswd"
SESSION_KEYS_FILE = "session-keys.json"
LDAP_CREDENTIALS_FILE = "ldap-credentials.json"
SYNC_CREDENTIALS_FILE = "sync-credentials.json"
OIDC_CREDENTIALS_FILE = "oidc-credentials.json"
# In the log directory: zot's audit log (log.audit), one JSON line per accepted
# POST/PUT/PATCH/DELETE with the identity (pkg/api/session.go SessionAuditLogger).
AUDIT_LOG_FILE = "audit.log"

# zot's provider key for any standard OpenID Connect IdP (Dex, Authentik, Keycloak, ...).
OIDC_PROVIDER = "oidc"
# The path zot registers for the IdP's redirect; the IdP must list <externalUrl> + this.
OIDC_CALLBACK_PATH = "/zot/auth/callback/" + OIDC_PROVIDER

READ_ONLY = ["read"]


class ZotConfigError(ValueError):
    """A role variable cannot be turned into a valid zot config; the message names it."""


ROLE_PREFIX = "zot_"


def settings_from_variables(variables):
    """The settings build_config reads: every `zot_<name>` role variable as `<name>`."""
    return {
        name[len(ROLE_PREFIX) :]: value for name, value in variables.items() if name.startswith(ROLE_PREFIX)
    }


def _flag(settings, name):
    # A templated default (zot_secure_session) reaches a filter as the text "True" on
    # ansible-core < 2.19, and `-e zot_storage_gc=false` as the text "false".
    return boolean(settings.get(name) or False, strict=False)


def _dedupe(settings):
    # Unset: on, except on S3, where zot v2.1.20 keeps one copy and empty placeholders and
    # forgets the copy when a blob check fails during an S3 outage (checkCacheBlob), so every
    # repository that shared the blob loses it (docs/how-to/scale-out.md).
    if settings.get("storage_dedupe") is None:
        return not settings.get("storage_s3")
    return _flag(settings, "storage_dedupe")


def _oidc_settings(settings):
    """The zot_oidc_* variables as one dict without the prefix (`enabled`, `issuer`, ...)."""
    oidc = {name[len("oidc_") :]: value for name, value in settings.items() if name.startswith("oidc_")}
    oidc["enabled"] = _flag(settings, "oidc_enabled")
    return oidc


def oidc_redirect_uri(external_url):
    """The redirect URI zot uses for its OpenID provider; the IdP must accept exactly this."""
    return external_url.rstrip("/") + OIDC_CALLBACK_PATH


def effective_access_control(access_control, users=None, upstreams=None):
    """Return the accessControl zot gets: the declared policy plus what the role adds.

    - Each local user's `groups` are added to accessControl.groups (zot only resolves
      groups for htpasswd, LDAP and mTLS users through that map).
    - Each pull-through prefix without a glob of its own gets `<prefix>/**` with the read
      access `**` grants and no write access, so only admins can plant images in a cache.
    """
    if not isinstance(access_control or {}, dict):
        raise ZotConfigError(
            "zot_access_control: must be a dict shaped like zot's accessControl, not a %s"
            % type(access_control).__name__
        )
    result = copy.deepcopy(access_control or {})
    for index, user in enumerate(users or []):
        if not isinstance(user, dict):
            raise ZotConfigError("zot_htpasswd_users[%d]: must be a dict {name, password, groups}" % index)
        name = user.get("name")
        if not name:
            raise ZotConfigError("zot_htpasswd_users[%d].name: must be a non-empty string" % index)
        groups = user.get("groups") or []
        # A string would be iterated letter by letter into one-letter groups.
        if not isinstance(groups, list) or not all(isinstance(group, str) and group for group in groups):
            raise ZotConfigError("zot_htpasswd_users[%d].groups: must be a list of group names" % index)
        for group in groups:
            members = result.setdefault("groups", {}).setdefault(group, {}).setdefault("users", [])
            if name not in members:
                members.append(name)

    repositories = result.get("repositories") or {}
    root = repositories.get("**", {})
    for index, upstream in enumerate(upstreams or []):
        if not isinstance(upstream, dict) or not isinstance(upstream.get("prefix"), str):
            raise ZotConfigError("zot_sync_upstreams[%d].prefix: must be a string such as docker.io" % index)
        glob = "%s/**" % upstream["prefix"].strip("/")
        if glob not in repositories:
            repositories[glob] = _read_only_copy(root)
    if repositories:
        result["repositories"] = repositories
    return result


def _read_only_copy(policy_group):
    """The read part of a repository policy group, nothing else."""
    result = {}
    for key in ("anonymousPolicy", "defaultPolicy"):
        if "read" in (policy_group.get(key) or []):
            result[key] = list(READ_ONLY)
    policies = [
        dict(
            {k: v for k, v in policy.items() if k in ("users", "groups")},
            actions=list(READ_ONLY),
        )
        for policy in policy_group.get("policies") or []
        if "read" in (policy.get("actions") or [])
    ]
    if policies:
        result["policies"] = policies
    return result


def sync_credentials(upstreams):
    """zot's sync credentials file content: {"host[:port]": {"username", "password"}}."""
    credentials = {}
    for upstream in upstreams or []:
        login = upstream.get("credentials")
        if not login:
            continue
        for url in upstream["urls"]:
            credentials[urlsplit(url).netloc] = {
                "username": login["username"],
                "password": login["password"],
            }
    return credentials


def sync_extension(upstreams, config_dir):
    """zot's extensions.sync block: one on-demand registry per upstream.

    Upstream logins live in one credentials file for the whole extension (zot reads
    `extensions.sync.credentialsFile`, keyed by host).
    """
    _check_upstreams(upstreams)
    sync = {"enable": True, "registries": [_sync_registry(upstream) for upstream in upstreams]}
    if any(upstream.get("credentials") for upstream in upstreams):
        sync["credentialsFile"] = "%s/%s" % (config_dir.rstrip("/"), SYNC_CREDENTIALS_FILE)
    return sync


def _check_upstreams(upstreams):
    errors = upstream_errors(upstreams)
    if errors:
        raise ZotConfigError(errors[0])


def upstream_errors(upstreams, variable="zot_sync_upstreams", need_name=False):
    """What is wrong with the one upstream list the zot and containerd_mirror roles share, as
    "<variable>[i].<field>: problem" lines that never show a value (an entry may hold
    credentials). need_name: containerd_mirror also needs `name`, the registry host."""
    errors = []
    seen = {"prefix": {}, "name": {}}
    for index, upstream in enumerate(upstreams or []):
        field = "%s[%d]" % (variable, index)
        if not isinstance(upstream, dict):
            errors.append("%s: must be a dict {name, urls, prefix, ...}" % field)
            continue
        urls = upstream.get("urls")
        if not isinstance(urls, list) or not urls:
            errors.append("%s.urls: must be a non-empty list of http(s) URLs" % field)
        else:
            for position, url in enumerate(urls):
                parts = urlsplit(url) if isinstance(url, str) else None
                if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
                    errors.append(
                        "%s.urls[%d]: must be an http(s) URL such as https://registry-1.docker.io"
                        % (field, position)
                    )
        keys = {"prefix": upstream.get("prefix")}
        if need_name:
            keys["name"] = upstream.get("name")
        for key, value in keys.items():
            if not isinstance(value, str) or not value.strip("/") or (key == "name" and "/" in value):
                errors.append(
                    "%s.%s: must be a string such as docker.io%s"
                    % (field, key, " (the registry host, no '/')" if key == "name" else "")
                )
                continue
            value = value.strip("/")
            if value in seen[key]:
                errors.append(
                    "%s.%s: %s is already the %s of %s[%d]"
                    % (field, key, value, key, variable, seen[key][value])
                )
            seen[key][value] = index
        login = upstream.get("credentials")
        if login and not (
            isinstance(login, dict)
            and all(isinstance(login.get(key), str) for key in ("username", "password"))
        ):
            errors.append("%s.credentials: must be {username, password} (strings)" % field)
    return errors


# Every pull by tag asks the upstream first and waits for that on-demand sync to finish or
# fail before answering from the cache (zot v2.1.20 pkg/api/routes.go getImageManifest).
# These defaults bound that wait when the upstream is down or hangs, so nodes keep pulling
# cached images during an upstream outage (docs/how-to/pull-through-cache.md): one HTTP
# retry after 1 s (zot's regclient backs off up to max_retry_delay between requests), and
# no more than 5 s for the upstream's response headers (zot's own default is 30 s).
SYNC_OUTAGE_DEFAULTS = {
    "max_retries": 1,
    "retry_delay": "1s",
    "max_retry_delay": "2s",
    "response_header_timeout": "5s",
}


def _sync_registry(upstream):
    settings = dict(SYNC_OUTAGE_DEFAULTS, **upstream)
    registry = {
        "urls": list(upstream["urls"]),
        "onDemand": True,
        "tlsVerify": bool(upstream.get("tls_verify", True)),
        # Always set content: a registry entry without it matches every repository.
        "content": [
            {
                "prefix": upstream.get("content_prefix", "**"),
                "destination": "/" + upstream["prefix"].strip("/"),
            }
        ],
        "preserveDigest": bool(upstream.get("preserve_digest", False)),
        "maxRetries": int(settings["max_retries"]),
        "retryDelay": settings["retry_delay"],
        "maxRetryDelay": settings["max_retry_delay"],
        "responseHeaderTimeout": settings["response_header_timeout"],
    }
    # zot's default (3 h) also bounds every layer download, so it is only set when asked.
    if upstream.get("sync_timeout"):
        registry["syncTimeout"] = upstream["sync_timeout"]
    return registry


def _merge(base, extra):
    """Deep-merge `extra` into `base` (dicts merge, anything else replaces)."""
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def own_origin(settings):
    """zot's http.allowOrigin: the registry's own origin (zot_external_url, else its listener).

    zot v2.1.20 sends `Access-Control-Allow-Origin: *` on its API paths (apikey, search, mgmt,
    /v2) when allowOrigin is empty (pkg/common/http_server.go AddCORSHeaders). Naming zot's own
    origin lets no other site's page read its answers; zot's UI is served from that origin and
    needs no CORS. A UI on another origin is set with zot_config_extra.http.allowOrigin.
    """
    if settings.get("external_url"):
        return settings["external_url"].rstrip("/")
    host = str(settings["http_address"])
    # Listening on every address: the loopback origin (no page is served from the wildcard).
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(host, host)  # noqa: S104
    if ":" in host and not host.startswith("["):
        host = "[%s]" % host
    return "%s://%s:%s" % ("https" if settings.get("tls_cert") else "http", host, settings["http_port"])


def build_config(settings):
    """Return zot's config dict for the role settings (settings_from_variables)."""
    config_dir = settings["config_dir"].rstrip("/")
    users = settings.get("htpasswd_users") or []
    upstreams = settings.get("sync_upstreams") or []
    _check_upstreams(upstreams)
    access_control = render_tag_rules(
        effective_access_control(settings.get("access_control"), users, upstreams),
        settings.get("tag_rules"),
        settings.get("pusher_networks"),
        settings["version"],
    )

    http = {
        "address": settings["http_address"],
        "port": str(settings["http_port"]),
        "realm": settings["http_realm"],
        "readTimeout": settings["http_read_timeout"],
        "writeTimeout": settings["http_write_timeout"],
    }
    if settings.get("external_url"):
        http["externalUrl"] = settings["external_url"].rstrip("/")
    http["allowOrigin"] = own_origin(settings)
    if settings.get("http_compat"):
        http["compat"] = list(settings["http_compat"])
    if settings.get("tls_cert"):
        http["tls"] = {"cert": settings["tls_cert"], "key": settings["tls_key"]}
        if settings.get("tls_ca_cert"):
            http["tls"]["cacert"] = settings["tls_ca_cert"]

    fail_delay = settings["auth_fail_delay"]
    if isinstance(fail_delay, bool) or not str(fail_delay).isdigit():
        raise ZotConfigError("zot_auth_fail_delay: must be a whole number of seconds, 0 or more")
    auth = {"failDelay": int(fail_delay)}
    # With sessions in Redis zot refuses session keys (v2.1.20 validateRemoteSessionStoreConfig).
    if not settings.get("redis_url"):
        auth["sessionKeysFile"] = "%s/%s" % (config_dir, SESSION_KEYS_FILE)
    if settings.get("htpasswd_users"):
        auth["htpasswd"] = {"path": "%s/%s" % (config_dir, HTPASSWD_FILE)}
    local_names = [user["name"] for user in users]
    if settings.get("ldap"):
        auth["ldap"] = _ldap_config(settings["ldap"], "%s/%s" % (config_dir, LDAP_CREDENTIALS_FILE))
        user_filter = identities.ldap_user_filter(settings["ldap"], local_names)
        if user_filter:
            auth["ldap"]["userFilter"] = user_filter
    oidc = _oidc_settings(settings)
    if oidc["enabled"]:
        if not settings.get("external_url"):
            raise ZotConfigError(
                "zot_external_url: required when zot_oidc_enabled is true (zot builds the "
                "redirect URI <zot_external_url>%s from it)" % OIDC_CALLBACK_PATH
            )
        _require_secure_login_origin(settings["external_url"])
        try:
            identities.check_oidc_names(local_names, oidc.get("claim_username"))
        except identities.IdentityNameError as exc:
            raise ZotConfigError(str(exc)) from exc
        auth["openid"] = _openid_config(oidc, "%s/%s" % (config_dir, OIDC_CREDENTIALS_FILE))
    # zot turns API keys on whenever OpenID is configured; the config says so explicitly.
    if _flag(settings, "api_keys_enabled") or oidc["enabled"]:
        auth["apikey"] = True
    if _flag(settings, "secure_session"):
        auth["secureSession"] = True
    if settings.get("mtls_identity_attributes"):
        auth["mtls"] = {"identityAttributes": list(settings["mtls_identity_attributes"])}
    http["auth"] = auth
    extra_auth = ((settings.get("config_extra") or {}).get("http") or {}).get("auth")
    other_sources = settings.get("ldap") or oidc["enabled"] or settings.get("mtls_identity_attributes")
    if not (other_sources or bearer_enabled(extra_auth)):
        _check_policy_users(access_control, [user["name"] for user in users])
    if access_control:
        http["accessControl"] = access_control

    storage = {
        "rootDirectory": settings["storage_dir"],
        "dedupe": _dedupe(settings),
        "gc": _flag(settings, "storage_gc"),
        "gcDelay": settings["storage_gc_delay"],
        "gcInterval": settings["storage_gc_interval"],
    }
    if settings.get("storage_retention"):
        try:
            movable, locked = retention_tags(settings.get("tag_rules"), access_control)
            storage["retention"] = build_retention(settings["storage_retention"], movable, locked)
        except RetentionError as exc:
            raise ZotConfigError(str(exc)) from exc
    try:
        shared = _shared_parts(settings)
    except ValueError as exc:
        raise ZotConfigError(str(exc)) from exc
    if shared.get("storage_driver"):
        storage["storageDriver"] = shared["storage_driver"]
    if shared.get("cache_driver"):
        storage["remoteCache"] = True
        storage["cacheDriver"] = shared["cache_driver"]
        auth["sessionDriver"] = shared["session_driver"]

    extensions = {}
    if _flag(settings, "metrics_enabled"):
        extensions["metrics"] = {
            "enable": True,
            "prometheus": {"path": settings["metrics_path"]},
        }
    if settings.get("sync_upstreams"):
        extensions["sync"] = sync_extension(settings["sync_upstreams"], config_dir)
    if _flag(settings, "scrub_enabled"):
        extensions["scrub"] = {"enable": True}
    try:
        search, ui = ui_and_search(settings, clustered=bool(shared.get("cluster")))
    except UiSettingsError as exc:
        raise ZotConfigError(str(exc)) from exc
    for name, enabled in (("search", search), ("ui", ui)):
        if enabled:
            extensions[name] = {"enable": True}

    config = {
        "distSpecVersion": "1.1.1",
        "http": http,
        "storage": storage,
        # No log.output: zot logs to stderr, which systemd sends to the journal.
        "log": {"level": settings["log_level"]},
    }
    if shared.get("cluster"):
        config["cluster"] = shared["cluster"]
    if _flag(settings, "audit_log_enabled"):
        config["log"]["audit"] = "%s/%s" % (settings["log_dir"].rstrip("/"), AUDIT_LOG_FILE)
    if settings.get("flavour") == "minimal":
        _refuse_extensions(extensions, settings.get("config_extra") or {})
    if extensions:
        config["extensions"] = extensions
    config = _merge(config, settings.get("config_extra") or {})
    _refuse_bearer_with_anonymous(config)
    return config


# What zot v2.1.20 applies live when config.json is written in place (fsnotify Write ->
# LoadNewConfig, which recompiles the policy; tests/integration/test_zot_config_reload.py).
# Authentication settings are reloaded into the config too, but the authn middleware copied
# them at start, so they are not in this list: changing them restarts zot.
LIVE_RELOADABLE = (("http", "accessControl"),)


def _without_live_reloadable(config):
    config = copy.deepcopy(config)
    for section, key in LIVE_RELOADABLE:
        (config.get(section) or {}).pop(key, None)
    return config


def live_reloadable_change(live_text, new_config):
    """True when the live config.json (its text) differs from ``new_config`` only in settings
    zot reloads by itself, so writing the file in place applies them without a restart."""

    try:
        live = json.loads(live_text)
    except ValueError:
        return False
    if not isinstance(live, dict) or live == new_config:
        return False
    return _without_live_reloadable(live) == _without_live_reloadable(new_config)


def bearer_enabled(auth):
    """Whether zot v2.1.20 authenticates with bearer tokens only (AuthConfig.IsBearerAuthEnabled):
    an OIDC workload-identity issuer with audiences, or a token realm and service with a
    verification key (cert or AWS Secrets Manager)."""
    bearer = (auth or {}).get("bearer") or {}
    oidc = any(entry.get("issuer") and entry.get("audiences") for entry in bearer.get("oidc") or [])
    traditional = bool(
        bearer.get("realm")
        and bearer.get("service")
        and (bearer.get("cert") or bearer.get("awsSecretsManager"))
    )
    return oidc or traditional


def _refuse_bearer_with_anonymous(config):
    """With bearer auth zot v2.1.20 swaps its whole authentication chain for the bearer
    middleware (pkg/api/authn.go AuthHandler): anonymous requests, htpasswd, LDAP and API keys
    all get 401. A policy that grants anonymous pulls would look enforced and be dead."""
    http = config.get("http") or {}
    if not bearer_enabled(http.get("auth")):
        return
    repositories = (http.get("accessControl") or {}).get("repositories") or {}
    anonymous = [glob for glob, group in repositories.items() if (group or {}).get("anonymousPolicy")]
    if anonymous:
        raise ZotConfigError(
            "zot_config_extra.http.auth.bearer turns on bearer-only authentication, under which zot "
            "refuses anonymous requests, so %s cannot work: drop the anonymousPolicy (or the "
            "bearer block; see docs/security-model.md)"
            % ", ".join('zot_access_control.repositories["%s"].anonymousPolicy' % glob for glob in anonymous)
        )


def _shared_parts(settings):
    """What members of a scale-out cluster share: S3 storage, Redis, the member list."""
    parts = {}
    if settings.get("storage_s3"):
        parts["storage_driver"] = zot_cluster.s3_storage_driver(settings["storage_s3"])
    if settings.get("redis_url"):
        parts["cache_driver"], parts["session_driver"] = zot_cluster.redis_drivers(settings["redis_url"])
    if settings.get("cluster_members"):
        # Members with storage of their own would each see only the repositories they own.
        if not (parts.get("storage_driver") and parts.get("cache_driver")):
            raise ValueError(
                "zot_cluster_members: a cluster needs shared storage and metadata: set "
                "zot_storage_s3 and zot_redis_url"
            )
        members, hash_key = settings["cluster_members"], settings.get("cluster_hash_key")
        parts["cluster"] = zot_cluster.cluster_config(members, hash_key)
    return parts


def _check_policy_users(access_control, local_users):
    """With htpasswd as the only identity source, every user a policy names must be a local
    user: any other name is a typo that silently grants or denies nothing."""
    named = [
        ("zot_access_control.%s.users" % key, (access_control.get(key) or {}).get("users"))
        for key in ("adminPolicy", "metrics")
    ]
    for glob, group in (access_control.get("repositories") or {}).items():
        for index, policy in enumerate((group or {}).get("policies") or []):
            named.append(
                (
                    'zot_access_control.repositories["%s"].policies[%d].users' % (glob, index),
                    policy.get("users"),
                )
            )
    for name, group in (access_control.get("groups") or {}).items():
        named.append(('zot_access_control.groups["%s"].users' % name, (group or {}).get("users")))
    for path, users in named:
        for index, user in enumerate(users or []):
            if user not in local_users:
                raise ZotConfigError(
                    "%s[%d]: %s is not a local user (zot_htpasswd_users) and no other identity source "
                    "(zot_ldap, zot_oidc_enabled, zot_mtls_identity_attributes, "
                    "zot_config_extra.http.auth.bearer) is configured" % (path, index, user)
                )


# The role variable behind each extension the role renders.
EXTENSION_VARIABLES = {
    "metrics": "zot_metrics_enabled",
    "sync": "zot_sync_upstreams",
    "scrub": "zot_scrub_enabled",
    "search": "zot_search_enabled",
    "ui": "zot_ui_enabled",
}


def _refuse_extensions(extensions, config_extra):
    """The minimal build ignores extension settings with a log warning (and `zot verify`
    accepts them), so a deployment would silently lack what it asked for."""
    used = [EXTENSION_VARIABLES[name] for name in extensions]
    used += ["zot_config_extra.extensions.%s" % name for name in config_extra.get("extensions") or {}]
    if used:
        raise ZotConfigError(
            "%s: needs a zot extension, which zot_flavour: minimal does not have; turn it off "
            "or use zot_flavour: full" % ", ".join(used)
        )


# Role variable -> zot LDAP key. Bind credentials are not here: zot reads them only from
# the credentials file.
_LDAP_KEYS = {
    "address": "address",
    "port": "port",
    "base_dn": "baseDN",
    "user_attribute": "userAttribute",
    "user_group_attribute": "userGroupAttribute",
    "user_filter": "userFilter",
    "start_tls": "startTLS",
    "insecure": "insecure",
    "skip_verify": "skipVerify",
    "ca_cert": "caCert",
    "subtree_search": "subtreeSearch",
}


def _ldap_config(ldap, credentials_file):
    unknown = sorted(set(ldap) - set(_LDAP_KEYS) - {"bind_dn", "bind_password"})
    if unknown:
        raise ZotConfigError("zot_ldap.%s: unknown setting" % unknown[0])
    _check_ldap_tls(ldap)
    result = {_LDAP_KEYS[key]: value for key, value in ldap.items() if key in _LDAP_KEYS}
    result["credentialsFile"] = credentials_file
    return result


def _check_ldap_tls(ldap):
    """zot v2.1.20 (pkg/api/authn.go, ldap.go) dials LDAPS unless `insecure`, upgrades with
    StartTLS only if `startTLS`, and gives StartTLS no ServerName, so it can never verify the
    server's certificate there: refuse the combinations that cannot log anyone in."""
    if not ldap.get("start_tls"):
        return
    if not ldap.get("insecure"):
        raise ZotConfigError(
            "zot_ldap.start_tls: needs insecure: true as well (without it zot dials LDAPS, not "
            "StartTLS); for verified TLS use LDAPS (insecure: false, start_tls: false, ca_cert)"
        )
    if not ldap.get("skip_verify"):
        raise ZotConfigError(
            "zot_ldap.start_tls: zot cannot verify the server certificate over StartTLS (it sets "
            "no ServerName); use LDAPS (insecure: false, ca_cert) or accept skip_verify: true"
        )


def ldap_credentials(ldap):
    """zot's LDAP credentials file content."""
    return {
        "bindDN": ldap.get("bind_dn", ""),
        "bindPassword": ldap.get("bind_password", ""),
    }


def _require_secure_login_origin(external_url):
    """zot keeps the OAuth2 state in a cookie that is always Secure (zitadel/oidc's cookie
    handler). Browsers keep Secure cookies only for https and loopback origins, so a login
    through plain http on any other host always ends at zot's callback with a 401."""
    url = urlsplit(external_url)
    loopback = url.hostname == "localhost" or (url.hostname or "").startswith("127.") or url.hostname == "::1"
    if url.scheme != "https" and not loopback:
        raise ZotConfigError(
            "zot_external_url: OpenID login needs an https URL (got %s): zot's login state cookie "
            "is always Secure and browsers drop it on plain http" % external_url
        )


def _openid_config(oidc, credentials_file):
    """http.auth.openid with the one provider `oidc`; client id and secret stay in the file."""
    if not oidc.get("issuer"):
        raise ZotConfigError("zot_oidc_issuer: required when zot_oidc_enabled is true")
    scopes = list(oidc.get("scopes") or [])
    if "openid" not in scopes:
        raise ZotConfigError("zot_oidc_scopes: must contain openid, got %s" % scopes)
    provider = {
        "name": oidc.get("provider_name") or "OIDC",
        "issuer": oidc["issuer"],
        "credentialsFile": credentials_file,
        "scopes": scopes,
    }
    mapping = {
        key: oidc[setting]
        for key, setting in (("username", "claim_username"), ("groups", "claim_groups"))
        if oidc.get(setting)
    }
    if mapping:
        provider["claimMapping"] = mapping
    result = {"providers": {OIDC_PROVIDER: provider}}
    if oidc.get("callback_allow_origins"):
        result["callbackAllowOrigins"] = list(oidc["callback_allow_origins"])
    return result
