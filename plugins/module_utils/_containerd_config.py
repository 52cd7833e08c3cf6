# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""Point containerd's CRI plugin at a hosts directory (certs.d) by editing config.toml in place.

The edit is textual so that everything else in the file (comments, ordering, formatting) stays
as the owner wrote it; stdlib ``tomllib`` is only used to read the file and to prove that the
edited text means exactly the original configuration plus ``config_path``.
"""

import copy
import json
import re
from dataclasses import dataclass

try:
    import tomllib
except ImportError:  # Python < 3.11 on the managed node; the module reports it
    tomllib = None

# Where the CRI registry settings live, by config schema version: containerd 1.x writes
# `version = 2` configs, containerd 2.x writes `version = 3` configs.
REGISTRY_TABLES = {
    2: ("plugins", "io.containerd.grpc.v1.cri", "registry"),
    3: ("plugins", "io.containerd.cri.v1.images", "registry"),
}
CONFIG_VERSION_FOR_CONTAINERD = {1: 2, 2: 3}

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_CONFIG_PATH_LINE = re.compile(
    r"""^(?P<lead>\s*(?:config_path|"config_path"|'config_path')\s*=\s*)"""
    r"""(?P<value>"(?:[^"\\]|\\.)*"|'[^']*')(?P<tail>\s*(?:#.*)?)$"""
)


class ContainerdConfigError(Exception):
    """The config cannot be edited safely; the message names the offending key."""


@dataclass(frozen=True)
class ConfigPathEdit:
    text: str
    changed: bool
    config_version: int
    registry_table: str
    previous_config_path: str


def containerd_major_version(version_output):
    """Major version from `containerd --version` output or a bare version such as "1.6.20"."""
    match = re.search(r"(?:^|\s)v?(\d+)\.\d+", version_output or "")
    if not match:
        raise ContainerdConfigError(f"cannot read a containerd version from {version_output!r}")
    return int(match.group(1))


def toml_key(parts):
    """Dotted TOML key for a key path, quoting the parts that are not bare keys."""
    return ".".join(p if _BARE_KEY.fullmatch(p) else json.dumps(p) for p in parts)


def toml_string(value):
    """A TOML basic string (JSON's escapes are a subset of TOML's)."""
    return json.dumps(value)


def set_config_path(text, config_path, containerd_major=None, replace_existing=False):
    """Return the edit that makes containerd's CRI plugin read hosts files from config_path.

    containerd_major is only needed for a config without content, to choose its schema.
    An existing non-empty config_path that differs is an error unless replace_existing.
    """
    data = _parse(text, "config.toml")
    version = _config_version(data, containerd_major)
    table = REGISTRY_TABLES[version]
    header = toml_key(table)
    registry = _lookup(data, table)
    _refuse_conflicting_registry_settings(registry, header)

    previous = registry.get("config_path", "")
    if not isinstance(previous, str):
        raise ContainerdConfigError(f"{header}.config_path must be a string, got {previous!r}")
    if previous == config_path:
        return ConfigPathEdit(text, False, version, header, previous)
    if previous and not replace_existing:
        raise ContainerdConfigError(
            f"{header}.config_path is already {previous!r}, not {config_path!r}; "
            "refusing to point containerd elsewhere unless told to replace it"
        )

    new_text = _edit_text(text, data, table, header, config_path, version)
    expected = copy.deepcopy(data)
    expected.setdefault("version", version)
    _lookup(expected, table, create=True)["config_path"] = config_path
    if _parse_or_none(new_text) != expected:
        raise ContainerdConfigError(
            f"cannot add {header}.config_path to this config.toml without changing other "
            "settings (is the registry table written as dotted keys or an inline table?); "
            "set it by hand"
        )
    return ConfigPathEdit(new_text, True, version, header, previous)


def _parse(text, what):
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ContainerdConfigError(f"{what} is not valid TOML: {exc}") from exc


