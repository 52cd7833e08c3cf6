"""CEL `conditions` of zot policies: not evaluated yet, so every condition is unknown and a
grant depending on one is reported as conditional."""

from __future__ import annotations


def conditions_hold(conditions, context):
    """True/False when the conditions hold/fail for the request; None when unknown."""
    return None
