# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Filters for the dex_client role: merge zot's static client into a Dex config, validate it.

Runs on the controller, so it may use jsonschema (a pinned controller requirement).
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.zotops.registry.plugins.plugin_utils._dex_config import (
    DEX_CONFIG_SCHEMA,
    json_path,
    merge_static_client,
)

try:
    from jsonschema import Draft202012Validator
except ImportError:  # reported when the filter is used, so the collection's other filters load
    Draft202012Validator = None

# Messages for validators whose default jsonschema message would print the offending value
# (a Dex config can hold other clients' inline secrets).
_EXPECTATIONS = {
    "type": "must be of type {value}",
    "enum": "must be one of {value}",
    "const": "must be {value}",
    "pattern": "must match {value}",
    "minLength": "must not be empty",
    "minItems": "must have at least {value} item(s)",
}


def describe_error(error):
    """One line naming the field and what is wrong with it, never echoing its value."""
    path = json_path(list(error.absolute_path))
    if error.validator in ("required", "additionalProperties", "dependentRequired"):
        # These messages only name keys: "'name' is a required property".
        return "%s: %s" % (path, error.message)
    if "message" in error.schema:
        return "%s: %s" % (path, error.schema["message"])
    template = _EXPECTATIONS.get(error.validator, "fails the schema's '{validator}' rule")
    return "%s: %s" % (
        path,
        template.format(value=error.validator_value, validator=error.validator),
    )


def dex_config_errors(config):
    """Every problem in a Dex config (a dict), as sorted 'field: problem' lines."""
    if not isinstance(config, dict):
        raise AnsibleFilterError("dex_config_errors expects a mapping, got %s" % type(config))
    if Draft202012Validator is None:
        raise AnsibleFilterError("dex_client: the Python package jsonschema is required on the controller")
    validator = Draft202012Validator(DEX_CONFIG_SCHEMA)
    return sorted(describe_error(error) for error in validator.iter_errors(config))


def dex_merge_static_client(config, client):
    """``config`` with ``client`` as its staticClients entry for ``client['id']``."""
    if config is not None and not isinstance(config, dict):
        raise AnsibleFilterError("the existing Dex config is not a mapping")
    return merge_static_client(config, client)


class FilterModule:
    def filters(self):
        return {
            "dex_config_errors": dex_config_errors,
            "dex_merge_static_client": dex_merge_static_client,
        }
