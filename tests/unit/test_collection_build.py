# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The built tarball holds the collection users run (roles, plugins, playbooks, docs) and
nothing they do not: this repository's tests, scenarios, benchmarks, scripts, tool settings,
throwaway vault passwords and caches (galaxy.yml's build_ignore)."""

import pathlib
import subprocess
import sys
import tarfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHIPPED = {
    "CHANGELOG.md",
    "FILES.json",
    "LICENSE",
    "MANIFEST.json",
    "README.md",
    "changelogs",
    "docs",
    "meta",
    "playbooks",
    "plugins",
    "roles",
}


@pytest.fixture(scope="module")
def members(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    galaxy = pathlib.Path(sys.executable).parent / "ansible-galaxy"
    subprocess.run(
        [str(galaxy), "collection", "build", "--force", "--output-path", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (tarball,) = out.glob("zotops-registry-*.tar.gz")
    with tarfile.open(tarball) as archive:
        return [member.name for member in archive.getmembers()]


def test_the_tarball_holds_only_the_collection(members):
    assert {name.split("/")[0] for name in members} == SHIPPED


def test_the_tarball_ships_every_role_and_plugin_kind(members):
    for path in (
        "playbooks/site.yml",
        "meta/runtime.yml",
        "roles/zot/tasks/main.yml",
        "roles/zot/meta/argument_specs.yml",
        "plugins/modules/zot_registry_check.py",
        "docs/examples/nginx-zot.conf",
    ):
        assert path in members


@pytest.mark.parametrize("part", ["vault-password", "__pycache__", ".pyc", ".cache/"])
def test_the_tarball_holds_no_password_file_or_cache(members, part):
    assert [name for name in members if part in name] == []
