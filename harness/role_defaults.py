# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The zot role's defaults (roles/zot/defaults/main.yml), for tests and benchmarks that must
run zot as the role configures it."""

import pathlib

import yaml

from ansible_collections.zotops.registry.plugins.plugin_utils._zot import config as zot_config
from ansible_collections.zotops.registry.plugins.plugin_utils._zot.htpasswd import render_htpasswd
from ansible_collections.zotops.registry.plugins.plugin_utils._zot.secret_files import secret_files
from harness import zot

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


def start_zot_as_the_role_renders(tmp_path, users, secret_inputs=None, **overrides):
    """Real zot under tmp_path with the config and secret files the role renders for the
    local `users` (people's bcrypt cost) and `overrides` (settings without the zot_ prefix;
    no http_port: a free one). secret_inputs: what else the secret files hold (e.g. oidc)."""
    settings = zot_settings(
        config_dir=str(tmp_path),
        storage_dir=str(tmp_path / "storage"),
        http_port=0,
        htpasswd_users=users,
        sync_upstreams=[],
        config_extra={},
        audit_log_enabled=False,  # a file of the host's, not what these tests look at
    )
    settings.update(overrides)
    config = zot_config.build_config(settings)
    if not overrides.get("http_port"):
        del config["http"]["port"]  # harness/zot.py picks a free one
    htpasswd = render_htpasswd(users, cost=zot_role_default("zot_htpasswd_bcrypt_cost"))
    files = secret_files(dict(secret_inputs or {}, htpasswd=htpasswd))
    return zot.start(tmp_path, config, {item["name"]: item["content"] for item in files if item["content"]})
