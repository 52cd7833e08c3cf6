# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""zot config building: what the role renders into config.json."""

import re

import pytest

from ansible_collections.zotops.registry.plugins.plugin_utils._zot import config as zot_config
from tests.support.policies import role_default_access_control

BASE = {
    "config_dir": "/etc/zot/",
    "version": "v2.1.20",
    "storage_dir": "/var/lib/zot",
    "http_address": "0.0.0.0",
    "http_port": 5000,
    "http_realm": "zot",
    "http_read_timeout": "60s",
    "http_write_timeout": "60s",
    "auth_fail_delay": 2,
    "storage_dedupe": True,
    "storage_gc": True,
    "storage_gc_delay": "1h",
    "storage_gc_interval": "24h",
    "log_level": "info",
    "metrics_path": "/metrics",
}

THREE_TIERS = role_default_access_control()


def build(**overrides):
    return zot_config.build_config(dict(BASE, **overrides))


def test_minimal_config_has_no_optional_sections():
    config = build(ui_enabled=False)
    assert config["http"] == {
        "address": "0.0.0.0",
        "port": "5000",
        "realm": "zot",
        "readTimeout": "60s",
        "writeTimeout": "60s",
        "allowOrigin": "http://127.0.0.1:5000",
        "auth": {"failDelay": 2, "sessionKeysFile": "/etc/zot/session-keys.json"},
    }
    assert config["log"] == {"level": "info"}
    assert "output" not in config["log"]
    assert "extensions" not in config
    assert config["storage"]["rootDirectory"] == "/var/lib/zot"


def test_auth_sections_follow_settings():
    config = build(
        htpasswd_users=[{"name": "ci"}],
        api_keys_enabled=True,
        secure_session=True,
        external_url="https://zot.example.org/",
        ldap={"address": "ldap.example.org", "port": 636, "base_dn": "dc=example", "bind_dn": "x"},
        mtls_identity_attributes=["CommonName"],
    )
    auth = config["http"]["auth"]
    assert auth["htpasswd"] == {"path": "/etc/zot/htpasswd"}
    assert auth["apikey"] is True
    assert auth["secureSession"] is True
    assert auth["mtls"] == {"identityAttributes": ["CommonName"]}
    assert auth["ldap"] == {
        "address": "ldap.example.org",
        "port": 636,
        "baseDN": "dc=example",
        "credentialsFile": "/etc/zot/ldap-credentials.json",
    }
    assert config["http"]["externalUrl"] == "https://zot.example.org"


@pytest.mark.parametrize(
    "tls, message",
    [
        ({"start_tls": True}, "needs insecure: true"),
        ({"start_tls": True, "insecure": True}, "cannot verify the server certificate over StartTLS"),
    ],
)
def test_ldap_starttls_that_zot_cannot_do_is_refused(tls, message):
    with pytest.raises(zot_config.ZotConfigError, match=r"zot_ldap\.start_tls: .*" + message):
        build(ldap=dict({"address": "x", "port": 389}, **tls))


def test_ldap_starttls_with_skip_verify_and_ldaps_with_a_ca_are_rendered():
    starttls = {"address": "x", "port": 389, "start_tls": True, "insecure": True, "skip_verify": True}
    assert build(ldap=starttls)["http"]["auth"]["ldap"]["startTLS"] is True
    ldaps = {"address": "x", "port": 636, "ca_cert": "/etc/zot/ldap-ca.pem"}
    assert build(ldap=ldaps)["http"]["auth"]["ldap"]["caCert"] == "/etc/zot/ldap-ca.pem"


def test_unknown_ldap_setting_is_named():
    with pytest.raises(zot_config.ZotConfigError, match=r"zot_ldap\.bindpw"):
        build(ldap={"address": "x", "bindpw": "oops"})


def test_tls_and_mtls_ca():
    config = build(tls_cert="/c.pem", tls_key="/k.pem", tls_ca_cert="/ca.pem")
    assert config["http"]["tls"] == {"cert": "/c.pem", "key": "/k.pem", "cacert": "/ca.pem"}


