# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The zot role's filters: thin wrappers whose errors reach the play as filter errors that
name the variable (the logic itself is tested under tests/unit/plugins/plugin_utils/_zot/)."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.zotops.registry.plugins.filter.zot import FilterModule
from harness.role_defaults import zot_settings

FILTERS = FilterModule().filters()


def test_settings_are_the_zot_variables_without_their_prefix():
    variables = {"zot_http_port": 5000, "zot_oidc_enabled": True, "containerd_mirror_upstreams": []}
    assert FILTERS["zot_settings"](variables) == {"http_port": 5000, "oidc_enabled": True}


def test_a_config_error_is_a_filter_error_naming_the_variable():
    with pytest.raises(AnsibleFilterError, match=r"^zot_auth_fail_delay: must be a whole number"):
        FILTERS["zot_config"](zot_settings(auth_fail_delay="2s", secure_session=False))


def test_templated_flags_from_older_ansible_core_are_read_as_booleans():
    # ansible-core < 2.19 hands a templated default such as zot_secure_session over as text.
    on = FILTERS["zot_config"](zot_settings(secure_session="True", access_control={}))["http"]["auth"]
    off = FILTERS["zot_config"](zot_settings(secure_session="False", access_control={}))["http"]["auth"]
    assert on["secureSession"] is True and "secureSession" not in off


def test_cluster_members_of_a_group_the_inventory_lacks_is_refused_by_name():
    with pytest.raises(AnsibleFilterError, match=r"^zot_cluster_group: registries is not an inventory group"):
        FILTERS["zot_cluster_members"]("registries", {"all": []}, {}, 5000)


def test_oidc_redirect_uri():
    assert (
        FILTERS["zot_oidc_redirect_uri"]("https://zot.example/")
        == "https://zot.example/zot/auth/callback/oidc"
    )
