# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""Whether zot's web UI and the search extension it needs are on.

zot_ui_enabled and zot_search_enabled unset (null): the UI is on where people log in to a
single full-flavour registry, off for the minimal flavour (it has no UI) and for a cluster
member (the collection does not test the UI behind the load balancer); search follows the
UI. zot refuses the UI without search at start, so that pair is refused here, naming the
variable."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.parsing.convert_bool import boolean


class UiSettingsError(ValueError):
    pass


def _switch(value, default):
    # `-e zot_ui_enabled=false` reaches the filter as text.
    return default if value is None else boolean(value, strict=False)


def ui_and_search(settings, clustered):
    """(search on, UI on) for the role settings; clustered: the host is a cluster member."""
    full = settings.get("flavour", "full") == "full"
    ui = _switch(settings.get("ui_enabled"), full and not clustered)
    # The minimal flavour has neither: a UI asked for there is refused as such, not for search.
    search = _switch(settings.get("search_enabled"), ui and full)
    if full and ui and not search:
        raise UiSettingsError(
            "zot_ui_enabled: zot's web UI needs the search extension; set zot_search_enabled: "
            "true (or leave it unset)"
        )
    return search, ui
