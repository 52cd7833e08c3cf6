# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Can zot open what its config names: the probe the host runs, and how its answers read."""

import json
import subprocess
import sys

import pytest

from ansible_collections.zotops.registry.plugins.plugin_utils._zot import file_access, sandbox
from harness.role_defaults import zot_settings

SETTINGS = zot_settings(tls_cert="/home/certs/zot.crt", tls_key="/home/certs/zot.key")
CHECKS = file_access.access_checks(SETTINGS)
UNIT = sandbox.check_settings(sandbox.unit_sandbox(SETTINGS))


def answer(path, exists=True, ident="1:2", mode=0o640, group="zot", r=True, w=True, x=True, nearest=None):
    return {
        "exists": exists,
        "nearest": nearest or path,
        "id": ident,
        "mode": mode,
        "group": group,
        "r": r,
        "w": w,
        "x": x,
    }


def answers(**changed):
    """A probe answer for every check, all fine, with the ones named by variable changed."""
    result = []
    for check in CHECKS:
        result.append(changed.get(check["variable"], answer(check["path"])))
    return result


def test_every_path_zot_opens_is_checked():
    assert [(c["variable"], c["need"]) for c in CHECKS] == [
        ("zot_tls_cert", "read"),
        ("zot_tls_key", "read"),
        ("zot_config_dir", "read"),
        ("zot_storage_dir", "write"),
        ("zot_log_dir", "write"),
        ("zot_binary_path", "run"),
    ]


def test_the_probe_answers_about_a_path_or_its_nearest_parent(tmp_path):
    (tmp_path / "file").write_text("x")
    argv = [sys.executable] + file_access.probe_argv(
        [{"path": str(tmp_path / "file")}, {"path": str(tmp_path / "a" / "b")}]
    )
    found = json.loads(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)
    assert found[0]["exists"] and found[0]["nearest"] == str(tmp_path / "file") and found[0]["r"]
    assert not found[1]["exists"] and found[1]["nearest"] == str(tmp_path)
    assert found[1]["id"] != found[0]["id"]


def test_all_fine_is_no_problem():
    assert file_access.access_problems(CHECKS, answers(), answers(), answers(), UNIT, "zot", "zot") == []


def test_a_tls_key_the_sandbox_hides_is_refused_naming_the_variable_and_the_setting():
    hidden = answer("/home/certs/zot.key", exists=False, ident="9:9", nearest="/home")
    problems = file_access.access_problems(
        CHECKS, answers(), answers(zot_tls_key=hidden), None, UNIT, "zot", "zot"
    )
    assert len(problems) == 1
    assert problems[0].startswith(
        "zot_tls_key /home/certs/zot.key: zot's systemd sandbox hides it (ProtectHome=true"
    )
    assert "so zot could not read it" in problems[0]


def test_a_storage_directory_the_sandbox_makes_read_only_is_refused():
    unit = sandbox.check_settings(sandbox.unit_sandbox(SETTINGS), ["ReadOnlyPaths=/var/lib/zot"])
    read_only = answer("/var/lib/zot", w=False)
    problems = file_access.access_problems(
        CHECKS, answers(), answers(zot_storage_dir=read_only), None, unit, "zot", "zot"
    )
    assert problems == [
        "zot_storage_dir /var/lib/zot: zot's systemd sandbox makes it read-only (ReadOnlyPaths in "
        "zot_systemd_extra_service_settings makes it read-only: remove that entry), so zot could not write it"
    ]


def test_a_storage_directory_read_only_on_the_host_is_not_blamed_on_the_sandbox():
    read_only = answer("/var/lib/zot", w=False)
    assert (
        file_access.access_problems(
            CHECKS,
            answers(zot_storage_dir=read_only),
            answers(zot_storage_dir=read_only),
            None,
            UNIT,
            "zot",
            "zot",
        )
        == []
    )


def test_a_directory_the_role_creates_later_is_fine_when_its_parent_is_visible():
    missing = answer("/var/lib/zot", exists=False, nearest="/var/lib", w=False)
    assert (
        file_access.access_problems(
            CHECKS,
            answers(zot_storage_dir=missing),
            answers(zot_storage_dir=missing),
            None,
            UNIT,
            "zot",
            "zot",
        )
        == []
    )


def test_a_missing_tls_file_is_named():
    missing = answer("/home/certs/zot.crt", exists=False, nearest="/home/certs")
    problems = file_access.access_problems(
        CHECKS, answers(zot_tls_cert=missing), answers(), answers(), UNIT, "zot", "zot"
    )
    assert problems == [
        "zot_tls_cert /home/certs/zot.crt: does not exist on the host, so zot could not read it"
    ]


def test_a_key_only_root_can_read_is_refused_as_the_zot_user():
    problems = file_access.access_problems(
        CHECKS,
        answers(),
        answers(),
        answers(zot_tls_key=answer("/home/certs/zot.key", r=False)),
        UNIT,
        "zot",
        "zot",
    )
    assert (
        len(problems) == 1
        and "zot_tls_key" in problems[0]
        and "cannot be read by the zot user zot" in problems[0]
    )


@pytest.mark.parametrize(
    "mode, group, readable",
    [(0o600, "root", False), (0o640, "zot", True), (0o640, "ssl-cert", False), (0o644, "root", True)],
)
def test_before_the_zot_user_exists_the_modes_decide(mode, group, readable):
    key = answer("/home/certs/zot.key", mode=mode, group=group)
    problems = file_access.access_problems(
        CHECKS, answers(zot_tls_key=key), answers(), None, UNIT, "zot", "zot"
    )
    assert (problems == []) == readable


def test_a_directory_closed_to_the_zot_user_on_the_way_is_refused():
    closed = answer("/srv/private/zot", exists=False, nearest="/srv/private")
    host = answer("/srv/private/zot")
    problems = file_access.access_problems(
        CHECKS,
        answers(zot_storage_dir=host),
        answers(zot_storage_dir=host),
        answers(zot_storage_dir=closed),
        UNIT,
        "zot",
        "zot",
    )
    assert len(problems) == 1 and "zot_storage_dir" in problems[0] and "cannot reach it" in problems[0]
