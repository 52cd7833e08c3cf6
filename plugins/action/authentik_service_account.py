# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Action plugin for zotops.registry.authentik_service_account: hides results that carry a new token."""

from ansible_collections.zotops.registry.plugins.plugin_utils._secret_result import SecretResultAction


class ActionModule(SecretResultAction):
    FIELD_TO_HIDE = "token"