def test_extensions_and_sync():
    upstreams = [
        {
            "name": "docker.io",
            "urls": ["https://registry-1.docker.io"],
            "prefix": "docker.io",
            "preserve_digest": True,
            "credentials": {"username": "u", "password": "p"},
        },
        {"name": "ghcr.io", "urls": ["https://ghcr.io"], "prefix": "/ghcr.io/", "tls_verify": False},
    ]
    config = build(metrics_enabled=True, sync_upstreams=upstreams, scrub_enabled=True)
    ext = config["extensions"]
    assert ext["metrics"] == {"enable": True, "prometheus": {"path": "/metrics"}}
    assert ext["scrub"] == {"enable": True}
    docker, ghcr = ext["sync"]["registries"]
    assert docker["content"] == [{"prefix": "**", "destination": "/docker.io"}]
    assert docker["onDemand"] is True and docker["preserveDigest"] is True
    # zot reads one credentials file for the whole sync extension, not per registry.
    assert ext["sync"]["credentialsFile"] == "/etc/zot/sync-credentials.json"
    assert "credentialsFile" not in docker and "credentialsFile" not in ghcr
    assert ghcr["tlsVerify"] is False


def test_config_extra_deep_merges():
    config = build(config_extra={"http": {"allowOrigin": "*"}, "log": {"level": "debug"}})
    assert config["http"]["allowOrigin"] == "*"
    assert config["http"]["port"] == "5000"
    assert config["log"]["level"] == "debug"


def test_audit_log_goes_to_the_log_directory():
    assert build(audit_log_enabled=True, log_dir="/var/log/zot/")["log"] == {
        "level": "info",
        "audit": "/var/log/zot/audit.log",
    }
    assert "audit" not in build(audit_log_enabled=False, log_dir="/var/log/zot")["log"]


def test_only_a_policy_change_is_applied_live():
    import json

    ldap = {"address": "ldap.example.org", "base_dn": "dc=example,dc=org", "user_attribute": "uid"}
    live = build(access_control=THREE_TIERS, ldap=ldap)
    stricter = dict(THREE_TIERS, repositories={"**": {"defaultPolicy": ["read"]}})
    assert (
        zot_config.live_reloadable_change(json.dumps(live), build(access_control=stricter, ldap=ldap)) is True
    )
    # Unchanged, another setting changed too, or an unreadable live file: restart path.
    unchanged = build(access_control=THREE_TIERS, ldap=ldap)
    assert zot_config.live_reloadable_change(json.dumps(live), unchanged) is False
    both = build(access_control=stricter, ldap=ldap, log_level="debug")
    assert zot_config.live_reloadable_change(json.dumps(live), both) is False
    assert zot_config.live_reloadable_change("{not json", unchanged) is False
    assert zot_config.live_reloadable_change("", unchanged) is False


WORKLOAD_BEARER = {"oidc": [{"issuer": "https://kubernetes.default.svc", "audiences": ["zot"]}]}


def test_bearer_auth_with_anonymous_pull_is_refused_naming_both_variables():
    with pytest.raises(zot_config.ZotConfigError) as refused:
        build(access_control=THREE_TIERS, config_extra={"http": {"auth": {"bearer": WORKLOAD_BEARER}}})
    message = str(refused.value)
    assert message.startswith("zot_config_extra.http.auth.bearer turns on bearer-only authentication")
    assert 'zot_access_control.repositories["**"].anonymousPolicy' in message


def test_bearer_auth_without_anonymous_pull_is_rendered():
    private = {"repositories": {"**": {"policies": [{"users": ["ci"], "actions": ["read", "create"]}]}}}
    config = build(access_control=private, config_extra={"http": {"auth": {"bearer": WORKLOAD_BEARER}}})
    assert config["http"]["auth"]["bearer"] == WORKLOAD_BEARER


