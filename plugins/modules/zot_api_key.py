#!/usr/bin/python
# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Ansible module zotops.registry.zot_api_key: a labelled zot API key, rotated before expiry."""

DOCUMENTATION = r"""
---
module: zot_api_key
short_description: Create, rotate and revoke a labelled zot API key
version_added: "0.1.0"
description:
  - Manages one API key of one zot identity, found by its O(label). zot keeps API keys per
    identity; the module acts as that identity, the key's owner.
  - With O(state=present), a valid key that does not expire within O(rotate_before_days) is
    left alone and the module reports no change. A missing, expired or soon-expiring key is
    replaced - a new key is created, the module proves it logs in (C(GET /v2/) with HTTP basic
    C(<username>:<key>) must answer 200), and only then revokes the older keys with the label.
  - zot shows a key's secret only once, when it is created. RV(api_key) is therefore returned
    only by the run that creates the key; store it (for example in your CI's secret store) in
    that run. Runs that keep the key return its RV(uuid) but never a secret.
  - With O(state=absent), every key with the label is revoked; with O(all_labels), every key
    of the owner.
  - Every run reports each key of the owner with its label, expiry and last use (RV(keys)).
  - Clients use the key as HTTP basic credentials C(<username>:<api_key>), where the username is
    the owner's identity, returned as RV(username).
  - Requires C(http.auth.apikey) in zot's config (zot turns it on by itself when OpenID login
    is configured).
author:
  - zotops maintainers (@zotops)
extends_documentation_fragment:
  - zotops.registry.registry
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Lists keys but neither creates nor revokes any; predicts RV(rotated) and RV(revoked).
  diff_mode:
    support: full
    details: Shows the label and the uuid and expiry of each key with that label, never a secret.
  platform:
    platforms: posix
options:
  username:
    description:
      - The identity that owns the key, which CI must send with it.
      - With O(password), the user that logs in with HTTP basic auth.
      - With O(session), the identity zot gave that login session (for OpenID logins, the claim
        named by zot's C(claimMapping.username), by default the e-mail address). It is needed to
        prove that the new key works.
    required: true
  password:
    description:
      - The owner's password (htpasswd or LDAP), or another valid API key of the same owner.
      - Exactly one of O(password) and O(session) is required.
  session:
    description:
      - Value of the C(session) cookie zot set after an OpenID (or UI) login of the owner. Sent
        with the header C(X-ZOT-API-CLIENT=zot-ui), without which zot ignores the cookie.
      - zot sessions last two hours.
    type: str
  label:
    description:
      - Name of the key. The module treats all keys of the owner with this label as one key.
      - Must not be empty (keys made in zot's UI may have no label; they are left alone).
      - Exactly one of O(label) and O(all_labels) is required.
    type: str
  all_labels:
    description:
      - With O(state=absent), revoke every key of the owner, whatever its label (including
        unlabelled keys made in zot's UI).
      - A key carries the groups its owner had at the last login, so take this step when you
        remove the owner from a group that grants pushes (see the rotate-api-keys how-to).
      - zot lets only the owner list and revoke its keys, so the module still logs in as the
        owner.
    type: bool
    default: false
  state:
    description:
      - V(present) keeps one valid key with the label, creating or rotating it as needed.
      - V(absent) revokes every key with the label.
    type: str
    choices: [present, absent]
    default: present
  expiration:
    description:
      - When a newly created key expires, as a number of days from now (such as V(90)) or an
        RFC 3339 timestamp with an offset (such as V(2031-01-31T00:00:00Z)).
      - V(never) for a key that never expires (and is therefore never rotated); needs
        O(max_lifetime_days=0).
      - The default, 90 days rotated at 30 days left, is the collection's key lifetime policy
        (see the security model).
      - Must be later than O(rotate_before_days) from now, or every run would rotate the key.
      - Changing it does not replace an existing valid key; the new value applies at the next
        rotation.
    type: raw
    default: 90
  scopes:
    description:
      - Scopes saved with a newly created key.
      - zot v2.1.20 stores scopes but does not enforce them; what the key may do is decided
        only by zot's access control for the owner.
    type: list
    elements: str
    default: []
  rotate_before_days:
    description:
      - Replace the key once it expires within this many days.
    type: int
    default: 30
  max_lifetime_days:
    description:
      - The longest any key of the owner may live, in days from now. An O(expiration) beyond
        it is refused, and every run revokes the owner's keys, whatever their label, that
        never expire or expire later (keys made in zot's UI or API without an expiry among
        them), reporting them in RV(revoked).
      - zot keeps a key working until it expires or is revoked, also after the owner's
        password changed or the owner was removed, so a bounded lifetime bounds that too.
      - V(0) sets no limit.
    type: int
    default: 90
notes:
  - When a run returns a new secret, the module's action plugin marks the whole task result
    C(no_log), so neither the output nor callbacks see it; the registered variable still holds
    RV(api_key). Anything that later prints that variable prints the secret, so give such tasks
    C(no_log) too.
  - The uuid of the key is not secret; it is what zot's revocation endpoint takes.
seealso:
  - name: zot API keys
    description: zot's documentation of API key authentication.
    link: https://zotregistry.dev/latest/articles/authn-authz/
"""

