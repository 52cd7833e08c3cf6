#!/usr/bin/python
# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Ansible module: ensure an Authentik group."""

DOCUMENTATION = r"""
module: authentik_group
short_description: Ensure a group exists in Authentik
description:
  - Finds the group by O(name) and creates it, or updates only the fields that differ.
  - Group names reach relying parties such as zot in the C(groups) claim of the C(profile)
    scope; zot lowercases access-control group names, so use lowercase names.
  - Members are managed with M(zotops.registry.authentik_group_member).
version_added: "0.1.0"
author:
  - zotops maintainers (@zotops)
extends_documentation_fragment:
  - zotops.registry.authentik
  - ansible.builtin.action_common_attributes
options:
  name:
    description: Group name; finds the group.
    type: str
    required: true
  is_superuser:
    description: Whether members become Authentik superusers. Left alone when omitted.
    type: bool
  attributes:
    description: The group's attributes, replaced as a whole when they differ. Left alone when omitted.
    type: dict
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Group whose members may push to zot
  zotops.registry.authentik_group:
    url: https://auth.example.com
    token: "{{ vault_authentik_token }}"
    name: artifact-workloads
    is_superuser: false
"""

RETURN = r"""
group:
  description: The group after the run (predicted in check mode).
  returned: always
  type: dict
  sample: {pk: 0b9cd9a5-7b29-4c55-9a4e-7c1f3f7f31a5, name: artifact-workloads, is_superuser: false}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.zotops.registry.plugins.module_utils._authentik.api import (
    AuthentikAPI,
    AuthentikError,
    authentik_argument_spec,
    object_diff,
)
from ansible_collections.zotops.registry.plugins.module_utils._authentik.group import (
    MANAGED_FIELDS,
    ensure_group,
)


def main():
    argument_spec = authentik_argument_spec()
    argument_spec.update(
        name=dict(type="str", required=True),
        is_superuser=dict(type="bool"),
        attributes=dict(type="dict"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        api = AuthentikAPI.from_module(module)
        changed, before, after = ensure_group(api, module.params, module.check_mode)
    except AuthentikError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=changed, group=after, diff=object_diff(before, after, MANAGED_FIELDS))


if __name__ == "__main__":
    main()
