# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The zot role's service definitions render to valid, hardened files."""

import pathlib
import plistlib

import jinja2
import pytest
import yaml

from ansible_collections.zotops.registry.plugins.plugin_utils._zot import config as zot_config
from ansible_collections.zotops.registry.plugins.plugin_utils._zot import sandbox

ROLE = pathlib.Path(__file__).resolve().parents[3] / "roles" / "zot"


def role_defaults(**overrides):
    values = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    values.update(ansible_managed="Ansible managed", **overrides)
    # roles/zot/vars/main.yml adds the S3 credentials to zot_environment; none here.
    values.setdefault("__zot_environment", values["zot_environment"])
    values.setdefault("__zot_config", {})
    # roles/zot/vars/main.yml: the sandbox settings from the variables, as the filter gives them.
    values.setdefault(
        "__zot_unit_sandbox",
        sandbox.unit_sandbox(zot_config.settings_from_variables(values), "cluster" in values["__zot_config"]),
    )
    return values


def render(name, **overrides):
    # Ansible renders role templates without autoescaping; so does this test.
    env = jinja2.Environment(  # noqa: S701
        loader=jinja2.FileSystemLoader(str(ROLE / "templates")), undefined=jinja2.StrictUndefined
    )
    env.filters["bool"] = lambda value: str(value).lower() in ("true", "yes", "1")
    return env.get_template(name).render(**role_defaults(**overrides))


def unit_settings(text):
    settings = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            key, _unused, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def test_unit_is_sandboxed_by_default():
    settings = unit_settings(render("zot.service.j2"))
    assert settings["ExecStart"] == ["/usr/local/bin/zot serve /etc/zot/config.json"]
    assert settings["User"] == ["zot"]
    assert settings["Restart"] == ["always"]
    assert settings["ProtectSystem"] == ["strict"]
    assert settings["NoNewPrivileges"] == ["true"]
    assert settings["PrivateTmp"] == ["true"]
    assert settings["PrivateDevices"] == ["true"]
    assert settings["CapabilityBoundingSet"] == [""]
    assert settings["RestrictAddressFamilies"] == ["AF_UNIX AF_INET AF_INET6"]
    # Two lines: systemd reads "~" only at the start of a value (one line would allow all).
    assert settings["SystemCallFilter"] == ["@system-service", "~@privileged @resources"]
    assert settings["ReadWritePaths"] == ["/var/lib/zot /var/log/zot"]
    assert settings["UMask"] == ["0027"]
    assert settings["LimitNOFILE"] == ["500000"]


def test_escape_hatches():
    settings = unit_settings(
        render(
            "zot.service.j2",
            zot_systemd_system_call_filter=[],
            zot_systemd_private_devices=False,
            zot_systemd_extra_read_write_paths=["/srv/extra"],
            zot_audit_log_enabled=False,
            zot_systemd_extra_service_settings=["TimeoutStopSec=120"],
            zot_environment={"HTTPS_PROXY": "http://user:secret@proxy:3128"},
        )
    )
    assert "SystemCallFilter" not in settings
    assert settings["PrivateDevices"] == ["false"]
    assert settings["ReadWritePaths"] == ["/var/lib/zot /srv/extra"]
    assert settings["TimeoutStopSec"] == ["120"]
    # The environment's values stay in the root-only file, never in the unit.
    assert settings["EnvironmentFile"] == ["/etc/zot/zot.env"] and "Environment" not in settings


def test_a_cluster_member_may_use_netlink():
    # zot's cluster mode lists the host's addresses over netlink and panics without it.
    member = unit_settings(render("zot.service.j2", __zot_config={"cluster": {"members": ["a:1", "b:1"]}}))
    assert member["RestrictAddressFamilies"] == ["AF_UNIX AF_INET AF_INET6 AF_NETLINK"]


@pytest.mark.parametrize("label", ["dev.zotops.zot", "org.example.zot&<test>"])
def test_launchd_plist_is_valid(label):
    plist = plistlib.loads(render("zot.plist.j2", zot_launchd_label=label).encode())
    assert plist["Label"] == label
    assert plist["ProgramArguments"] == ["/usr/local/bin/zot", "serve", "/etc/zot/config.json"]
    assert plist["UserName"] == "zot"
    assert plist["KeepAlive"] is True
    assert plist["Umask"] == 0o027
    assert plist["SoftResourceLimits"] == {"NumberOfFiles": 500000}


def test_logrotate_drop_in_copies_and_truncates_the_audit_log():
    text = render("logrotate.j2", __zot_audit_log="/var/log/zot/audit.log")
    lines = [line.strip() for line in text.splitlines()]
    assert "/var/log/zot/audit.log {" in lines
    # zot keeps the file open (O_APPEND) and never reopens it: a renamed file would keep
    # receiving the audit lines.
    assert "copytruncate" in lines and "create" not in " ".join(lines)
    assert "su zot zot" in lines and "rotate 90" in lines and "daily" in lines
