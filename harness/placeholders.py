# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Fill "{name}" placeholders in nested test data (configs, extra vars, expectations)."""


def fill(value, placeholders):
    """`value` with each placeholder key replaced in every string, recursively. A string that
    is exactly one placeholder becomes its replacement as it is (a port stays an int)."""
    if isinstance(value, str):
        if value in placeholders:
            return placeholders[value]
        for key, replacement in placeholders.items():
            value = value.replace(key, str(replacement))
        return value
    if isinstance(value, dict):
        return {k: fill(v, placeholders) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, placeholders) for v in value]
    return value
