# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""patch_module_args for module unit tests on every ansible-core line the collection claims.

ansible-core 2.19 added ansible.module_utils.testing.patch_module_args; 2.17 and 2.18 read a
module's arguments from ansible.module_utils.basic._ANSIBLE_ARGS, which this sets instead.
"""

import contextlib
import json

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    from ansible.module_utils import basic

    @contextlib.contextmanager
    def patch_module_args(args=None):
        args = dict(args or {}, _ansible_remote_tmp="/tmp", _ansible_keep_remote_files=False)
        saved = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved


__all__ = ["patch_module_args"]