@pytest.mark.parametrize(
    "bearer, enabled",
    [
        (WORKLOAD_BEARER, True),
        ({"oidc": [{"issuer": "https://idp"}]}, False),  # no audience: zot ignores it
        ({"realm": "https://auth/token", "service": "zot", "cert": "/etc/zot/token.pem"}, True),
        ({"realm": "https://auth/token", "service": "zot"}, False),
        ({}, False),
    ],
)
def test_bearer_enabled_follows_zot(bearer, enabled):
    assert zot_config.bearer_enabled({"bearer": bearer}) is enabled


def test_effective_access_control_adds_user_groups():
    users = [
        {"name": "ci", "password": "x", "groups": ["artifact-workloads"]},
        {"name": "admin", "password": "y", "groups": ["artifact-admins", "artifact-workloads"]},
        {"name": "prometheus", "password": "z"},
    ]
    result = zot_config.effective_access_control(THREE_TIERS, users)
    assert result["groups"] == {
        "artifact-workloads": {"users": ["ci", "admin"]},
        "artifact-admins": {"users": ["admin"]},
    }
    # The declared policy is not modified in place.
    assert "groups" not in THREE_TIERS


def test_effective_access_control_makes_cache_namespaces_read_only():
    upstreams = [{"urls": ["https://registry-1.docker.io"], "prefix": "docker.io"}]
    result = zot_config.effective_access_control(THREE_TIERS, [], upstreams)
    assert result["repositories"]["docker.io/**"] == {
        "anonymousPolicy": ["read"],
        "defaultPolicy": ["read"],
        "policies": [{"groups": ["artifact-workloads"], "actions": ["read"]}],
    }
    assert result["repositories"]["**"] == THREE_TIERS["repositories"]["**"]


def test_explicit_cache_glob_is_kept():
    policy = {
        "repositories": {"**": {"anonymousPolicy": ["read"]}, "docker.io/**": {"defaultPolicy": ["read"]}}
    }
    result = zot_config.effective_access_control(policy, [], [{"urls": ["https://x"], "prefix": "docker.io"}])
    assert result["repositories"]["docker.io/**"] == {"defaultPolicy": ["read"]}


def test_private_root_gives_private_cache():
    policy = {"repositories": {"**": {"defaultPolicy": ["read", "create"]}}}
    result = zot_config.effective_access_control(policy, [], [{"urls": ["https://x"], "prefix": "quay.io"}])
    assert result["repositories"]["quay.io/**"] == {"defaultPolicy": ["read"]}


def test_user_without_name_is_named():
    with pytest.raises(zot_config.ZotConfigError, match=r"zot_htpasswd_users\[1\]\.name"):
        zot_config.effective_access_control({}, [{"name": "a"}, {"password": "x"}])


def test_sync_credentials_per_host():
    upstreams = [
        {
            "urls": ["https://registry-1.docker.io", "https://mirror.example:8443"],
            "prefix": "docker.io",
            "credentials": {"username": "u", "password": "p"},
        },
        {"urls": ["https://ghcr.io"], "prefix": "ghcr.io"},
    ]
    assert zot_config.sync_credentials(upstreams) == {
        "registry-1.docker.io": {"username": "u", "password": "p"},
        "mirror.example:8443": {"username": "u", "password": "p"},
    }


def test_ldap_credentials():
    assert zot_config.ldap_credentials({"bind_dn": "cn=zot", "bind_password": "s"}) == {
        "bindDN": "cn=zot",
        "bindPassword": "s",
    }


OIDC = {
    "oidc_enabled": True,
    "oidc_issuer": "https://dex.example/dex",
    "oidc_provider_name": "Dex",
    "oidc_scopes": ["openid", "profile", "email", "groups"],
}


def test_oidc_provider_is_always_the_oidc_key_and_forces_api_keys():
    config = build(**OIDC, external_url="https://zot.example/", api_keys_enabled=False)
    auth = config["http"]["auth"]
    assert auth["openid"] == {
        "providers": {
            "oidc": {
                "name": "Dex",
                "issuer": "https://dex.example/dex",
                "credentialsFile": "/etc/zot/oidc-credentials.json",
                "scopes": ["openid", "profile", "email", "groups"],
            }
        }
    }
    assert auth["apikey"] is True
    assert config["http"]["externalUrl"] == "https://zot.example"


