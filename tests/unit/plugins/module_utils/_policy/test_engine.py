# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
import pytest

from ansible_collections.zotops.registry.plugins.module_utils._policy.engine import (
    LoadedPolicy,
    audit_access_control,
    auth_methods_from_config,
    check_requirements,
    decide,
    evaluate_queries,
    summarize,
    validate_access_control,
)

ANON = {"anonymous": True}
ALL = ["read", "create", "update", "delete"]
POLICY = {
    "groups": {"ci": {"users": ["ci"]}, "ops": {"users": ["olga"]}},
    "repositories": {
        "**": {"defaultPolicy": ["read"], "anonymousPolicy": ["read"]},
        "apps/**": {
            "policies": [
                {"groups": ["ci"], "actions": ["read", "create"]},
                {"users": ["alice"], "actions": ["read", "create", "update"]},
            ],
            "defaultPolicy": ["read"],
        },
        # Longer than apps/** and grants nothing to anonymous: no fallback to `**`.
        "apps/secret/*": {"defaultPolicy": ["read"]},
        "public/*": {"anonymousPolicy": ["read"]},
        "private/*": {"policies": [{"users": ["bob"], "actions": ["read"]}]},
    },
    "adminPolicy": {"users": ["admin"], "groups": ["ops"], "actions": ALL},
}


def allowed(who, repo, action, policy=None):
    return decide(POLICY if policy is None else policy, who, repo, action)["allowed"]


# ----------------------------------------------------------------------------- decide


def test_user_entry_grants():
    decision = decide(POLICY, {"user": "alice"}, "apps/web", "update")
    assert decision["allowed"] and decision["status"] == 200
    assert decision["granted_by"] == "user"
    assert decision["matched_pattern"] == "apps/**"


def test_group_from_accesscontrol_groups_grants_a_local_user():
    decision = decide(POLICY, {"user": "ci"}, "apps/web", "create")
    assert decision["granted_by"] == "group"
    assert decision["groups"] == ["ci"]


def test_update_is_separate_from_create():
    decision = decide(POLICY, {"user": "ci"}, "apps/web", "update")
    assert not decision["allowed"]
    assert decision["status"] == 403


def test_groups_only_who_is_any_member_of_those_groups():
    decision = decide(POLICY, {"groups": ["ci"]}, "apps/web", "create")
    assert decision["allowed"] and decision["granted_by"] == "group"
    # Not a named user: user entries (alice) never apply to it.
    assert not allowed({"groups": ["other"]}, "apps/web", "update")
    assert (
        check_requirements(
            POLICY,
            [
                {
                    "who": {"groups": ["ci"]},
                    "repos": ["apps/web"],
                    "can": ["read", "create"],
                    "cannot": ["update"],
                }
            ],
        )
        == []
    )


def test_oidc_user_does_not_get_local_groups():
    assert not allowed({"user": "ci", "oidc": True}, "apps/web", "create")
    assert allowed({"user": "someone", "groups": ["ci"], "oidc": True}, "apps/web", "create")


def test_longest_glob_applies_without_fallback():
    # `**` grants anonymous read, but apps/secret/* is longer and does not.
    decision = decide(POLICY, ANON, "apps/secret/x", "read")
    assert decision["matched_pattern"] == "apps/secret/*"
    assert not decision["allowed"] and decision["status"] == 401
    # ... and ci's create on apps/** does not reach apps/secret/x either.
    assert not allowed({"user": "ci"}, "apps/secret/x", "create")


def test_star_stays_in_one_segment_doublestar_does_not():
    assert decide(POLICY, ANON, "public/a", "read")["matched_pattern"] == "public/*"
    deep = decide(POLICY, ANON, "public/a/b", "read")
    assert deep["matched_pattern"] == "**"
    assert deep["granted_by"] == "anonymousPolicy"


def test_default_policy_is_for_authenticated_callers_only():
    assert decide(POLICY, {"user": "x"}, "apps/web", "read")["granted_by"] == "defaultPolicy"
    assert not allowed(ANON, "apps/web", "read")


def test_anonymous_policy_is_for_anonymous_callers_only():
    assert decide(POLICY, ANON, "public/a", "read")["granted_by"] == "anonymousPolicy"
    denied = decide(POLICY, {"user": "x"}, "public/a", "read")
    assert not denied["allowed"] and denied["status"] == 403


