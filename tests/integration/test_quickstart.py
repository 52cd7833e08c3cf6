# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The quickstart's first deployment, as docs/quickstart.md writes it, from the built and
installed collection (not this checkout): the single-registry inventory copied out of the
installed collection, its two passwords vaulted, the offline install, a podman container
booted with systemd reached with containers.podman (the doc's "Try it on a container"), a
dry run that leaves the host untouched, then the converge and its verification checklist."""

import os
import pathlib
import shutil
import subprocess
import sys

import pytest
import requests

from harness import zot

pytestmark = [pytest.mark.integration, pytest.mark.host]

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent
HOST = "zotops-quickstart"
PORT = 5074


def _run(cwd, env, *command):
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def _on_host(*command):
    return subprocess.run(["podman", "exec", HOST, *command], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory):
    """The inventory and environment of a user who followed steps 1 to 3."""
    work = tmp_path_factory.mktemp("quickstart")
    # Outside the checkout, so neither its ansible.cfg nor its collection link is used.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env["ANSIBLE_COLLECTIONS_PATH"] = str(work / "collections")
    env["ANSIBLE_NOCOLOR"] = "1"
    build = _run(work, env, str(BIN / "ansible-galaxy"), "collection", "build", str(ROOT))
    assert build.returncode == 0, build.stderr
    (tarball,) = work.glob("zotops-registry-*.tar.gz")
    install = _run(work, env, str(BIN / "ansible-galaxy"), "collection", "install", str(tarball))
    assert install.returncode == 0, install.stderr

    installed = work / "collections" / "ansible_collections" / "zotops" / "registry"
    inventory = work / "inventory"
    shutil.copytree(installed / "playbooks" / "inventory-single-registry", inventory)
    main = inventory / "group_vars" / "zot_registries" / "main.yml"
    text = main.read_text()
    for line in ("# zot_binary_source: local\n", "# zot_binary_local_path: "):
        assert line in text, f"the example no longer offers {line.strip()!r}"
    main.write_text(
        text.replace("# zot_binary_source: local", "zot_binary_source: local").replace(
            "# zot_binary_local_path: /path/on/the/controller/zot-linux-amd64",
            f"zot_binary_local_path: {zot.binary('full')}",
        )
    )
    (inventory / "host_vars").mkdir()
    (inventory / "host_vars" / "registry.example.org.yml").write_text(
        "ansible_connection: containers.podman.podman\n"
        f"ansible_host: {HOST}\nansible_user: root\nzot_http_port: {PORT}\n"
    )
    password = work / "vault-password"
    password.write_text("quickstart-test-vault-password\n")
    vault = inventory / "group_vars" / "zot_registries" / "vault.yml"
    vault.write_text(
        'vault_zot_ci_password: "quickstart-ci-password-42"\n'
        'vault_zot_admin_password: "quickstart-admin-password-42"\n'
        'vault_zot_prometheus_password: "quickstart-metrics-password-42"\n'
    )
    encrypt = _run(
        work, env, str(BIN / "ansible-vault"), "encrypt", "--vault-password-file", str(password), str(vault)
    )
    assert encrypt.returncode == 0, encrypt.stderr

    subprocess.run(["podman", "rm", "-f", HOST], capture_output=True, check=False)
    subprocess.run(["bash", str(ROOT / "scripts" / "test-host.sh"), HOST], check=True)
    site = [str(BIN / "ansible-playbook"), "-i", "inventory/hosts.yml", "zotops.registry.site"]
    yield work, env, site + ["--vault-password-file", str(password)]
    subprocess.run(["podman", "rm", "-f", HOST], capture_output=True, check=False)


def _inventory_files(work):
    return sorted(str(path.relative_to(work)) for path in (work / "inventory").rglob("*"))


def test_the_dry_run_changes_nothing_anywhere(quickstart):
    work, env, site = quickstart
    before = _inventory_files(work)
    run = _run(work, env, *site, "--check", "--diff")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert _on_host("test", "-e", "/etc/zot").returncode == 1, "the dry run created /etc/zot"
    assert _on_host("test", "-e", "/usr/local/bin/zot").returncode == 1, "the dry run installed zot"
    assert _inventory_files(work) == before, "the dry run wrote into the inventory"


def test_the_converge_deploys_a_verified_registry(quickstart):
    work, env, site = quickstart
    run = _run(work, env, *site)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "Show the verification result" in run.stdout
    assert "FAILED" not in run.stdout.split("Show the verification result", 1)[1]
    base = f"http://127.0.0.1:{PORT}"
    assert requests.get(f"{base}/v2/", timeout=10).status_code == 200
    upload = requests.post(f"{base}/v2/team/app/blobs/uploads/", timeout=10)
    assert upload.status_code == 401, "anonymous push was not refused"
    ci = requests.post(
        f"{base}/v2/team/app/blobs/uploads/", auth=("ci", "quickstart-ci-password-42"), timeout=10
    )
    assert ci.status_code == 202, "CI cannot start a push"
