# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""meta/runtime.yml: every module in an action group exists and takes the options the group
is meant to default, so `module_defaults: {group/zotops.registry.<group>: ...}` works."""

import importlib
import pathlib

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
RUNTIME = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())
SHARED_OPTIONS = {
    "zot": {"url", "username", "password", "validate_certs", "ca_path"},
    "authentik": {"url", "token"},
}


def _documented_options(module: str) -> set[str]:
    """Option names from the module's DOCUMENTATION plus the collection's doc fragments."""
    package = "ansible_collections.zotops.registry.plugins"
    doc = yaml.safe_load(importlib.import_module(f"{package}.modules.{module}").DOCUMENTATION)
    options = set(doc.get("options") or {})
    for fragment in doc.get("extends_documentation_fragment") or []:
        if fragment.startswith("zotops.registry."):
            fragment_module = importlib.import_module(f"{package}.doc_fragments.{fragment.rsplit('.', 1)[1]}")
            options |= set(yaml.safe_load(fragment_module.ModuleDocFragment.DOCUMENTATION)["options"])
    return options


def test_requires_a_supported_ansible():
    assert RUNTIME["requires_ansible"].startswith(">=2.")


@pytest.mark.parametrize("group", sorted(RUNTIME["action_groups"]))
def test_action_group_members_take_the_shared_options(group):
    for module in RUNTIME["action_groups"][group]:
        assert (ROOT / "plugins" / "modules" / f"{module}.py").is_file(), f"{group}: no module {module}"
        missing = SHARED_OPTIONS[group] - _documented_options(module)
        assert not missing, f"{module} in group {group} lacks {sorted(missing)}"