def test_admin_policy_by_user_and_by_group():
    assert decide(POLICY, {"user": "admin"}, "apps/web", "delete")["granted_by"] == "adminPolicy"
    assert decide(POLICY, {"user": "olga"}, "apps/web", "delete")["granted_by"] == "adminPolicy"
    # A repo-level grant wins before adminPolicy is consulted.
    assert decide(POLICY, {"user": "admin"}, "apps/web", "read")["granted_by"] == "defaultPolicy"


def test_repo_matching_no_glob_is_admin_only():
    policy = {
        "repositories": {"apps/*": {"defaultPolicy": ["read"]}},
        "adminPolicy": {"users": ["admin"], "actions": ["read"]},
    }
    decision = decide(policy, {"user": "x"}, "other", "read")
    assert decision["matched_pattern"] is None and decision["status"] == 403
    assert decide(policy, {"user": "admin"}, "other", "read")["allowed"]
    assert decide(policy, ANON, "other", "read")["status"] == 401


def test_user_entry_is_not_a_group_entry():
    assert allowed({"user": "bob"}, "private/a", "read")
    assert not allowed({"user": "carol", "groups": ["bob"]}, "private/a", "read")


def test_keys_are_lowercased_like_zot():
    policy = {
        "groups": {"Devs": {"users": ["dan"]}},
        "repositories": {"Apps/*": {"policies": [{"groups": ["devs"], "actions": ["read"]}]}},
    }
    decision = decide(policy, {"user": "dan"}, "apps/x", "read")
    assert decision["allowed"] and decision["matched_pattern"] == "apps/*"


def test_equal_length_tie_is_reported():
    policy = {"repositories": {"a/*": {"defaultPolicy": ["read"]}, "*/b": {"defaultPolicy": []}}}
    decision = decide(policy, {"user": "x"}, "a/b", "read")
    assert decision["matched_pattern"] == "*/b"
    assert decision["tied_patterns"] == ["a/*"]


def test_empty_glob_is_the_catch_all_for_unmatched_repositories():
    policy = {
        "repositories": {
            "": {"defaultPolicy": ["read"], "anonymousPolicy": ["read"]},
            "apps/**": {"policies": [{"users": ["ci"], "actions": ["read", "create"]}]},
        }
    }
    other = decide(policy, {"user": "bob"}, "other/x", "read")
    assert other["allowed"] and other["matched_pattern"] == ""
    # A glob that matches wins, and "" is not consulted for its repositories.
    apps = decide(policy, {"user": "bob"}, "apps/web", "read")
    assert apps["matched_pattern"] == "apps/**" and apps["status"] == 403
    assert LoadedPolicy(policy).decide({"anonymous": True}, "zz", "read")["allowed"]
    assert errors_of(policy) == []


def test_api_key_requests_carry_the_groups_stored_at_last_login():
    policy = {
        "groups": {"ci": {"users": []}},  # ci was removed from the group after logging in
        "repositories": {"apps/**": {"policies": [{"groups": ["ci"], "actions": ["read", "create"]}]}},
    }
    with_password = decide(policy, {"user": "ci"}, "apps/web", "create")
    with_key = decide(policy, {"user": "ci", "login_groups": ["ci"]}, "apps/web", "create")
    assert with_password["status"] == 403
    assert with_key["allowed"] and with_key["groups"] == ["ci"]
    # Without login_groups an API key is assumed to carry what a login under this policy stores.
    assert decide(policy, {"user": "ci", "api_key": True}, "apps/web", "create")["status"] == 403


def test_anonymous_is_refused_before_authorization_without_any_anonymous_policy():
    # `users: [""]` names the anonymous caller, but zot lets no credential-less request
    # through authentication when no repository has an anonymousPolicy.
    policy = {"repositories": {"**": {"policies": [{"users": [""], "actions": ["read"]}]}}}
    assert decide(policy, {"anonymous": True}, "a", "read")["status"] == 401
    policy["repositories"]["pub/**"] = {"anonymousPolicy": ["read"]}
    assert decide(policy, {"anonymous": True}, "a", "read")["allowed"]


def test_field_names_are_read_case_insensitively_like_zot():
    policy = {
        "repositories": {
            "a/**": {"DefaultPolicy": ["read"], "POLICIES": [{"Users": ["u"], "actions": ["create"]}]}
        }
    }
    assert decide(policy, {"user": "x"}, "a/b", "read")["allowed"]
    assert decide(policy, {"user": "u"}, "a/b", "create")["allowed"]
    assert errors_of(policy) == []


