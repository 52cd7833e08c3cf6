# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""Can zot open what its config names? The role runs PROBE_CODE on the host three times
(plainly as root; under zot's sandbox as root; under the sandbox as the zot user when it
exists) and access_problems compares the answers, so a file the sandbox hides or makes
read-only, or that the zot user cannot read, is refused before anything changes."""

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.zotops.registry.plugins.plugin_utils._zot import sandbox

# Run by the host's Python with the paths as arguments; prints one JSON answer per path about
# the path or, when it does not exist (yet), its nearest existing parent: which file that is
# (device and inode: a directory the sandbox hides is another, empty one), its mode and group,
# and what the caller may do with it.
PROBE_CODE = """
import grp, json, os, sys
def look(path):
    nearest = path
    while not os.path.exists(nearest) and nearest != "/":
        nearest = os.path.dirname(nearest)
    st = os.stat(nearest)
    try:
        group = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        group = ""
    return {"exists": nearest == path, "nearest": nearest, "id": "%d:%d" % (st.st_dev, st.st_ino),
            "mode": st.st_mode & 0o7777, "group": group, "r": os.access(nearest, os.R_OK),
            "w": os.access(nearest, os.W_OK), "x": os.access(nearest, os.X_OK)}
print(json.dumps([look(os.path.normpath(p)) for p in sys.argv[1:]]))
"""


def access_checks(settings):
    """[{variable, path, need (read, write, run), role_owned}] for what zot opens. The role
    creates (role_owned) the config, storage and log directories and installs the binary
    with its own owner and mode; the TLS files are the user's."""
    checks = [
        {"variable": "zot_" + name, "path": settings[name], "need": "read", "role_owned": False}
        for name in ("tls_cert", "tls_key", "tls_ca_cert")
        if settings.get(name)
    ]
    checks.append(
        {"variable": "zot_config_dir", "path": settings["config_dir"], "need": "read", "role_owned": True}
    )
    checks.append(
        {"variable": "zot_storage_dir", "path": settings["storage_dir"], "need": "write", "role_owned": True}
    )
    if boolean(settings.get("audit_log_enabled") or False, strict=False):
        checks.append(
            {"variable": "zot_log_dir", "path": settings["log_dir"], "need": "write", "role_owned": True}
        )
    checks.append(
        {"variable": "zot_binary_path", "path": settings["binary_path"], "need": "run", "role_owned": True}
    )
    return checks


def probe_argv(checks):
    """The arguments after the host's Python that ask PROBE_CODE about every check's path."""
    return ["-c", PROBE_CODE] + [check["path"] for check in checks]


def _sandbox_problem(check, host, sandboxed, settings_lines):
    if sandboxed["nearest"] != host["nearest"] or sandboxed["id"] != host["id"]:
        why = sandbox.hiding_setting(check["path"], settings_lines) or "change the unit's sandbox settings"
        return "zot's systemd sandbox hides it (%s)" % why
    # Read-only on the host too (a filesystem remounted read-only) is not the sandbox's doing:
    # zot's own start-up error says that one (docs/reliability.md, faults).
    if check["need"] == "write" and host["exists"] and host["w"] and not sandboxed["w"]:
        why = sandbox.read_only_setting(check["path"], settings_lines) or "change the unit's sandbox settings"
        return "zot's systemd sandbox makes it read-only (%s)" % why
    return ""


def _identity_problem(check, host, as_zot, zot_user, zot_group):
    if as_zot is None:
        # The zot user does not exist yet: what it will be able to read, from the modes.
        if (
            check["role_owned"]
            or (host["mode"] & 0o004)
            or (host["group"] == zot_group and host["mode"] & 0o040)
        ):
            return ""
        return "cannot be read by the zot user %s: make it readable by group %s" % (zot_user, zot_group)
    if as_zot["nearest"] != host["nearest"] or not (host["exists"] or as_zot["x"]):
        return "the zot user %s cannot reach it: a directory on the way is closed to it" % zot_user
    if host["exists"] and not check["role_owned"] and not as_zot["r"]:
        return "cannot be read by the zot user %s: make it readable by %s or group %s" % (
            zot_user,
            zot_user,
            zot_group,
        )
    if host["exists"] and check["need"] == "run" and not as_zot["x"]:
        return "cannot be run by the zot user %s" % zot_user
    return ""


def access_problems(checks, host, sandboxed, as_zot, settings_lines, zot_user, zot_group):
    """One line per check that zot could not pass, naming the variable, the path, the cause
    and what to do. host, sandboxed, as_zot: PROBE_CODE's answers (sandboxed None without
    systemd, as_zot None before the zot user exists); settings_lines: what the checks ran
    with (sandbox.check_settings)."""
    problems = []
    for index, check in enumerate(checks):
        found = host[index]
        if not found["exists"] and not check["role_owned"]:
            problem = "does not exist on the host"
        else:
            problem = (
                _sandbox_problem(check, found, sandboxed[index], settings_lines) if sandboxed else ""
            ) or (_identity_problem(check, found, as_zot[index] if as_zot else None, zot_user, zot_group))
        if problem:
            problems.append(
                "%s %s: %s, so zot could not %s it"
                % (check["variable"], check["path"], problem, check["need"])
            )
    return problems
