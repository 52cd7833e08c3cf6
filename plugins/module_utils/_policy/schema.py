# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""JSON Schema of zot v2.1.20's `http.accessControl` block, and structural validation.

The schema is a Python constant because AnsiballZ ships only .py files. It encodes
pkg/api/config/config.go (AccessControlConfig, PolicyGroup, Policy, Condition, Group, Metrics)
with the collection's canonical camelCase key names. `jsonschema` is imported lazily, only by
`schema_errors`, which runs on the controller; deciding access never needs it.
"""

from __future__ import annotations

_ACTIONS = {"type": "array", "items": {"type": "string"}}
_NAMES = {"type": "array", "items": {"type": "string", "minLength": 1}}

_CONDITION = {
    "type": "object",
    "additionalProperties": False,
    "required": ["expression"],
    "properties": {
        "expression": {"type": "string", "minLength": 1},
        "message": {"type": "string"},
    },
}

_POLICY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "users": _NAMES,
        "groups": _NAMES,
        "actions": _ACTIONS,
        "conditions": {"type": "array", "items": _CONDITION},
    },
}

ACCESS_CONTROL_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "zot http.accessControl (v2.1.20)",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "repositories": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "policies": {"type": "array", "items": _POLICY},
                    "defaultPolicy": _ACTIONS,
                    "anonymousPolicy": _ACTIONS,
                },
            },
        },
        "adminPolicy": _POLICY,
        "groups": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"users": _NAMES},
            },
        },
        "metrics": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"users": _NAMES, "anonymousPolicy": _ACTIONS},
        },
    },
}


def json_path(*parts) -> str:
    """Render a path like accessControl.repositories["ci/**"].policies[0].actions[1].

    The second part under `repositories` or `groups` is a map key (a glob or a group name)
    and is always bracketed; other names are dotted, list indexes bracketed.
    """
    rendered = "accessControl"
    for position, part in enumerate(parts):
        if isinstance(part, int):
            rendered += f"[{part}]"
        elif position == 1 and parts[0] in ("repositories", "groups"):
            rendered += f'["{part}"]'
        else:
            rendered += f".{part}"
    return rendered


def schema_errors(access_control) -> list[str]:
    """Structural errors, each prefixed with the JSON path of the offending value."""
    try:
        import jsonschema
    except ImportError as exc:  # pragma: no cover - the controller venv pins jsonschema
        return [f"accessControl: cannot validate the structure, jsonschema is missing ({exc})"]
    validator = jsonschema.Draft202012Validator(ACCESS_CONTROL_SCHEMA)
    if validator.is_valid(_shape(access_control)):
        return []
    messages = []
    for error in sorted(validator.iter_errors(access_control), key=lambda e: list(e.path)):
        messages.append(f"{json_path(*error.path)}: {_describe(error)}")
    return messages


def _shape(value):
    """A small stand-in for `value` that the schema accepts exactly when it accepts `value`:
    non-empty strings become "x" and equal shapes in a list or in the repositories/groups
    maps are kept once. That holds because the schema treats every item of a list, and
    every value of a map, alike, constrains strings by type and emptiness only, and accepts
    no other scalar anywhere (checking thousands of globs one by one made validation slow)."""
    if isinstance(value, str):
        return "x" if value else ""
    if isinstance(value, list):
        if all(isinstance(item, str) for item in value):
            return sorted({"x" if item else "" for item in value})
        return _distinct(_shape(item) for item in value)
    if isinstance(value, dict):
        shaped = {key: _shape(item) for key, item in value.items()}
        for name in ("repositories", "groups"):
            if isinstance(shaped.get(name), dict):
                shaped[name] = {str(key): item for key, item in enumerate(_distinct(shaped[name].values()))}
        return shaped
    return value


def _distinct(shapes) -> list:
    # repr tells the JSON shapes apart (True from 1, [] from (), "x" from ""); any other
    # value is refused by the schema wherever it is, so merging such values changes nothing.
    unique = {}
    for shape in shapes:
        unique.setdefault(repr(shape), shape)
    return list(unique.values())


def _describe(error) -> str:
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        return f"unknown key(s) {', '.join(map(repr, unknown))} (allowed: {', '.join(allowed)})"
    if error.validator == "type":
        return f"must be of type {error.validator_value}, got {type(error.instance).__name__}"
    if error.validator == "minLength":
        return "must not be empty"
    return error.message
