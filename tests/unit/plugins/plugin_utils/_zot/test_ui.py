# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Whether zot's web UI and its search extension are on."""

import pytest

from ansible_collections.zotops.registry.plugins.plugin_utils._zot.ui import UiSettingsError, ui_and_search


@pytest.mark.parametrize(
    ("settings", "clustered", "expected"),
    [
        ({}, False, (True, True)),  # full flavour, one registry: people log in to the UI
        ({"flavour": "full"}, True, (False, False)),  # a cluster member
        ({"flavour": "minimal"}, False, (False, False)),  # no UI in the minimal build
        ({"flavour": "minimal", "ui_enabled": True}, False, (False, True)),  # refused as minimal
        ({"ui_enabled": False}, False, (False, False)),
        ({"ui_enabled": "false"}, False, (False, False)),  # -e zot_ui_enabled=false
        ({"ui_enabled": True}, True, (True, True)),  # asked for on a cluster member
        ({"search_enabled": True, "ui_enabled": False}, False, (True, False)),
    ],
)
def test_unset_switches_follow_the_flavour_and_the_ui(settings, clustered, expected):
    assert ui_and_search(settings, clustered) == expected


def test_the_ui_without_search_is_refused():
    with pytest.raises(UiSettingsError, match="zot_ui_enabled: .*search"):
        ui_and_search({"ui_enabled": True, "search_enabled": False}, False)