def test_oidc_claim_mapping_and_callback_origins():
    oidc = dict(
        OIDC,
        oidc_claim_username="preferred_username",
        oidc_claim_groups="roles",
        oidc_callback_allow_origins=["https://ui.example"],
    )
    openid = build(**oidc, external_url="https://zot.example")["http"]["auth"]["openid"]
    assert openid["providers"]["oidc"]["claimMapping"] == {
        "username": "preferred_username",
        "groups": "roles",
    }
    assert openid["callbackAllowOrigins"] == ["https://ui.example"]


def test_oidc_off_leaves_no_trace():
    auth = build(**dict(OIDC, oidc_enabled=False), api_keys_enabled=False)["http"]["auth"]
    assert "openid" not in auth and "apikey" not in auth


def test_oidc_login_needs_https_except_on_loopback():
    with pytest.raises(zot_config.ZotConfigError, match=r"^zot_external_url: OpenID login needs an https"):
        build(**OIDC, external_url="http://zot.example:5000")
    for url in ("http://127.0.0.1:5060", "http://localhost:5000", "http://[::1]:5000", "https://zot.example"):
        assert "openid" in build(**OIDC, external_url=url)["http"]["auth"]


@pytest.mark.parametrize(
    "oidc, external_url, field",
    [
        (OIDC, "", "zot_external_url"),
        (dict(OIDC, oidc_issuer=""), "https://zot.example", "zot_oidc_issuer"),
        (dict(OIDC, oidc_scopes=["email"]), "https://zot.example", "zot_oidc_scopes"),
    ],
)
def test_oidc_errors_name_the_variable(oidc, external_url, field):
    with pytest.raises(zot_config.ZotConfigError, match=field):
        build(**oidc, external_url=external_url)


def test_sync_without_credentials_has_no_credentials_file():
    sync = zot_config.sync_extension([{"urls": ["https://ghcr.io"], "prefix": "ghcr.io"}], "/etc/zot")
    assert sync == {
        "enable": True,
        "registries": [
            {
                "urls": ["https://ghcr.io"],
                "onDemand": True,
                "tlsVerify": True,
                "content": [{"prefix": "**", "destination": "/ghcr.io"}],
                "preserveDigest": False,
                "maxRetries": 1,
                "retryDelay": "1s",
                "maxRetryDelay": "2s",
                "responseHeaderTimeout": "5s",
            }
        ],
    }


def test_sync_outage_settings_can_be_set_per_upstream():
    upstream = {
        "urls": ["https://ghcr.io"],
        "prefix": "ghcr.io",
        "max_retries": 3,
        "retry_delay": "10s",
        "max_retry_delay": "1m",
        "response_header_timeout": "30s",
        "sync_timeout": "2h",
    }
    (registry,) = zot_config.sync_extension([upstream], "/etc/zot")["registries"]
    assert (registry["maxRetries"], registry["retryDelay"], registry["maxRetryDelay"]) == (3, "10s", "1m")
    assert (registry["responseHeaderTimeout"], registry["syncTimeout"]) == ("30s", "2h")


@pytest.mark.parametrize(
    "access_control, users, upstreams, field",
    [
        (["read"], [], [], r"zot_access_control: must be a dict .*accessControl.*not a list"),
        ({}, ["ci"], [], r"zot_htpasswd_users\[0\]: must be a dict"),
        ({}, [], [{"urls": ["https://x"]}], r"zot_sync_upstreams\[0\]\.prefix"),
        # A string of groups would become one group per letter.
        (
            {},
            [{"name": "ci", "groups": "artifact-workloads"}],
            [],
            r"zot_htpasswd_users\[0\]\.groups: must be a list",
        ),
    ],
)
def test_malformed_inputs_are_named(access_control, users, upstreams, field):
    with pytest.raises(zot_config.ZotConfigError, match=field):
        zot_config.effective_access_control(access_control, users, upstreams)


