# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The zot role's defaults (roles/zot/defaults/main.yml), for tests and benchmarks that must
run zot as the role configures it."""

import pathlib

import yaml

from ansible_collections.zotops.registry.plugins.plugin_utils._zot import config as zot_config

_DEFAULTS = pathlib.Path(__file__).resolve().parents[1] / "roles" / "zot" / "defaults" / "main.yml"


def zot_role_defaults():
    """Every default of the zot role, as written (templated ones as their Jinja text)."""
    return yaml.safe_load(_DEFAULTS.read_text())


def zot_role_default(name):
    """The default of role variable `name` (e.g. "zot_auth_fail_delay"), as written."""
    return zot_role_defaults()[name]


def zot_settings(**overrides):
    """Settings for zot_config.build_config as the role hands them over
    (settings_from_variables of the role defaults), then `overrides`. Defaults that are
    Jinja templates (they need an inventory) are left out; a caller that needs one gives
    its value."""
    defaults = {
        name: value
        for name, value in zot_role_defaults().items()
        if not (isinstance(value, str) and "{{" in value)
    }
    return dict(zot_config.settings_from_variables(defaults), **overrides)
