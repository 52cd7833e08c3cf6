# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""zot's systemd sandbox settings, and how the checks run under them."""

import pytest

from ansible_collections.zotops.registry.plugins.plugin_utils._zot import sandbox
from harness.role_defaults import zot_settings


def test_the_system_call_filter_denies_on_its_own_line():
    # systemd reads "~" only at the start of a value: one line would allow chown, setuid, ...
    assert sandbox.system_call_filter(["@system-service", "~@privileged", "~@resources"]) == [
        "SystemCallFilter=@system-service",
        "SystemCallFilter=~@privileged @resources",
    ]
    assert sandbox.system_call_filter(["~@mount"]) == ["SystemCallFilter=~@mount"]
    assert sandbox.system_call_filter([]) == []


@pytest.mark.parametrize("entries", [["@system-service ~@privileged"], ["~"], [""], "@system-service"])
def test_a_filter_entry_that_is_not_one_call_is_refused_by_name(entries):
    with pytest.raises(ValueError, match=r"^zot_systemd_system_call_filter"):
        sandbox.system_call_filter(entries)


def test_the_unit_writes_storage_and_the_audit_log_only():
    lines = sandbox.unit_sandbox(zot_settings())
    assert "ProtectHome=true" in lines and "PrivateTmp=true" in lines and "ProtectSystem=strict" in lines
    assert lines[-1] == "ReadWritePaths=/var/lib/zot /var/log/zot"
    assert "SystemCallErrorNumber=EPERM" in lines
    without_log = sandbox.unit_sandbox(zot_settings(audit_log_enabled=False))
    assert without_log[-1] == "ReadWritePaths=/var/lib/zot"


def test_checks_run_with_the_unit_settings_and_the_extra_filesystem_ones():
    unit = sandbox.unit_sandbox(zot_settings())
    lines = sandbox.check_settings(
        unit, ["TimeoutStopSec=60", "ReadOnlyPaths=/srv/ro", "ProtectHome=read-only"]
    )
    # A missing storage directory (the role creates it later) must not fail the check's unit.
    assert "ReadWritePaths=-/var/lib/zot -/var/log/zot" in lines
    assert lines[-2:] == ["ReadOnlyPaths=/srv/ro", "ProtectHome=read-only"]
    assert "RemoveIPC=true" not in lines and not any(line.startswith("TimeoutStopSec") for line in lines)


def test_systemd_run_as_the_zot_user_or_as_root():
    lines = ["CapabilityBoundingSet=", "ProtectHome=true"]
    as_zot = sandbox.systemd_run_argv(lines, "zot", "zot")
    assert as_zot[:5] == ["systemd-run", "--wait", "--pipe", "--collect", "--quiet"]
    assert as_zot[5:] == [
        "-p",
        "User=zot",
        "-p",
        "Group=zot",
        "-p",
        "CapabilityBoundingSet=",
        "-p",
        "ProtectHome=true",
        "--",
    ]
    # Root keeps its capabilities: it looks at the sandbox's mounts, not at the zot user's rights.
    assert sandbox.systemd_run_argv(lines)[5:] == ["-p", "ProtectHome=true", "--"]


@pytest.mark.parametrize(
    "path, extra, expected",
    [
        ("/home/certs/zot.key", [], "ProtectHome=true"),
        ("/root/zot.key", [], "ProtectHome=true"),
        ("/tmp/zot-log", [], "PrivateTmp=true"),
        ("/var/tmp/zot", [], "PrivateTmp=true"),
        ("/srv/hidden/zot", ["InaccessiblePaths=/srv/hidden"], "InaccessiblePaths"),
        ("/home/certs/zot.key", ["ProtectHome=read-only"], ""),
        ("/etc/zot/tls.crt", [], ""),
    ],
)
def test_the_setting_that_hides_a_path(path, extra, expected):
    lines = sandbox.check_settings(sandbox.unit_sandbox(zot_settings()), extra)
    found = sandbox.hiding_setting(path, lines)
    assert (expected in found) if expected else found == ""


@pytest.mark.parametrize(
    "path, extra, expected",
    [
        ("/var/lib/zot", ["ReadOnlyPaths=/var/lib/zot"], "ReadOnlyPaths"),
        ("/srv/data", [], "ProtectSystem=strict"),
        ("/home/zot", ["ProtectHome=read-only"], "ProtectHome=read-only"),
        ("/var/lib/zot", [], ""),
    ],
)
def test_the_setting_that_makes_a_path_read_only(path, extra, expected):
    lines = sandbox.check_settings(sandbox.unit_sandbox(zot_settings()), extra)
    found = sandbox.read_only_setting(path, lines)
    assert (expected in found) if expected else found == ""
