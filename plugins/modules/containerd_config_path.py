#!/usr/bin/python
# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Ansible module: make containerd's CRI plugin read registry hosts files from a directory."""

DOCUMENTATION = r"""
module: containerd_config_path
short_description: Point containerd's CRI plugin at a registry hosts directory (certs.d)
version_added: "0.1.0"
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
description:
  - Sets C(config_path) of the CRI registry table in containerd's C(config.toml) so that
    containerd reads C(<config_path>/<registry host>/hosts.toml) files.
  - Config version 2 (containerd 1.x) uses
    C([plugins."io.containerd.grpc.v1.cri".registry]); version 3 (containerd 2.x) uses
    C([plugins."io.containerd.cri.v1.images".registry]). A config with no settings gets the
    format of the installed containerd.
  - The file is edited as text, so comments, ordering and every other setting stay as they
    are. The edited text is parsed again and must mean the old config plus C(config_path).
  - Refuses configs that containerd itself would refuse next to C(config_path)
    (C(registry.mirrors), C(registry.configs.<host>.tls)), configs without a C(version) key
    that have settings (version 1), and a different existing C(config_path) unless
    O(replace_config_path=true).
  - Needs Python 3.11 or newer on the managed node (C(tomllib)).
  - containerd reads C(config.toml) only at start; restart it when this module reports a
    change. Changes to hosts files themselves need no restart.
options:
  path:
    description: containerd's configuration file. Created when missing.
    type: path
    default: /etc/containerd/config.toml
  config_path:
    description: The hosts directory containerd should read, usually C(/etc/containerd/certs.d).
    type: path
    required: true
  replace_config_path:
    description: Replace an existing, different, non-empty C(config_path) instead of failing.
    type: bool
    default: false
  containerd_version:
    description:
      - containerd's version (C(1.6.20), or the output of C(containerd --version)), used to
        choose the format of a config without settings and to refuse a version 3 config on
        containerd 1.x.
      - When omitted, the module runs C(containerd --version) if containerd is installed.
    type: str
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
author:
  - zotops maintainers (@zotops)
"""

EXAMPLES = r"""
- name: Let containerd read /etc/containerd/certs.d
  zotops.registry.containerd_config_path:
    config_path: /etc/containerd/certs.d
  notify: Restart containerd

- name: Take over a node whose config_path points at another directory
  zotops.registry.containerd_config_path:
    path: /etc/containerd/config.toml
    config_path: /etc/containerd/certs.d
    replace_config_path: true
"""

RETURN = r"""
config_version:
  description: The config schema version the file uses (2 for containerd 1.x, 3 for 2.x).
  returned: success
  type: int
  sample: 2
registry_table:
  description: The TOML table that holds C(config_path).
  returned: success
  type: str
  sample: plugins."io.containerd.grpc.v1.cri".registry
previous_config_path:
  description: The C(config_path) before this run (empty when it was unset).
  returned: success
  type: str
  sample: ""
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.zotops.registry.plugins.module_utils import _containerd_config as containerd_config
from ansible_collections.zotops.registry.plugins.module_utils._containerd_config import (
    ContainerdConfigError,
    containerd_major_version,
    set_config_path,
)


def installed_containerd_version(module):
    """`containerd --version` output, or None when containerd is not installed."""
    binary = module.get_bin_path("containerd")
    if not binary:
        return None
    rc, out, err = module.run_command([binary, "--version"])
    if rc != 0:
        module.fail_json(msg=f"`{binary} --version` failed: {err.strip() or out.strip()}")
    return out


def write_atomically(module, path, text):
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, mode=0o755, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".config.toml.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    if not os.path.exists(path):
        os.chmod(tmp, 0o644)
    # atomic_move keeps the existing file's owner, mode and SELinux context.
    module.atomic_move(tmp, path)


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "default": "/etc/containerd/config.toml"},
            "config_path": {"type": "path", "required": True},
            "replace_config_path": {"type": "bool", "default": False},
            "containerd_version": {"type": "str"},
        },
        supports_check_mode=True,
    )
    if containerd_config.tomllib is None:
        module.fail_json(msg="containerd_config_path needs Python 3.11+ (tomllib) on the node")
    path = module.params["path"]

    try:
        with open(path, encoding="utf-8") as handle:
            before = handle.read()
    except FileNotFoundError:
        before = ""

    version_output = module.params["containerd_version"] or installed_containerd_version(module)
    try:
        major = containerd_major_version(version_output) if version_output else None
        edit = set_config_path(
            before,
            module.params["config_path"],
            containerd_major=major,
            replace_existing=module.params["replace_config_path"],
        )
    except ContainerdConfigError as exc:
        module.fail_json(msg=f"{path}: {exc}")

    if edit.changed and not module.check_mode:
        write_atomically(module, path, edit.text)

    result = {
        "changed": edit.changed,
        "config_version": edit.config_version,
        "registry_table": edit.registry_table,
        "previous_config_path": edit.previous_config_path,
    }
    if module._diff:
        result["diff"] = {
            "before": before,
            "after": edit.text,
            "before_header": path,
            "after_header": path,
        }
    module.exit_json(**result)


if __name__ == "__main__":
    main()
