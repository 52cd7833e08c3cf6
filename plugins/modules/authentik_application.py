#!/usr/bin/python
# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Ansible module: ensure an Authentik application."""

DOCUMENTATION = r"""
module: authentik_application
short_description: Ensure an application exists in Authentik and uses a given provider
description:
  - Finds the application by O(slug) and creates it, or updates only the fields that
    differ from the options given.
  - For an OAuth2 provider the application's slug decides the OpenID issuer,
    C(<url>/application/o/<slug>/), returned as RV(issuer).
version_added: "0.1.0"
author:
  - zotops maintainers (@zotops)
extends_documentation_fragment:
  - zotops.registry.authentik
  - ansible.builtin.action_common_attributes
options:
  slug:
    description: Internal name used in URLs; letters, digits, C(-) and C(_). Finds the application.
    type: str
    required: true
  name:
    description: Display name.
    type: str
    required: true
  provider:
    description:
      - Name of the OAuth2 provider the application serves (see
        M(zotops.registry.authentik_oauth2_provider)). Omit to detach any provider.
    type: str
  meta_launch_url:
    description: URL the Authentik user library opens for this application.
    type: str
  policy_engine_mode:
    description: Whether C(all) or C(any) bound policy must pass for a user to get access.
    type: str
    choices: [all, any]
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Publish the zot provider as an application
  zotops.registry.authentik_application:
    url: https://auth.example.com
    token: "{{ vault_authentik_token }}"
    slug: zot
    name: zot registry
    provider: zot
    meta_launch_url: https://zot.example.com/
"""

RETURN = r"""
application:
  description: The application after the run (predicted in check mode).
  returned: always
  type: dict
  sample: {slug: zot, name: zot registry, provider: 7}
issuer:
  description: OpenID issuer URL of the application's OAuth2 provider.
  returned: always
  type: str
  sample: https://auth.example.com/application/o/zot/
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.zotops.registry.plugins.module_utils._authentik.api import (
    AuthentikAPI,
    AuthentikError,
    authentik_argument_spec,
    object_diff,
)
from ansible_collections.zotops.registry.plugins.module_utils._authentik.application import (
    MANAGED_FIELDS,
    ensure_application,
    issuer_url,
)


def main():
    argument_spec = authentik_argument_spec()
    argument_spec.update(
        slug=dict(type="str", required=True),
        name=dict(type="str", required=True),
        provider=dict(type="str"),
        meta_launch_url=dict(type="str"),
        policy_engine_mode=dict(type="str", choices=["all", "any"]),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        api = AuthentikAPI.from_module(module)
        changed, before, after = ensure_application(api, module.params, module.check_mode)
    except AuthentikError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(
        changed=changed,
        application=after,
        issuer=issuer_url(module.params["url"], module.params["slug"]),
        diff=object_diff(before, after, MANAGED_FIELDS),
    )


if __name__ == "__main__":
    main()
