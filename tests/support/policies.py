# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The zot role's default access policy, read from the role itself (one source of truth)."""

import copy

from harness.role_defaults import zot_role_default


def role_default_access_control(groups=None):
    """A copy of the role's default zot_access_control; `groups` maps a group to its users."""
    policy = copy.deepcopy(zot_role_default("zot_access_control"))
    if groups:
        policy["groups"] = {name: {"users": list(users)} for name, users in groups.items()}
    return policy
