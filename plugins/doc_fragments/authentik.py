# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Options shared by every authentik_* module: where Authentik is and how to authenticate."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  url:
    description:
      - Base URL of Authentik, for example C(https://auth.example.com). The modules add
        C(/api/v3) themselves.
      - Falls back to the environment variable E(AUTHENTIK_URL).
    type: str
    required: true
  token:
    description:
      - An Authentik API token (Directory > Tokens, intent C(API)) sent in the
        C(Authorization) header as C(Bearer <token>). Its user needs the permissions for the objects
        the module manages.
      - Falls back to the environment variable E(AUTHENTIK_TOKEN).
    type: str
    required: true
  validate_certs:
    description:
      - Verify Authentik's TLS certificate. Only turn this off for a throwaway test instance.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the CA certificate(s) that signed Authentik's TLS certificate, when it
        is not signed by a CA the managed host already trusts.
    type: path
notes:
  - Supports Authentik 2025.12 (tested against 2025.12.4). The release is read from
    C(/api/v3/admin/version/) first; any other release is refused with its version.
  - Objects are found by a filtered list request that must match at most one object; more
    than one match is an error naming the filter.
"""
