# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Filters for zot's systemd sandbox: the unit's settings and the checks that run under them;
the logic lives in plugin_utils/_zot/sandbox.py and file_access.py."""

from ansible_collections.zotops.registry.plugins.plugin_utils._filter_errors import as_filter
from ansible_collections.zotops.registry.plugins.plugin_utils._zot import file_access, sandbox


def sandbox_run(unit_sandbox, extra_service_settings, user="", group=""):
    """argv prefix running a command under the unit's sandbox, as `user` (or root)."""
    return sandbox.systemd_run_argv(sandbox.check_settings(unit_sandbox, extra_service_settings), user, group)


def file_access_problems(checks, host, sandboxed, as_zot, unit_sandbox, extra_service_settings, user, group):
    """One line per path zot could not open (file_access.access_problems)."""
    settings_lines = sandbox.check_settings(unit_sandbox, extra_service_settings)
    return file_access.access_problems(checks, host, sandboxed, as_zot, settings_lines, user, group)


class FilterModule(object):
    def filters(self):
        return {
            "zot_unit_sandbox": as_filter(sandbox.unit_sandbox),
            "zot_sandbox_run": as_filter(sandbox_run),
            "zot_file_access_checks": as_filter(file_access.access_checks),
            "zot_file_access_probe": as_filter(file_access.probe_argv),
            "zot_file_access_problems": as_filter(file_access_problems),
        }
