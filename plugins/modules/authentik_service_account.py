#!/usr/bin/python
# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Ansible module: ensure an Authentik service account."""

DOCUMENTATION = r"""
module: authentik_service_account
short_description: Ensure a service account exists in Authentik
description:
  - Creates the service account O(name) when no user of that name exists. Authentik
    creates its app-password token at the same time and shows it only once, in RV(token).
  - An existing service account is left as it is (its token cannot be read back). A user of
    that name that is not a service account is an error.
version_added: "0.1.0"
author:
  - zotops maintainers (@zotops)
extends_documentation_fragment:
  - zotops.registry.authentik
  - ansible.builtin.action_common_attributes
options:
  name:
    description: Username of the service account.
    type: str
    required: true
  expiring:
    description:
      - Whether the token Authentik creates expires (after 360 days). A token that never
        expires is a standing credential; one that expires must be rotated in time.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: CI service account
  zotops.registry.authentik_service_account:
    url: https://auth.example.com
    token: "{{ vault_authentik_token }}"
    name: ci-publisher
  register: ci_account
  no_log: true
"""

RETURN = r"""
user:
  description: The user (predicted in check mode).
  returned: always
  type: dict
  sample: {pk: 12, username: ci-publisher, type: service_account}
token:
  description:
    - The new account's app-password token; set only in the run that created it, empty
      otherwise. Register the result with C(no_log) and store the token right away.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.zotops.registry.plugins.module_utils._authentik.api import (
    AuthentikAPI,
    AuthentikError,
    authentik_argument_spec,
)
from ansible_collections.zotops.registry.plugins.module_utils._authentik.service_account import (
    ensure_service_account,
)


def main():
    argument_spec = authentik_argument_spec()
    argument_spec.update(name=dict(type="str", required=True), expiring=dict(type="bool", default=True))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        api = AuthentikAPI.from_module(module)
        changed, user, token = ensure_service_account(
            api, module.params["name"], module.params["expiring"], module.check_mode
        )
    except AuthentikError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=changed, user=user, token=token or "")


if __name__ == "__main__":
    main()
