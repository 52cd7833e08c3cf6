# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Filters for zot's systemd sandbox: the unit's settings and the checks that run under them;
the logic lives in plugin_utils/_zot/sandbox.py and file_access.py."""

from ansible.errors import AnsibleFilterError

from ansible_collections.zotops.registry.plugins.plugin_utils._zot import file_access, sandbox


def _wrap(func):
    def filter_(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        # Every message names the variable.
        except (ValueError, KeyError) as exc:
            raise AnsibleFilterError(str(exc)) from exc

    filter_.__name__ = func.__name__
    filter_.__doc__ = func.__doc__
    return filter_


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
            "zot_unit_sandbox": _wrap(sandbox.unit_sandbox),
            "zot_sandbox_run": _wrap(sandbox_run),
            "zot_file_access_checks": _wrap(file_access.access_checks),
            "zot_file_access_probe": _wrap(file_access.probe_argv),
            "zot_file_access_problems": _wrap(file_access_problems),
        }
