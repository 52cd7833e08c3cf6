"""The zot role's defaults (roles/zot/defaults/main.yml), for tests and benchmarks that must
run zot as the role configures it."""

import pathlib

import yaml

_DEFAULTS = pathlib.Path(__file__).resolve().parents[1] / "roles" / "zot" / "defaults" / "main.yml"


def zot_role_default(name):
    """The default of role variable `name` (e.g. "zot_auth_fail_delay"), as written."""
    return yaml.safe_load(_DEFAULTS.read_text())[name]