def test_map_keys_are_lowercased_but_values_are_not():
    policy = {
        "groups": {"CI": {"users": ["Bob"]}},
        "repositories": {"Apps/**": {"policies": [{"groups": ["ci"], "actions": ["read"]}]}},
    }
    assert decide(policy, {"user": "Bob"}, "apps/x", "read")["allowed"]
    assert decide(policy, {"user": "bob"}, "apps/x", "read")["status"] == 403
    policy["repositories"]["Apps/**"]["policies"][0]["groups"] = ["CI"]
    assert decide(policy, {"user": "Bob"}, "apps/x", "read")["status"] == 403


def test_traditional_bearer_auth_bypasses_access_control():
    config = {
        "http": {"auth": {"bearer": {"realm": "https://auth/token", "service": "zot", "cert": "/c.pem"}}}
    }
    methods = auth_methods_from_config(config)
    assert "bearer" in methods
    errors, _warnings = validate_access_control(
        {"repositories": {"**": {"defaultPolicy": ["read"]}}}, auth_methods=methods
    )
    assert any("bypasses accessControl" in e for e in errors)
    oidc = {"http": {"auth": {"bearer": {"oidc": [{"issuer": "https://idp", "audiences": ["zot"]}]}}}}
    assert "bearer" not in auth_methods_from_config(oidc)


def test_metrics_decisions_follow_metrics_rules_only():
    policy = LoadedPolicy(
        {"metrics": {"users": ["prom"]}, "adminPolicy": {"users": ["admin"], "actions": ["read"]}}
    )
    assert policy.decide_metrics({"user": "prom"})["allowed"]
    assert policy.decide_metrics({"user": "admin"})["status"] == 403
    assert policy.decide_metrics({"anonymous": True})["status"] == 401


@pytest.mark.parametrize(
    "who",
    [{}, {"user": ""}, {"anonymous": True, "user": "x"}, {"user": "x", "bad": 1}, "x"],
)
def test_bad_who_is_refused(who):
    with pytest.raises(ValueError, match="who"):
        decide(POLICY, who, "apps/web", "read")


# ------------------------------------------------------------------------ validation


def errors_of(policy, **kwargs):
    return validate_access_control(policy, **kwargs)[0]


def warnings_of(policy, **kwargs):
    return validate_access_control(policy, **kwargs)[1]


def test_valid_policy_has_no_errors():
    errors, warnings = validate_access_control(POLICY, auth_methods={"htpasswd"}, zot_version="v2.1.20")
    assert errors == []
    assert warnings == []


def test_structure_errors_name_the_path():
    errors = errors_of({"repositories": {"x": {"policies": [{"user": ["a"]}]}}, "foo": 1})
    assert errors[0].startswith("accessControl: unknown key(s) 'foo'")
    assert errors[1].startswith('accessControl.repositories["x"].policies[0]: unknown key')
    assert errors_of({"repositories": {"x": {"defaultPolicy": "read"}}})[0].startswith(
        'accessControl.repositories["x"].defaultPolicy: must be of type array'
    )


def test_unknown_action():
    policy = {"repositories": {"ci/**": {"policies": [{"users": ["a"], "actions": ["read", "push"]}]}}}
    assert errors_of(policy) == [
        'accessControl.repositories["ci/**"].policies[0].actions[1]: unknown action "push" '
        "(allowed: read, create, update, delete); zot silently ignores it"
    ]


@pytest.mark.parametrize(
    ("actions", "missing"),
    [
        (["read", "update"], ['"update" without "create"']),
        (["create", "update"], ['"create" without "read"', '"update" without "read"']),
        (["delete"], ['"delete" without "read"']),
    ],
)
def test_prerequisite_actions(actions, missing):
    for where in ("defaultPolicy", "anonymousPolicy"):
        errors = errors_of({"repositories": {"a": {where: actions}}})
        assert [e.split(" for ", maxsplit=1)[0] for e in errors] == [
            f'accessControl.repositories["a"].{where}: {m}' for m in missing
        ]
    admin = errors_of({"adminPolicy": {"users": ["x"], "actions": actions}})
    assert [e.split(" for ", maxsplit=1)[0] for e in admin] == [
        f"accessControl.adminPolicy.actions: {m}" for m in missing
    ]


