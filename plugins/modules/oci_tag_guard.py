#!/usr/bin/python
# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Ansible module: refuse to push a protected tag that already exists."""

DOCUMENTATION = r"""
module: oci_tag_guard
short_description: Fail before a push would move an existing release tag
description:
  - Looks up each of O(tags) in O(repository) (one C(HEAD) request per tag) and fails when a
    tag that matches O(protected_tags) already exists there. Tags that match no protected
    pattern always pass, so moving tags such as C(latest) or C(main) stay usable.
  - Run it in CI before the push. It is a courtesy check for pipelines; the registry's access
    control (pushers without C(update)) is what really keeps tags immutable.
  - Works with any OCI registry, anonymously, with HTTP basic credentials or API keys, and with
    registries that hand out Bearer tokens.
version_added: "0.1.0"
author:
  - zotops maintainers (@zotops)
extends_documentation_fragment:
  - zotops.registry.registry
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module only reads; it runs the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  repository:
    description:
      - Repository name without the registry host, such as C(team/app).
    type: str
    required: true
  tags:
    description:
      - Tags the pipeline is about to push.
    type: list
    elements: str
    required: true
  protected_tags:
    description:
      - Regular expressions (Python syntax); a tag is protected when one of them matches the
        whole tag.
      - The default protects release-like tags (C(v1), C(v1.2), C(v1.2.3), C(1.2.3),
        C(v1.2.3-rc1)) and not C(latest), C(sha-abc123) or git SHAs; a number without a dot is
        not protected because a short git SHA can be all digits.
    type: list
    elements: str
    default:
      - 'v\d+(\.\d+){0,2}(-[0-9A-Za-z][0-9A-Za-z.-]*)?|\d+\.\d+(\.\d+)?(-[0-9A-Za-z][0-9A-Za-z.-]*)?'
"""

EXAMPLES = r"""
# CI: refuse to re-release, then push with skopeo using a zot API key.
- name: Stop if a release tag would be overwritten
  zotops.registry.oci_tag_guard:
    url: https://zot.example.com
    username: ci-bot
    password: "{{ lookup('ansible.builtin.env', 'ZOT_API_KEY') }}"
    repository: team/app
    tags:
      - "{{ release_version }}"
      - "sha-{{ git_sha[:12] }}"
      - latest
  register: tag_guard

- name: Push every allowed tag
  ansible.builtin.command:
    argv:
      - skopeo
      - copy
      - --dest-creds
      - "ci-bot:{{ lookup('ansible.builtin.env', 'ZOT_API_KEY') }}"
      - oci:build/app:{{ release_version }}
      - docker://zot.example.com/team/app:{{ item }}
  loop: "{{ tag_guard.allowed }}"
  no_log: true

- name: Protect only tags that start with "release-"
  zotops.registry.oci_tag_guard:
    url: https://zot.example.com
    repository: team/app
    tags: [release-42]
    protected_tags: ['release-.*']
"""

RETURN = r"""
existing:
  description: Requested tags that already exist in the repository.
  returned: always
  type: list
  elements: str
  sample: [v1.2.3, latest]
protected:
  description: Requested tags that match O(protected_tags).
  returned: always
  type: list
  elements: str
  sample: [v1.2.3]
refused:
  description: Protected tags that already exist; the task fails when this is not empty.
  returned: always
  type: list
  elements: str
  sample: [v1.2.3]
allowed:
  description: Requested tags that may be pushed (everything not in RV(refused)).
  returned: always
  type: list
  elements: str
  sample: [latest, sha-3f2a9c1d0e4b]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.zotops.registry.plugins.module_utils._registry.oci import OCIClient
from ansible_collections.zotops.registry.plugins.module_utils._registry.http_client import (
    RegistryHTTPError,
    client_from_params,
    registry_argument_spec,
)
from ansible_collections.zotops.registry.plugins.module_utils._registry.tag_guard import (
    DEFAULT_PROTECTED_TAGS,
    guard_tags,
)


def main():
    argument_spec = registry_argument_spec()
    argument_spec.update(
        repository=dict(type="str", required=True),
        tags=dict(type="list", elements="str", required=True),
        protected_tags=dict(type="list", elements="str", default=DEFAULT_PROTECTED_TAGS),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    try:
        oci = OCIClient(client_from_params(params))
        result = guard_tags(oci, params["repository"], params["tags"], params["protected_tags"])
    except (ValueError, RegistryHTTPError) as exc:
        module.fail_json(msg=str(exc))
    if result["refused"]:
        module.fail_json(
            msg="protected tag(s) already exist in %s: %s"
            % (params["repository"], ", ".join(result["refused"])),
            changed=False,
            **result,
        )
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