EXAMPLES = r"""
- name: Ensure the CI key of ci-bot exists, rotated 30 days before it expires
  zotops.registry.zot_api_key:
    url: https://zot.example.org
    username: ci-bot
    password: "{{ vault_ci_bot_password }}"
    label: ci-push
    expiration: 90
    rotate_before_days: 30
  register: ci_key
  no_log: true

- name: Hand a new key to the CI secret store (only present when the key was (re)created)
  ansible.builtin.copy:
    dest: /etc/ci/zot-credentials
    content: "{{ ci_key.username }}:{{ ci_key.api_key }}\n"
    mode: "0600"
  when: ci_key.api_key is defined
  no_log: true

- name: Create a key for an OpenID user from a zot session cookie
  zotops.registry.zot_api_key:
    url: https://zot.example.org
    username: alice@example.org
    session: "{{ zot_session_cookie }}"
    label: laptop
    expiration: "2031-01-31T00:00:00Z"
  no_log: true

- name: Revoke every key of ci-bot (after removing ci-bot from the CI group)
  zotops.registry.zot_api_key:
    url: https://zot.example.org
    username: ci-bot
    password: "{{ vault_ci_bot_password }}"
    all_labels: true
    state: absent

- name: Revoke every key labelled ci-push
  zotops.registry.zot_api_key:
    url: https://zot.example.org
    username: ci-bot
    password: "{{ vault_ci_bot_password }}"
    label: ci-push
    state: absent
"""

RETURN = r"""
api_key:
  description:
    - The new key's secret (C(zak_) followed by 32 hex digits). Only returned by the run that
      created the key; zot never shows it again. Treat it as a secret (see the notes).
  returned: when a key was created (not in check mode)
  type: str
  sample: zak_0123456789abcdef0123456789abcdef
username:
  description: The identity to send with the key as HTTP basic username.
  returned: always
  type: str
  sample: ci-bot
label:
  description: The key's label.
  returned: always
  type: str
  sample: ci-push
uuid:
  description: Id of the key that is now valid (created or kept).
  returned: when state is present and the key exists (not for a key that check mode only predicts)
  type: str
  sample: 3f9c1d2e-6b7a-4c1d-9e8f-0a1b2c3d4e5f
expiration_date:
  description: When that key expires, in RFC 3339 UTC; null for a key that never expires.
  returned: when state is present
  type: str
  sample: "2031-01-31T00:00:00Z"
rotated:
  description: Whether a new key replaced one or more existing keys with the label.
  returned: always
  type: bool
revoked:
  description: Uuids of the keys revoked (or, in check mode, that would be revoked).
  returned: always
  type: list
  elements: str
duplicates:
  description:
    - Uuids of other keys with the same label that were left in place because a newer valid key
      exists. They are revoked at the next rotation or with O(state=absent).
  returned: always
  type: list
  elements: str
keys:
  description:
    - Every API key of the owner after the run, newest first, whatever its label. In check mode,
      the keys that would remain, without the one that would be created.
    - Each entry has C(uuid), C(label), C(created_at), C(expiration_date) (null when it never
      expires), C(last_used) (the last login with the key as zot records it, null when never
      used) and C(expired). Never a secret.
  returned: always
  type: list
  elements: dict
  sample:
    - uuid: 3f9c1d2e-6b7a-4c1d-9e8f-0a1b2c3d4e5f
      label: ci-push
      created_at: "2030-06-01T12:00:00Z"
      expiration_date: "2030-08-30T12:00:00Z"
      last_used: "2030-06-02T08:15:00Z"
      expired: false
reason:
  description: Why the module did what it did, such as C(no key with this label).
  returned: always
  type: str
  sample: key is valid
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.zotops.registry.plugins.module_utils._registry.api_keys import (
    DEFAULT_EXPIRATION_DAYS,
    DEFAULT_MAX_LIFETIME_DAYS,
    DEFAULT_ROTATE_BEFORE_DAYS,
    ApiKeyError,
    ensure_api_key,
)
from ansible_collections.zotops.registry.plugins.module_utils._registry.http_client import (
    registry_argument_spec,
)
from ansible_collections.zotops.registry.plugins.module_utils._registry.zot_api import (
    ZotApiError,
    zot_api_from_params,
)


def argument_spec():
    spec = registry_argument_spec()
    spec["username"]["required"] = True
    spec.update(
        session=dict(type="str", no_log=True),
        label=dict(type="str"),
        all_labels=dict(type="bool", default=False),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        expiration=dict(type="raw", default=DEFAULT_EXPIRATION_DAYS),
        scopes=dict(type="list", elements="str", default=[]),
        rotate_before_days=dict(type="int", default=DEFAULT_ROTATE_BEFORE_DAYS),
        max_lifetime_days=dict(type="int", default=DEFAULT_MAX_LIFETIME_DAYS),
    )
    return spec


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_one_of=[("password", "session"), ("label", "all_labels")],
        mutually_exclusive=[("password", "session"), ("label", "all_labels")],
        supports_check_mode=True,
    )
    params = module.params
    for option in ("rotate_before_days", "max_lifetime_days"):
        if params[option] < 0:
            module.fail_json(msg="%s must be 0 or more" % option)
    try:
        result = ensure_api_key(
            zot_api_from_params(params),
            label=params["label"],
            state=params["state"],
            username=params["username"],
            scopes=params["scopes"],
            expiration=params["expiration"],
            rotate_before_days=params["rotate_before_days"],
            max_lifetime_days=params["max_lifetime_days"],
            all_labels=params["all_labels"],
            check_mode=module.check_mode,
        )
    except ApiKeyError as exc:
        module.fail_json(msg=str(exc), **exc.result)
    except (ValueError, ZotApiError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