@pytest.mark.parametrize(
    "upstreams, message",
    [
        ([{"prefix": "docker.io"}], r"^zot_sync_upstreams\[0\]\.urls: must be a non-empty list"),
        (
            [{"urls": "https://x", "prefix": "docker.io"}],
            r"^zot_sync_upstreams\[0\]\.urls: must be a non-empty list",
        ),
        (
            [{"urls": ["registry-1.docker.io"], "prefix": "docker.io"}],
            r"^zot_sync_upstreams\[0\]\.urls\[0\]: must be an http",
        ),
        (
            [
                {"urls": ["https://a"], "prefix": "docker.io"},
                {"urls": ["https://b"], "prefix": "/docker.io/"},
            ],
            r"^zot_sync_upstreams\[1\]\.prefix: docker.io is already the prefix of zot_sync_upstreams\[0\]",
        ),
        ([{"urls": ["https://a"], "prefix": "d", "credentials": {"username": "u"}}], r"\[0\]\.credentials"),
        (["docker.io"], r"^zot_sync_upstreams\[0\]: must be a dict"),
    ],
)
def test_bad_upstreams_are_named(upstreams, message):
    with pytest.raises(zot_config.ZotConfigError, match=message):
        build(sync_upstreams=upstreams)


@pytest.mark.parametrize("delay", [-1, "1s", 1.5, True])
def test_fail_delay_must_be_whole_seconds(delay):
    with pytest.raises(zot_config.ZotConfigError, match=r"^zot_auth_fail_delay: must be a whole number"):
        build(auth_fail_delay=delay)


def test_a_policy_user_must_be_a_local_user_when_htpasswd_is_the_only_identity_source():
    policy = {"repositories": {"**": {"policies": [{"users": ["ci", "cii"], "actions": ["read"]}]}}}
    with pytest.raises(
        zot_config.ZotConfigError,
        match=r'^zot_access_control.repositories\["\*\*"\].policies\[0\].users\[1\]: cii is not a local user',
    ):
        build(access_control=policy, htpasswd_users=[{"name": "ci"}])
    admin = {"adminPolicy": {"users": ["root"], "actions": ["delete"]}}
    with pytest.raises(zot_config.ZotConfigError, match=r"^zot_access_control.adminPolicy.users\[0\]: root"):
        build(access_control=admin, htpasswd_users=[{"name": "ci"}])
    # With another identity source the name may be an LDAP, OpenID or certificate identity.
    assert build(
        access_control=policy, htpasswd_users=[{"name": "ci"}], mtls_identity_attributes=["CommonName"]
    )


@pytest.mark.parametrize(
    "overrides, variable",
    [
        ({"metrics_enabled": True}, "zot_metrics_enabled"),
        ({"sync_upstreams": [{"urls": ["https://ghcr.io"], "prefix": "ghcr.io"}]}, "zot_sync_upstreams"),
        ({"search_enabled": True}, "zot_search_enabled"),
        ({"scrub_enabled": True}, "zot_scrub_enabled"),
        ({"ui_enabled": True}, "zot_ui_enabled"),
        ({"config_extra": {"extensions": {"lint": {"enable": True}}}}, "zot_config_extra.extensions.lint"),
    ],
)
def test_minimal_flavour_refuses_settings_that_need_an_extension(overrides, variable):
    with pytest.raises(zot_config.ZotConfigError, match=r"^%s: needs a zot extension" % re.escape(variable)):
        build(flavour="minimal", **overrides)


def test_minimal_flavour_builds_a_config_without_extensions():
    config = build(flavour="minimal", metrics_enabled=False)
    assert "extensions" not in config
    assert build(flavour="full", metrics_enabled=True)["extensions"]["metrics"]["enable"] is True


def test_upstream_errors_for_containerd_name_every_problem_without_values():
    upstreams = [
        {"name": "docker.io", "urls": ["https://a"], "prefix": "docker.io", "credentials": {"username": "u"}},
        {"name": "docker.io", "urls": ["https://b"], "prefix": "hub"},
        {"name": "ghcr.io/x", "urls": [], "prefix": "ghcr.io"},
    ]
    assert zot_config.upstream_errors(upstreams, "containerd_mirror_upstreams", need_name=True) == [
        "containerd_mirror_upstreams[0].credentials: must be {username, password} (strings)",
        "containerd_mirror_upstreams[1].name: docker.io is already the name of "
        "containerd_mirror_upstreams[0]",
        "containerd_mirror_upstreams[2].urls: must be a non-empty list of http(s) URLs",
        "containerd_mirror_upstreams[2].name: must be a string such as docker.io (the registry host, no '/')",
    ]


