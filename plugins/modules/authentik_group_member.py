#!/usr/bin/python
# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Ansible module: ensure a user is a member of an Authentik group."""

DOCUMENTATION = r"""
module: authentik_group_member
short_description: Ensure a user is a member of a group in Authentik
description:
  - Adds O(username) to O(group) unless the user is already a member. Other members are
    left alone.
version_added: "0.1.0"
author:
  - zotops maintainers (@zotops)
extends_documentation_fragment:
  - zotops.registry.authentik
  - ansible.builtin.action_common_attributes
options:
  group:
    description: Name of the group.
    type: str
    required: true
  username:
    description: Username of the user (or service account) to add.
    type: str
    required: true
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Put the CI service account into the publishing group
  zotops.registry.authentik_group_member:
    url: https://auth.example.com
    token: "{{ vault_authentik_token }}"
    group: artifact-workloads
    username: ci-publisher
"""

RETURN = r"""
group_pk:
  description: Primary key (UUID) of the group; null in check mode when it does not exist yet.
  returned: always
  type: str
user_pk:
  description: Primary key of the user; null in check mode when it does not exist yet.
  returned: always
  type: int
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.zotops.registry.plugins.module_utils._authentik.api import (
    AuthentikAPI,
    AuthentikError,
    authentik_argument_spec,
)
from ansible_collections.zotops.registry.plugins.module_utils._authentik.group_member import (
    ensure_member,
)


def main():
    argument_spec = authentik_argument_spec()
    argument_spec.update(group=dict(type="str", required=True), username=dict(type="str", required=True))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        api = AuthentikAPI.from_module(module)
        changed, group, user = ensure_member(
            api, module.params["group"], module.params["username"], module.check_mode
        )
    except AuthentikError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(
        changed=changed,
        group_pk=str(group["pk"]) if group else None,
        user_pk=user["pk"] if user else None,
    )


if __name__ == "__main__":
    main()