def test_default_policy_read_satisfies_a_policy_entry():
    policy = {
        "repositories": {
            "a": {
                "policies": [{"users": ["u"], "actions": ["create"]}],
                "defaultPolicy": ["read"],
            }
        }
    }
    assert errors_of(policy) == []
    policy["repositories"]["a"]["defaultPolicy"] = []
    assert errors_of(policy) == [
        'accessControl.repositories["a"].policies[0].actions: "create" without "read" for user "u" '
        "(clients HEAD/GET blobs and manifests before writing or deleting)"
    ]


def test_create_without_read_is_judged_on_what_zot_combines_per_identity():
    # ci reads through one group entry and creates through another: zot combines them.
    policy = {
        "groups": {"readers": {"users": ["ci"]}, "pushers": {"users": ["ci"]}},
        "repositories": {
            "apps/**": {
                "policies": [
                    {"groups": ["readers"], "actions": ["read"]},
                    {"groups": ["pushers"], "actions": ["create"]},
                ]
            }
        },
    }
    assert errors_of(policy) == []
    # An admin whose read comes from adminPolicy may create through an entry.
    policy = {
        "repositories": {"a": {"policies": [{"users": ["root"], "actions": ["create"]}]}},
        "adminPolicy": {"users": ["root"], "actions": ["read"]},
    }
    assert errors_of(policy) == []
    # Someone else listed only with create is still refused.
    policy["repositories"]["a"]["policies"].append({"users": ["bob"], "actions": ["create"]})
    assert [e.split(" (", maxsplit=1)[0] for e in errors_of(policy)] == [
        'accessControl.repositories["a"].policies[1].actions: "create" without "read" for user "bob"'
    ]


def test_create_without_read_for_an_idp_group_is_a_warning():
    # An IdP may give the member another group that reads: only a warning.
    policy = {
        "repositories": {"a": {"policies": [{"groups": ["oidc-pushers"], "actions": ["create"]}]}},
    }
    assert errors_of(policy) == []
    assert any(
        '"create" without "read" for user "(a member of oidc-pushers)"' in w for w in warnings_of(policy)
    )


@pytest.mark.parametrize("pattern", ["a[", "a{b", "/apps/**"])
def test_bad_globs(pattern):
    errors = errors_of({"repositories": {pattern: {}}})
    assert len(errors) == 1 and errors[0].startswith(f'accessControl.repositories["{pattern}"]: ')


def test_equal_length_overlap_is_an_error_but_disjoint_is_not():
    errors = errors_of({"repositories": {"ci/*": {"defaultPolicy": []}, "*/ab": {"defaultPolicy": []}}})
    assert len(errors) == 1 and "overlaps" in errors[0] and "at random" in errors[0]
    assert errors_of({"repositories": {"ci/*": {"defaultPolicy": []}, "cd/*": {"defaultPolicy": []}}}) == []
    # Different lengths do not compete.
    assert errors_of({"repositories": {"ci/*": {"policies": []}, "ci/**": {"policies": []}}}) == []


def test_undefined_group_is_a_warning():
    policy = {"repositories": {"a": {"policies": [{"groups": ["release"], "actions": ["read"]}]}}}
    assert warnings_of(policy) == [
        'accessControl.repositories["a"].policies[0].groups[0]: group "release" is not defined '
        "in accessControl.groups; only users whose IdP (OIDC groups claim) or LDAP sends it get it"
    ]
    policy["groups"] = {"release": {"users": ["r"]}}
    assert warnings_of(policy) == []


@pytest.mark.parametrize(
    "methods, unfillable",
    [({"htpasswd"}, True), ({"htpasswd", "apikey", "mtls"}, True), ({"ldap"}, False), ({"openid"}, False)],
)
def test_a_group_no_identity_source_can_fill_is_an_error(methods, unfillable):
    policy = {
        "repositories": {"a": {"policies": [{"groups": ["release"], "actions": ["read"]}]}},
        "adminPolicy": {"groups": ["ops"], "actions": ["read"]},
    }
    audit = audit_access_control(policy, auth_methods=methods)
    paths = ['accessControl.repositories["a"].policies[0].groups[0]', "accessControl.adminPolicy.groups[0]"]
    found = audit["errors"] if unfillable else audit["warnings"]
    assert [message.split(":")[0] for message in found] == paths
    if unfillable:
        assert "no LDAP or OpenID login" in found[0] and audit["warnings"] == []


