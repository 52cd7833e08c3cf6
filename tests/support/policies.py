"""The zot role's default access policy, read from the role itself (one source of truth)."""

import copy
import pathlib

import yaml

_DEFAULTS = pathlib.Path(__file__).resolve().parents[2] / "roles" / "zot" / "defaults" / "main.yml"


def role_default_access_control(groups=None):
    """A copy of the role's default zot_access_control; `groups` maps a group to its users."""
    policy = copy.deepcopy(yaml.safe_load(_DEFAULTS.read_text())["zot_access_control"])
    if groups:
        policy["groups"] = {name: {"users": list(users)} for name, users in groups.items()}
    return policy
