# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""zot's systemd sandbox, in one place: the unit renders these settings, and every check of
what zot will open (zot verify, TLS files, directories, the binary) runs under the same
settings with systemd-run, so a path the sandbox hides or makes read-only is refused before
anything changes instead of leaving zot crash-looping after the restart."""

import posixpath

from ansible.module_utils.parsing.convert_bool import boolean

# [Service] settings of zot_systemd_extra_service_settings that change what zot sees of the
# filesystem: the checks run with them too (other extra lines do not change what zot can open).
FILESYSTEM_SETTINGS = (
    "ProtectSystem",
    "ProtectHome",
    "PrivateTmp",
    "ReadWritePaths",
    "ReadOnlyPaths",
    "InaccessiblePaths",
    "TemporaryFileSystem",
    "BindPaths",
    "BindReadOnlyPaths",
)
# Settings of the unit a check leaves out: RemoveIPC would remove the running zot's IPC
# objects when the check's unit stops.
_NOT_FOR_CHECKS = ("RemoveIPC",)
# Dropped when a check runs as root (the zot user does not exist yet): root then looks at the
# sandbox's mounts with its usual permissions; the zot user's permissions are read from modes.
_IDENTITY_SETTINGS = ("CapabilityBoundingSet", "AmbientCapabilities")

_HOME_DIRECTORIES = ("/home", "/root", "/run/user")
_TMP_DIRECTORIES = ("/tmp", "/var/tmp")  # noqa: S108 - what PrivateTmp hides, not a temporary file
_PROTECT_SYSTEM_READ_ONLY = {
    "true": ("/usr", "/boot", "/efi"),
    "full": ("/usr", "/boot", "/efi", "/etc"),
    "strict": ("/",),
}


def system_call_filter(entries):
    """SystemCallFilter= lines for zot_systemd_system_call_filter (["@system-service",
    "~@privileged", ...]): systemd reads `~` only at the start of a value (it ignores a `~`
    entry after an allowed one, logging "Failed to parse system call"), so the allowed entries
    go on one line and the denied ones on a second line starting with `~`."""
    if not isinstance(entries, list):
        raise ValueError(
            "zot_systemd_system_call_filter: must be a list such as ['@system-service', '~@privileged']"
        )
    allowed, denied = [], []
    for index, entry in enumerate(entries):
        if not isinstance(entry, str) or not entry.lstrip("~") or any(c.isspace() for c in entry):
            raise ValueError(
                "zot_systemd_system_call_filter[%d]: one system call or @group per entry "
                "(~ in front denies it), e.g. '@system-service' or '~@privileged'" % index
            )
        (denied if entry.startswith("~") else allowed).append(entry.lstrip("~"))
    lines = []
    if allowed:
        lines.append("SystemCallFilter=" + " ".join(allowed))
    if denied:
        lines.append("SystemCallFilter=~" + " ".join(denied))
    return lines


def _flag(settings, name):
    return boolean(settings.get(name) or False, strict=False)


def unit_sandbox(settings, cluster=False):
    """The unit's sandbox settings ("Name=value" lines, in order) for the role's settings
    (zot_<name> as settings[name]); `cluster`: zot runs as a cluster member."""
    write_paths = [settings["storage_dir"]]
    if _flag(settings, "audit_log_enabled"):
        write_paths.append(settings["log_dir"])
    write_paths += list(settings.get("systemd_extra_read_write_paths") or [])
    families = "AF_UNIX AF_INET AF_INET6"
    if cluster:
        # A cluster member lists its own addresses over netlink to find itself among the members.
        families += " AF_NETLINK"
    lines = [
        "UMask=0027",
        "NoNewPrivileges=true",
        "CapabilityBoundingSet=",
        "AmbientCapabilities=",
        "ProtectSystem=%s" % str(settings["systemd_protect_system"]).lower(),
        "ProtectHome=true",
        "PrivateTmp=true",
        "PrivateDevices=%s" % str(_flag(settings, "systemd_private_devices")).lower(),
        "ProtectHostname=true",
        "ProtectClock=true",
        "ProtectKernelTunables=true",
        "ProtectKernelModules=true",
        "ProtectKernelLogs=true",
        "ProtectControlGroups=true",
        "ProtectProc=invisible",
        "ProcSubset=pid",
        "RestrictAddressFamilies=" + families,
        "RestrictNamespaces=true",
        "RestrictRealtime=true",
        "RestrictSUIDSGID=true",
        "LockPersonality=true",
        "MemoryDenyWriteExecute=true",
        "RemoveIPC=true",
        "SystemCallArchitectures=native",
    ]
    filter_lines = system_call_filter(settings.get("systemd_system_call_filter") or [])
    if filter_lines:
        lines += filter_lines + ["SystemCallErrorNumber=EPERM"]
    lines.append("ReadWritePaths=" + " ".join(write_paths))
    return lines


def _name(line):
    return line.partition("=")[0].strip()


def check_settings(sandbox, extra_service_settings=()):
    """The settings a check runs with: the unit's sandbox plus the extra [Service] lines that
    change what zot sees (FILESYSTEM_SETTINGS), in the unit's order. A path the checks name
    need not exist yet (the role creates the storage and log directories later): systemd
    ignores a missing ReadWritePaths entry given with `-`."""
    lines = []
    for line in list(sandbox) + [s for s in extra_service_settings or () if _name(s) in FILESYSTEM_SETTINGS]:
        name, _sep, value = line.partition("=")
        name = name.strip()
        if name in _NOT_FOR_CHECKS:
            continue
        if name == "ReadWritePaths":
            value = " ".join(p if p.startswith("-") else "-" + p for p in value.split())
        lines.append("%s=%s" % (name, value.strip()))
    return lines


def systemd_run_argv(settings_lines, user="", group=""):
    """argv prefix that runs a command as `user` under `settings_lines` (check_settings) and
    returns its exit status and output; without a user, as root without the identity settings."""
    argv = ["systemd-run", "--wait", "--pipe", "--collect", "--quiet"]
    if user:
        argv += ["-p", "User=" + user, "-p", "Group=" + (group or user)]
    for line in settings_lines:
        if user or _name(line) not in _IDENTITY_SETTINGS:
            argv += ["-p", line]
    return argv + ["--"]


def _within(path, directories):
    path = posixpath.normpath(path)
    return any(path == d or path.startswith(d.rstrip("/") + "/") for d in directories)


def _last(settings_lines, name, default=""):
    values = [line.partition("=")[2].strip() for line in settings_lines if _name(line) == name]
    return values[-1] if values else default


def _paths_of(settings_lines, name):
    paths = []
    for line in settings_lines:
        if _name(line) == name:
            for entry in line.partition("=")[2].split():
                paths.append(entry.lstrip("-+").split(":")[0])
    return paths


def hiding_setting(path, settings_lines):
    """The setting among settings_lines that hides `path` from zot, with what to do, or ""."""
    protect_home = _last(settings_lines, "ProtectHome", "false").lower()
    if protect_home in ("true", "yes", "1", "on", "tmpfs") and _within(path, _HOME_DIRECTORIES):
        return (
            "ProtectHome=%s hides /home, /root and /run/user from zot: move it elsewhere, or add "
            "ProtectHome=read-only to zot_systemd_extra_service_settings" % protect_home
        )
    if boolean(_last(settings_lines, "PrivateTmp", "false"), strict=False) and _within(
        path, _TMP_DIRECTORIES
    ):
        return "PrivateTmp=true gives zot its own empty /tmp and /var/tmp: move it out of them"
    for name in ("InaccessiblePaths", "TemporaryFileSystem"):
        if _within(path, _paths_of(settings_lines, name)):
            return "%s in zot_systemd_extra_service_settings hides it: remove that entry or move it" % name
    return ""


def read_only_setting(path, settings_lines):
    """The setting among settings_lines that makes `path` read-only for zot, with what to do, or ""."""
    if _within(path, _paths_of(settings_lines, "ReadOnlyPaths")):
        return "ReadOnlyPaths in zot_systemd_extra_service_settings makes it read-only: remove that entry"
    if _last(settings_lines, "ProtectHome").lower() == "read-only" and _within(path, _HOME_DIRECTORIES):
        return "ProtectHome=read-only makes /home, /root and /run/user read-only: move it elsewhere"
    protect_system = _last(settings_lines, "ProtectSystem", "false").lower()
    writable = _paths_of(settings_lines, "ReadWritePaths")
    if _within(path, _PROTECT_SYSTEM_READ_ONLY.get(protect_system, ())) and not _within(path, writable):
        return (
            "ProtectSystem=%s makes it read-only: add it to zot_systemd_extra_read_write_paths"
            % protect_system
        )
    return ""