def test_upper_case_group_key_is_an_error():
    policy = {
        "groups": {"Devs": {"users": ["d"]}},
        "repositories": {"a": {"policies": [{"groups": ["Devs"], "actions": ["read"]}]}},
    }
    errors = errors_of(policy)
    assert any(e.startswith('accessControl.groups["Devs"]: zot lowercases group names') for e in errors)
    assert any('policies[0].groups[0]: group "Devs" never matches' in e for e in errors)


def test_upper_case_glob_is_a_warning_or_an_error_on_collision():
    assert warnings_of({"repositories": {"Apps/*": {}}})[0].startswith(
        'accessControl.repositories["Apps/*"]: zot lowercases globs'
    )
    errors = errors_of({"repositories": {"Apps/*": {}, "apps/*": {}}})
    assert any("collides" in e for e in errors)


def test_a_name_holding_the_config_key_separator_is_refused_as_zot_refuses_it():
    # zot v2.1.20 refuses such a config at start: 'repositories[a]' has invalid keys: b/**
    policy = {
        "groups": {"x::y": {"users": ["u"]}},
        "repositories": {"a::b/**": {"anonymousPolicy": ["read"]}, "**": {"anonymousPolicy": ["read"]}},
    }
    audit = audit_access_control(policy)
    expected = [
        'accessControl.repositories["a::b/**"]: zot reads its config with "::" as the key separator, '
        "so it splits this name and refuses the config at start",
        'accessControl.groups["x::y"]: zot reads its config with "::" as the key separator, '
        "so it splits this name and refuses the config at start",
    ]
    assert sorted(audit["refused"]) == sorted(expected)
    assert set(expected) <= set(audit["errors"])


def test_access_control_without_authentication():
    policy = {"repositories": {"**": {"defaultPolicy": ["read"]}}}
    assert errors_of(policy, auth_methods=set())[0].startswith(
        "accessControl: grants authenticated access but no authentication method"
    )
    assert errors_of(policy, auth_methods={"htpasswd"}) == []
    assert errors_of(policy) == []  # auth_methods unknown: not checked
    # zot verify accepts anonymous-only policies without authentication.
    assert errors_of({"repositories": {"**": {"anonymousPolicy": ["read"]}}}, auth_methods=set()) == []


def test_anonymous_write_is_a_warning():
    policy = {"repositories": {"**": {"anonymousPolicy": ["read", "create"]}}}
    assert warnings_of(policy) == [
        'accessControl.repositories["**"].anonymousPolicy[1]: anonymous callers may "create": '
        "anyone who can reach the registry can change it"
    ]


def test_metrics_nobody_can_read():
    assert warnings_of({"metrics": {}})[0].startswith("accessControl.metrics: neither users")
    assert warnings_of({"metrics": {"users": ["prom"]}}) == []
    assert warnings_of({}, metrics_enabled=True)[0].startswith(
        "accessControl.metrics: the metrics extension is enabled"
    )
    assert warnings_of({}, metrics_enabled=False) == []


def test_old_zot_with_create_only_identity_is_an_error():
    policy = {"repositories": {"a": {"policies": [{"users": ["ci"], "actions": ["read", "create"]}]}}}
    errors = errors_of(policy, zot_version="v2.1.18")
    assert len(errors) == 1
    assert errors[0].startswith(
        'accessControl.repositories["a"].policies[0].actions: grants create without update'
    )
    assert "?tag=" in errors[0] and "v2.1.19" in errors[0]
    assert '"latest"' in errors_of(policy, zot_version="2.1.14")[0]
    assert errors_of(policy, zot_version="v2.1.19") == []
    # Admins are expected to overwrite; only non-admin identities matter.
    admin = {"adminPolicy": {"users": ["a"], "actions": ["read", "create"]}}
    assert errors_of(admin, zot_version="v2.1.10") == []
    assert errors_of(policy, zot_version="latest")[0].startswith("zot_version: cannot parse")


def test_local_users_check():
    policy = {"repositories": {"a": {"policies": [{"users": ["ghost"], "actions": ["read"]}]}}}
    assert warnings_of(policy, local_users={"ci"})[0].endswith('"ghost" is not a local (htpasswd) user')


# ----------------------------------------------------------------- requirements / queries


