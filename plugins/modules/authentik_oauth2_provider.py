#!/usr/bin/python
# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Ansible module: ensure an Authentik OAuth2/OpenID Connect provider."""

DOCUMENTATION = r"""
module: authentik_oauth2_provider
short_description: Ensure an OAuth2/OpenID Connect provider exists in Authentik
description:
  - Finds the provider by O(name) and creates it, or updates only the fields that differ
    from the options given. Fields the module has no option for are left alone.
version_added: "0.1.0"
author:
  - zotops maintainers (@zotops)
extends_documentation_fragment:
  - zotops.registry.authentik
  - ansible.builtin.action_common_attributes
options:
  name:
    description: Provider name; unique in Authentik and used to find the provider.
    type: str
    required: true
  client_id:
    description: OAuth2 client ID the relying party (zot) presents.
    type: str
    required: true
  client_secret:
    description:
      - OAuth2 client secret. Compared with the server's value on every run and reset
        when it differs. Never shown in output or diffs.
      - When omitted, Authentik generates one and the module does not manage it.
    type: str
  client_type:
    description: C(confidential) clients authenticate with the secret; C(public) use PKCE.
    type: str
    choices: [confidential, public]
    default: confidential
  redirect_uris:
    description:
      - Allowed redirect URIs.
    type: list
    elements: dict
    required: true
    suboptions:
      url:
        description: The URI, or a regular expression when O(redirect_uris[].matching_mode=regex).
        type: str
        required: true
      matching_mode:
        description: How Authentik compares the URI.
        type: str
        choices: [strict, regex]
        default: strict
  authorization_flow:
    description: Slug of the flow that authorizes the client.
    type: str
    default: default-provider-authorization-implicit-consent
  invalidation_flow:
    description: Slug of the flow that ends the session.
    type: str
    default: default-provider-invalidation-flow
  signing_key:
    description:
      - Name of the certificate-key pair that signs ID tokens (RS256). Without it Authentik
        signs with the client secret (HS256), which OpenID libraries such as zot's reject.
    type: str
    default: authentik Self-signed Certificate
  scope_mappings:
    description:
      - Scope mappings to attach. A short name such as C(email) means Authentik's managed
        mapping C(goauthentik.io/providers/oauth2/scope-email); a value with a C(/) is used as
        the managed key as is.
      - The C(groups) claim comes from the C(profile) mapping; Authentik has no groups scope.
    type: list
    elements: str
    default: [openid, email, profile]
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Register zot as an OpenID client
  zotops.registry.authentik_oauth2_provider:
    url: https://auth.example.com
    token: "{{ vault_authentik_token }}"
    name: zot
    client_id: zot
    client_secret: "{{ vault_zot_oidc_client_secret }}"
    redirect_uris:
      - url: https://zot.example.com/zot/auth/callback/oidc
  no_log: true
"""

RETURN = r"""
provider:
  description: The provider after the run (predicted in check mode), client secret blanked.
  returned: always
  type: dict
  sample:
    pk: 7
    name: zot
    client_id: zot
    client_secret: "********"
    redirect_uris: [{matching_mode: strict, url: "https://zot.example.com/zot/auth/callback/oidc"}]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.zotops.registry.plugins.module_utils._authentik.api import (
    AuthentikAPI,
    AuthentikError,
    authentik_argument_spec,
    blank_secrets,
    object_diff,
)
from ansible_collections.zotops.registry.plugins.module_utils._authentik.oauth2_provider import (
    MANAGED_FIELDS,
    SECRET_FIELDS,
    ensure_provider,
)


def main():
    argument_spec = authentik_argument_spec()
    argument_spec.update(
        name=dict(type="str", required=True),
        client_id=dict(type="str", required=True),
        client_secret=dict(type="str", no_log=True),
        client_type=dict(type="str", choices=["confidential", "public"], default="confidential"),
        redirect_uris=dict(
            type="list",
            elements="dict",
            required=True,
            options=dict(
                url=dict(type="str", required=True),
                matching_mode=dict(type="str", choices=["strict", "regex"], default="strict"),
            ),
        ),
        authorization_flow=dict(type="str", default="default-provider-authorization-implicit-consent"),
        invalidation_flow=dict(type="str", default="default-provider-invalidation-flow"),
        # The name of a certificate-key pair in Authentik, not key material.
        signing_key=dict(type="str", default="authentik Self-signed Certificate", no_log=False),
        scope_mappings=dict(type="list", elements="str", default=["openid", "email", "profile"]),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        api = AuthentikAPI.from_module(module)
        changed, before, after = ensure_provider(api, module.params, module.check_mode)
    except AuthentikError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(
        changed=changed,
        provider=blank_secrets(after, set(SECRET_FIELDS)),
        diff=object_diff(before, after, MANAGED_FIELDS, SECRET_FIELDS),
    )


if __name__ == "__main__":
    main()