def test_oidc_redirect_uri_is_the_callback_zot_serves():
    # zot v2.1.20 registers /zot/auth/callback/<provider> (pkg/api/routes.go);
    # both IdP roles register this.
    assert (
        zot_config.oidc_redirect_uri("https://zot.example//") == "https://zot.example/zot/auth/callback/oidc"
    )


def test_retention_deletes_only_tags_the_tag_rules_let_ci_move():
    rules = [{"repositories": "**", "movable": ["latest", "dev-*"], "locked": ["v*"]}]
    retention = {"policies": [{"repositories": ["**"], "keepTags": [{"mostRecentlyPushedCount": 2}]}]}
    config = build(
        access_control=THREE_TIERS,
        htpasswd_users=[{"name": "prometheus"}],
        tag_rules=rules,
        storage_retention=retention,
    )
    assert config["storage"]["retention"]["policies"][0]["keepTags"] == [
        {"patterns": ["^v.*$"]},
        {"mostRecentlyPushedCount": 2, "patterns": ["^latest$", "^dev-.*$"]},
        {},
    ]
    without_rules = build(
        access_control=THREE_TIERS, htpasswd_users=[{"name": "prometheus"}], storage_retention=retention
    )
    assert without_rules["storage"]["retention"]["policies"][0]["keepTags"] == [{}]


def test_switches_given_as_text_on_the_command_line_are_read_as_booleans():
    # `-e zot_storage_dedupe=false` reaches the filter as the text "false".
    config = build(
        storage_dedupe="false",
        storage_gc="False",
        metrics_enabled="false",
        scrub_enabled="no",
        ui_enabled="false",
    )
    assert config["storage"]["dedupe"] is False and config["storage"]["gc"] is False
    assert "extensions" not in config
    assert build(storage_dedupe="true")["storage"]["dedupe"] is True


S3 = {"bucket": "zot", "region": "us-east-1"}


@pytest.mark.parametrize(
    "dedupe, storage_s3, expected",
    [(None, None, True), (None, S3, False), (True, S3, True), ("false", None, False)],
)
def test_dedupe_is_on_except_on_s3_unless_set(dedupe, storage_s3, expected):
    settings = dict(BASE, storage_dedupe=dedupe, storage_s3=storage_s3)
    if storage_s3:
        settings.update(cluster_members=[], redis_url="redis://127.0.0.1:6379/0")
    assert zot_config.build_config(settings)["storage"]["dedupe"] is expected


@pytest.mark.parametrize(
    "overrides, origin",
    [
        ({"external_url": "https://zot.example.org/"}, "https://zot.example.org"),
        ({}, "http://127.0.0.1:5000"),
        ({"http_address": "::"}, "http://[::1]:5000"),
        ({"http_address": "fd00::5", "tls_cert": "/c", "tls_key": "/k"}, "https://[fd00::5]:5000"),
        (
            {"http_address": "10.0.0.5", "config_extra": {"http": {"allowOrigin": "https://ui.example"}}},
            "https://ui.example",
        ),
    ],
)
def test_allow_origin_is_the_registrys_own_origin_never_the_wildcard(overrides, origin):
    assert build(**overrides)["http"]["allowOrigin"] == origin


def test_a_full_flavour_registry_serves_the_ui_and_its_search_by_default():
    assert build()["extensions"] == {"search": {"enable": True}, "ui": {"enable": True}}


def test_the_ui_without_search_is_refused_naming_the_variable():
    with pytest.raises(zot_config.ZotConfigError, match="^zot_ui_enabled: .*zot_search_enabled: true"):
        build(ui_enabled=True, search_enabled=False)