def _parse_or_none(text):
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None


def _config_version(data, containerd_major):
    version = data.get("version")
    if version is None and not data:
        if containerd_major is None:
            raise ContainerdConfigError(
                "config.toml has no settings, so the containerd version decides its format: "
                "containerd_version is unknown (containerd --version not available)"
            )
        if containerd_major not in CONFIG_VERSION_FOR_CONTAINERD:
            raise ContainerdConfigError(f"containerd {containerd_major}.x is not supported")
        return CONFIG_VERSION_FOR_CONTAINERD[containerd_major]
    if version not in REGISTRY_TABLES:
        found = (
            "has no `version` key (so it is version 1)"
            if version is None
            else (f"has `version = {version!r}`")
        )
        raise ContainerdConfigError(
            f"config.toml {found}; only version 2 (containerd 1.x) and version 3 "
            "(containerd 2.x) configs are edited: convert it with `containerd config migrate`"
        )
    if version == 3 and containerd_major == 1:
        raise ContainerdConfigError(
            "config.toml `version` is 3, which containerd 1.x cannot read; "
            "use a version 2 config on this node"
        )
    return version


def _lookup(data, path, create=False):
    node = data
    for part in path:
        child = node.get(part)
        if child is None:
            if not create:
                return {}
            child = node[part] = {}
        if not isinstance(child, dict):
            raise ContainerdConfigError(f"{toml_key(path)} must be a table, got {child!r}")
        node = child
    return node


def _refuse_conflicting_registry_settings(registry, header):
    # containerd refuses to load the CRI plugin when these sit next to config_path.
    if registry.get("mirrors"):
        raise ContainerdConfigError(
            f"{header}.mirrors is set; containerd does not allow it together with "
            "config_path: move those mirrors to hosts.toml files and delete the table"
        )
    for host, settings in (registry.get("configs") or {}).items():
        if isinstance(settings, dict) and "tls" in settings:
            raise ContainerdConfigError(
                f"{header}.configs.{toml_key([host])}.tls is set; containerd does not allow "
                "it together with config_path: move it to that host's hosts.toml"
            )


def _table_path(line):
    """Key path of a `[table]` header line, or None for any other line."""
    stripped = line.strip()
    if not stripped.startswith("[") or stripped.startswith("[["):
        return None
    try:
        parsed = tomllib.loads(stripped)
    except tomllib.TOMLDecodeError:
        return None
    path = []
    while isinstance(parsed, dict) and len(parsed) == 1:
        key, parsed = next(iter(parsed.items()))
        path.append(key)
    return tuple(path) if parsed == {} else None


def _edit_text(text, data, table, header, config_path, version):
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    assignment = f"config_path = {toml_string(config_path)}\n"

    start = next((i for i, line in enumerate(lines) if _table_path(line) == table), None)
    if start is None:
        block = ["\n" if lines else "", f"[{header}]\n", f"  {assignment}"]
        lines.extend(part for part in block if part)
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")),
            len(lines),
        )
        existing = next(
            (i for i in range(start + 1, end) if _CONFIG_PATH_LINE.match(lines[i].rstrip("\n"))),
            None,
        )
        if existing is not None:
            match = _CONFIG_PATH_LINE.match(lines[existing].rstrip("\n"))
            lines[existing] = f"{match['lead']}{toml_string(config_path)}{match['tail']}\n"
        else:
            indent = _body_indent(lines, start, end)
            lines.insert(start + 1, f"{indent}{assignment}")

    if "version" not in data:
        lines.insert(0, f"version = {version}\n\n")
    return "".join(lines)


def _body_indent(lines, start, end):
    """Indentation of the table's first key line, else the header's indentation plus two."""
    for line in lines[start + 1 : end]:
        if line.strip() and not line.lstrip().startswith("#"):
            return line[: len(line) - len(line.lstrip())]
    header = lines[start]
    return header[: len(header) - len(header.lstrip())] + "  "
