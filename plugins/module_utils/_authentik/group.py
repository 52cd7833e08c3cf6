# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""Desired state of an Authentik group, for the authentik_group module."""

from ansible_collections.zotops.registry.plugins.module_utils._authentik.api import ensure_object

GROUPS_PATH = "/core/groups/"

MANAGED_FIELDS = ("name", "is_superuser", "attributes")


def desired_group(params):
    body = {"name": params["name"]}
    for key in ("is_superuser", "attributes"):
        if params.get(key) is not None:
            body[key] = params[key]
    return body


def ensure_group(api, params, check_mode):
    """(changed, before, after) for the group named ``params['name']``."""
    return ensure_object(
        api,
        GROUPS_PATH,
        # Member lists can be long and are not compared here (authentik_group_member is).
        {"name": params["name"], "include_users": "false"},
        desired_group(params),
        detail_key="pk",
        check_mode=check_mode,
    )
