# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""Authentik group membership, for the authentik_group_member module."""

from ansible_collections.zotops.registry.plugins.module_utils._authentik.api import AuthentikError
from ansible_collections.zotops.registry.plugins.module_utils._authentik.group import GROUPS_PATH
from ansible_collections.zotops.registry.plugins.module_utils._authentik.service_account import (
    USERS_PATH,
)


def ensure_member(api, group_name, username, check_mode):
    """(changed, group, user): add ``username`` to ``group_name`` unless already a member.

    In check mode a group or user that does not exist yet (an earlier task of the same run
    would create it) means the membership would be added; group or user is then None.
    """
    group = api.find_one(GROUPS_PATH, name=group_name, include_users="false")
    user = api.find_one(USERS_PATH, username=username, include_groups="true")
    for found, field, value in ((group, "group", group_name), (user, "username", username)):
        if found is None and not check_mode:
            raise AuthentikError("%s: %r does not exist in Authentik" % (field, value))
    if group is None or user is None:
        return True, group, user
    if str(group["pk"]) in {str(pk) for pk in user.get("groups") or []}:
        return False, group, user
    if not check_mode:
        api.call(
            "POST",
            "%s%s/add_user/" % (GROUPS_PATH, group["pk"]),
            body={"pk": user["pk"]},
            expected=204,
        )
    return True, group, user
