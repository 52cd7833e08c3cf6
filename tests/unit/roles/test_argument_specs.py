# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Every role documents exactly the variables its defaults define (meta/argument_specs.yml)."""

import pathlib

import pytest
import yaml

ROLES = pathlib.Path(__file__).resolve().parents[3] / "roles"
ROLE_DIRS = sorted(p for p in ROLES.iterdir() if (p / "defaults" / "main.yml").exists())


@pytest.mark.parametrize("role", ROLE_DIRS, ids=lambda p: p.name)
def test_defaults_and_argument_specs_list_the_same_variables(role):
    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text()) or {}
    specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())
    options = specs["argument_specs"]["main"]["options"]
    assert sorted(set(defaults) - set(options)) == [], "in defaults but not documented"
    assert sorted(set(options) - set(defaults)) == [], "documented but without a default"


@pytest.mark.parametrize("role", ROLE_DIRS, ids=lambda p: p.name)
def test_every_option_is_described_and_typed(role):
    specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())
    for name, option in specs["argument_specs"]["main"]["options"].items():
        assert option.get("description"), name
        assert option.get("type"), name


@pytest.mark.parametrize("role", ROLE_DIRS, ids=lambda p: p.name)
def test_documented_defaults_are_the_defaults(role):
    """A default the spec states is the one defaults/main.yml sets; a templated default is
    described in words instead (a spec default must be a value of the option's type)."""
    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text()) or {}
    specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())
    for name, option in specs["argument_specs"]["main"]["options"].items():
        value = defaults[name]
        templated = isinstance(value, str) and "{{" in value
        if "default" in option and not (templated and option["type"] == "str"):
            assert option["default"] == value, name
