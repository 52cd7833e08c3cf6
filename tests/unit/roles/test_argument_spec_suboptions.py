# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Every structured role variable declares its keys, so ansible's role argument validation
refuses a misspelt one (a user's `group:` for `groups:`) naming it; the keys declared are
the ones the collection's code reads, and every inventory the project ships passes."""

import copy
import pathlib
import re

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.zotops.registry.plugins.modules import zot_access_policy, zot_registry_check
from ansible_collections.zotops.registry.plugins.plugin_utils._zot import cluster
from ansible_collections.zotops.registry.plugins.plugin_utils._zot import config as zot_config

ROOT = pathlib.Path(__file__).resolve().parents[3]
ROLES = ROOT / "roles"
ROLE_NAMES = sorted(p.name for p in ROLES.iterdir() if (p / "meta" / "argument_specs.yml").exists())

# Structured variables without declared keys, and why a misspelt key is refused anyway.
FREE_FORM = {
    "zot": {
        "zot_access_control": "zot's accessControl: the policy engine refuses unknown keys",
        "zot_config_extra": "zot's own config: zot verify refuses unknown keys",
        "zot_storage_retention": "zot's storage.retention: zot verify refuses unknown keys",
        "zot_environment": "environment variables: any name",
        "zot_access_policy_require.who": "the policy engine refuses unknown keys",
        "zot_access_policy_require.request": "the policy engine refuses unknown keys",
    },
    "dex_client": {
        "dex_client_storage": "Dex's config: the role's Dex JSON Schema refuses unknown keys",
        "dex_client_connectors": "Dex's config: the role's Dex JSON Schema refuses unknown keys",
        "dex_client_static_passwords": "Dex's config: the role's Dex JSON Schema refuses unknown keys",
    },
}


def options(role):
    specs = yaml.safe_load((ROLES / role / "meta" / "argument_specs.yml").read_text())
    return specs["argument_specs"]["main"]["options"]


def structured(spec, prefix=""):
    """(dotted name, option) of every dict or list-of-dicts option, nested ones included."""
    for name, option in spec.items():
        if option.get("type") == "dict" or option.get("elements") == "dict":
            yield prefix + name, option
        yield from structured(option.get("options") or {}, prefix + name + ".")


def validate(role, variables):
    """ansible's role argument validation of `variables` (the keys of structured ones, their
    types); a role's required variables may be absent, as in an inventory for other roles."""
    spec = copy.deepcopy(options(role))  # the validator writes defaults into its spec
    for option in spec.values():
        option.pop("required", None)
    return ArgumentSpecValidator(spec).validate(variables, validate_role_argument_spec=True)


def module_suboptions(module, option):
    return yaml.safe_load(module.DOCUMENTATION)["options"][option]["suboptions"]


def shape(spec):
    """Names, types and nested keys of a spec, without the descriptions."""
    return {
        name: (
            option.get("type"),
            option.get("elements"),
            shape(option.get("options") or option.get("suboptions") or {}),
        )
        for name, option in spec.items()
    }


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_every_structured_variable_declares_its_keys_or_says_why_not(role):
    free_form = FREE_FORM.get(role, {})
    for name, option in structured(options(role)):
        if name in free_form:
            assert "options" not in option, "%s declares keys: drop it from FREE_FORM" % name
            assert "free-form" in str(option["description"]).lower(), "%s: say it is free-form" % name
        else:
            assert option.get("options"), "%s: declare its keys (options) or list it in FREE_FORM" % name
    names = dict(structured(options(role)))
    assert sorted(set(free_form) - set(names)) == [], "FREE_FORM names variables the role does not have"


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_every_sub_option_is_described_and_typed(role):
    for name, option in structured(options(role)):
        for key, sub in (option.get("options") or {}).items():
            assert sub.get("description"), "%s.%s" % (name, key)
            assert sub.get("type"), "%s.%s" % (name, key)


def test_a_misspelt_user_key_is_refused_naming_it():
    users = [{"name": "ci", "password": "secret-1", "group": ["artifact-workloads"]}]  # noqa: S106

    errors = validate("zot", {"zot_htpasswd_users": users}).error_messages

    assert errors == [
        "zot_htpasswd_users.group. Supported parameters include: groups, machine, name, password."
    ]


@pytest.mark.parametrize(
    "variables, key",
    [
        ({"zot_ldap": {"address": "ldap.example.test", "bind_pasword": "x"}}, "zot_ldap.bind_pasword"),
        ({"zot_sync_upstreams": [{"urls": ["https://a.test"], "prefx": "a"}]}, "zot_sync_upstreams.prefx"),
        (
            {"zot_sync_upstreams": [{"prefix": "a", "credentials": {"username": "u", "pasword": "x"}}]},
            "zot_sync_upstreams.credentials.pasword",
        ),
        ({"zot_storage_s3": {"bucket": "b", "regoin": "r"}}, "zot_storage_s3.regoin"),
        ({"zot_verify_pusher": {"user": "ci", "password": "x"}}, "zot_verify_pusher.user"),
        (
            {"zot_access_policy_require": [{"who": {}, "repos": ["a"], "cant": ["read"]}]},
            "zot_access_policy_require.cant",
        ),
    ],
)
def test_a_misspelt_key_at_any_level_is_refused_naming_it(variables, key):
    errors = validate("zot", variables).error_messages

    assert any(error.startswith(key + ".") for error in errors), errors


def test_zot_ldap_declares_the_keys_the_config_builder_reads():
    assert set(options("zot")["zot_ldap"]["options"]) == set(zot_config._LDAP_KEYS) | {
        "bind_dn",
        "bind_password",
    }


def test_zot_storage_s3_declares_the_keys_and_defaults_of_the_s3_driver():
    spec = options("zot")["zot_storage_s3"]["options"]
    assert set(spec) == set(cluster.S3_KEYS)
    assert {
        key: option["default"] for key, option in spec.items() if "default" in option
    } == cluster.S3_DEFAULTS
    assert set(options("zot")["zot_storage_s3_credentials"]["options"]) == set(
        cluster.S3_CREDENTIAL_VARIABLES
    )


def test_zot_sync_upstreams_states_the_outage_defaults_the_config_builder_applies():
    spec = options("zot")["zot_sync_upstreams"]["options"]
    for key, value in zot_config.SYNC_OUTAGE_DEFAULTS.items():
        assert spec[key]["default"] == value, key


def test_containerd_mirror_upstreams_take_the_same_keys_as_zot_sync_upstreams():
    """One list feeds both roles (docs/how-to/pull-through-cache.md)."""
    assert shape(options("containerd_mirror")["containerd_mirror_upstreams"]["options"]) == shape(
        options("zot")["zot_sync_upstreams"]["options"]
    )


@pytest.mark.parametrize(
    "variable, module, option",
    [
        ("zot_verify_pusher", zot_registry_check, "pusher"),
        ("zot_verify_admin", zot_registry_check, "admin"),
        ("zot_verify_bystander", zot_registry_check, "bystander"),
        ("zot_verify_metrics", zot_registry_check, "metrics"),
        ("zot_verify_pull_through", zot_registry_check, "pull_through"),
        ("zot_tag_rules", zot_registry_check, "tag_rules"),
        ("zot_access_policy_require", zot_access_policy, "require"),
    ],
)
def test_role_variables_passed_to_a_module_take_the_module_s_keys(variable, module, option):
    assert shape(options("zot")[variable]["options"]) == shape(module_suboptions(module, option))


# Every inventory the project ships or tests with: its variables, per role.
INVENTORIES = [
    ROOT / "tests" / "inventory",
    ROOT / "molecule" / "default",
    ROOT / "molecule" / "reliability",
    ROOT / "molecule" / "oidc",
    ROOT / "molecule" / "mirror" / "inventory",
    ROOT / "molecule" / "cluster" / "inventory",
    *sorted((ROOT / "playbooks").glob("inventory-*")),
]
_REFERENCE = re.compile(r"^\{\{\s*(\w+)\s*\}\}$")


def inventory_variables(directory):
    """The variables of an inventory's group_vars and host_vars (vault files left out), with a
    value that is only a reference to another of them ("{{ registry_upstreams }}") resolved."""
    variables = {}
    for path in sorted(directory.glob("*_vars/**/*.yml")):
        text = path.read_text()
        if not text.startswith("$ANSIBLE_VAULT"):
            variables.update(yaml.safe_load(text) or {})
    for name, value in variables.items():
        match = _REFERENCE.match(value) if isinstance(value, str) else None
        if match and match.group(1) in variables:
            variables[name] = variables[match.group(1)]
    return variables


@pytest.mark.parametrize("inventory", INVENTORIES, ids=lambda p: str(p.relative_to(ROOT)))
@pytest.mark.parametrize("role", ROLE_NAMES)
def test_every_shipped_inventory_passes_the_argument_specs(inventory, role):
    spec = options(role)
    variables = {
        name: value
        for name, value in inventory_variables(inventory).items()
        # A templated scalar is only known at run time (a port from another variable).
        if name in spec and not (isinstance(value, str) and "{{" in value and spec[name]["type"] != "str")
    }

    assert validate(role, variables).error_messages == []


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_the_defaults_pass_the_argument_specs(role):
    defaults = yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text()) or {}
    spec = options(role)
    defaults = {
        name: value
        for name, value in defaults.items()
        if not (isinstance(value, str) and "{{" in value and spec[name]["type"] != "str")
    }

    assert validate(role, defaults).error_messages == []
