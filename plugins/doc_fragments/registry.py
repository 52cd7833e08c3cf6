# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Options shared by every module that talks to a registry (see module_utils/_registry/http_client.py)."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  url:
    description:
      - Base URL of the registry, such as C(https://zot.example.com:5000), without C(/v2/).
    type: str
    required: true
  username:
    description:
      - User name for HTTP basic authentication, and for the token request when the registry
        answers with a Bearer challenge.
      - Omit it to act anonymously.
    type: str
  password:
    description:
      - Password of O(username), or one of its zot API keys (C(zak_...)).
    type: str
  validate_certs:
    description:
      - Verify the registry's TLS certificate.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA that signed the registry's certificate, when it is not in the
        system trust store.
    type: path
  client_cert:
    description:
      - PEM client certificate for registries that authenticate clients with mutual TLS.
    type: path
  client_key:
    description:
      - PEM private key of O(client_cert).
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP response.
    type: int
    default: 30
  token_realms:
    description:
      - Token services (URLs; their scheme, host and port count) the credentials may be sent
        to when the registry answers with a Bearer challenge whose realm is not the registry
        itself. By default credentials only go to the registry's own origin.
      - A realm on plain http is refused for an https registry even when listed.
    type: list
    elements: str
    default: []
"""