def test_check_requirements_lists_every_violation():
    violations = check_requirements(
        POLICY,
        [
            {
                "who": {"user": "ci"},
                "repos": ["apps/web", "apps/api"],
                "can": ["read", "create"],
                "cannot": ["update", "delete"],
            },
            {"who": ANON, "repos": ["apps/web"], "can": ["read"], "cannot": ["create"]},
            {"who": {"user": "alice"}, "repos": ["apps/web"], "cannot": ["update"]},
        ],
    )
    assert violations == [
        'require[1]: anonymous must be able to read "apps/web", but zot answers 401 (glob: apps/**)',
        'require[2]: user "alice" must not be able to update "apps/web", but user allows it (glob: apps/**)',
    ]


def test_check_requirements_refuses_malformed_input():
    with pytest.raises(ValueError, match=r"require\[0\]: needs at least one action"):
        check_requirements(POLICY, [{"who": ANON, "repos": ["a"]}])
    with pytest.raises(ValueError, match=r'require\[0\].can: unknown action "push"'):
        check_requirements(POLICY, [{"who": ANON, "repos": ["a"], "can": ["push"]}])


def test_evaluate_queries_expands_repos_and_actions():
    rows = evaluate_queries(POLICY, [{"who": {"user": "ci"}, "repos": ["apps/a", "x"]}])
    assert [(r["repo"], r["action"], r["allowed"]) for r in rows] == [
        ("apps/a", "read", True),
        ("apps/a", "create", True),
        ("apps/a", "update", False),
        ("apps/a", "delete", False),
        ("x", "read", True),
        ("x", "create", False),
        ("x", "update", False),
        ("x", "delete", False),
    ]
    with pytest.raises(ValueError, match=r"queries\[0\]: repo \(or repos\) is required"):
        evaluate_queries(POLICY, [{"who": ANON}])


def test_summary_rows():
    rows = summarize(POLICY)
    by_key = {(r["pattern"], r["who"]): r for r in rows}
    assert by_key[("apps/**", "user ci")]["allowed"] == ["read", "create"]
    assert by_key[("apps/**", "anonymous")]["allowed"] == []
    assert by_key[("public/*", "anonymous")]["allowed"] == ["read"]
    # `**` matches everything: no row for an unmatched repository.
    assert all(r["pattern"] is not None for r in rows)


def test_summary_has_an_admin_only_row_for_unmatched_repositories():
    policy = {
        "repositories": {"apps/*": {"defaultPolicy": ["read"]}},
        "adminPolicy": {"users": ["admin"], "actions": ALL},
    }
    rows = {(r["pattern"], r["who"]): r for r in summarize(policy)}
    assert rows[(None, "user admin")]["allowed"] == ALL
    assert rows[(None, "authenticated")]["denied"] == ALL
    assert rows[("apps/*", "authenticated")]["allowed"] == ["read"]


def test_a_glob_with_an_empty_body_does_not_exist_for_zot():
    # viper drops a map key with nothing below it; an empty list is kept (checked on zot).
    policy = {"repositories": {"**": {"defaultPolicy": ["read", "create"]}, "b/**": {}}}
    dropped = decide(policy, {"user": "u"}, "b/x", "create")
    assert dropped["allowed"] and dropped["matched_pattern"] == "**"
    assert any(
        e.startswith('accessControl.repositories["b/**"]: an empty body is dropped')
        for e in errors_of(policy)
    )
    policy["repositories"]["b/**"] = {"defaultPolicy": []}
    kept = decide(policy, {"user": "u"}, "b/x", "create")
    assert kept["status"] == 403 and kept["matched_pattern"] == "b/**"


def test_canonical_spelling_never_changes_the_callers_policy():
    import copy

    from ansible_collections.zotops.registry.plugins.module_utils._policy.engine import (
        canonical_access_control,
    )

    given = {
        "repositories": {
            "a/**": {"DefaultPolicy": ["read"], "policies": [{"Users": ["u"], "actions": ["create"]}]},
            "b/**": {"defaultPolicy": ["read"]},
        },
        "Groups": {"g": {"USERS": ["u"]}},
    }
    before = copy.deepcopy(given)
    canonical = canonical_access_control(given)
    assert given == before
    assert canonical["repositories"]["a/**"]["defaultPolicy"] == ["read"]
    assert canonical["repositories"]["a/**"]["policies"][0]["users"] == ["u"]
    assert canonical["groups"]["g"] == {"users": ["u"]}
    # Parts already spelled canonically are shared, not copied.
    assert canonical["repositories"]["b/**"] is given["repositories"]["b/**"]
    assert canonical_access_control(canonical) is canonical
