# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""`--check --diff` on the site playbook never shows a secret, on a fresh host and on a
converged one.

A podman systemd host (container zotops-secrets, zot on 127.0.0.1:5080) gets
playbooks/site.yml --tags zot three times, each with -vvv: a dry run on the fresh host,
a converge, and a second dry run. The dry run on the fresh host must succeed, name the
files it would create and write nothing on the controller either; the second must change
nothing. Every vault secret of the test inventory (tests/support/vault.py) and every machine
secret the role generated is then searched for in all the output: one hit fails. The
generated secrets are kept where the role keeps them by default, in the inventory
directory, and only vault-encrypted.
"""

import os
import sys
import pathlib
import shutil
import subprocess
import time

import pytest
import yaml

from tests.support.vault import INVENTORY, load_test_secrets, machine_secret

pytestmark = pytest.mark.integration

ROOT = pathlib.Path(__file__).resolve().parents[2]
HOST = "zotops-secrets"
PORT = 5080


def _podman_usable() -> str | None:
    """Why podman cannot boot the test host here, or None when it can."""
    if not shutil.which("podman"):
        return "podman is not installed"
    image_file = ROOT / ".cache" / "test-image"
    if not image_file.is_file():
        return "no test-host image (run scripts/setup.sh)"
    image = image_file.read_text().strip()
    probe = subprocess.run(["podman", "image", "exists", image], capture_output=True, check=False)
    if probe.returncode != 0:
        return f"test-host image {image} is not built (run scripts/build-test-image.sh)"
    return None


def _start_host(image: str) -> None:
    subprocess.run(["podman", "rm", "-f", HOST], capture_output=True, check=False)
    subprocess.run(
        ["podman", "run", "-d", "--name", HOST, "--privileged", "--network", "host", "--systemd=always",
         "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=4096:4096",
         image, "/lib/systemd/systemd"],
        capture_output=True, check=True,
    )  # fmt: skip
    for _attempt in range(60):
        state = subprocess.run(
            ["podman", "exec", HOST, "systemctl", "is-system-running"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if state in ("running", "degraded"):
            return
        time.sleep(1)
    raise AssertionError(f"{HOST}: systemd did not finish booting (last state {state!r})")


def _write_inventory(directory: pathlib.Path) -> pathlib.Path:
    """The test inventory's group_vars (and its vault) with this test's own host and port."""
    hosts = {
        "zot_registries": {
            "hosts": {
                HOST: {
                    "ansible_connection": "podman",
                    "ansible_python_interpreter": "/usr/bin/python3",
                    "zot_http_port": PORT,
                    # The role's default, which the shared group_vars move out of the inventory.
                    "zot_machine_secrets_dir": "{{ inventory_dir }}/.zot-machine-secrets",
                }
            }
        }
    }
    (directory / "hosts.yml").write_text(yaml.safe_dump(hosts))
    (directory / "group_vars").symlink_to(INVENTORY / "group_vars")
    return directory / "hosts.yml"


def _playbook(inventory: pathlib.Path, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")
    env["ANSIBLE_NOCOLOR"] = "1"
    env.setdefault("ZOTOPS_ZOT_BINARY", (ROOT / ".cache" / "zot-binary").read_text().strip())
    ansible_playbook = pathlib.Path(sys.executable).parent / "ansible-playbook"
    command = [
        str(ansible_playbook), "playbooks/site.yml", "--tags", "zot", "-i", str(inventory),
        "--vault-password-file", str(INVENTORY / "vault-password.txt"), "-vvv", *extra,
    ]  # fmt: skip
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    reason = _podman_usable()
    if reason:
        pytest.skip(reason)
    image = (ROOT / ".cache" / "test-image").read_text().strip()
    inventory = _write_inventory(tmp_path_factory.mktemp("inventory"))
    _start_host(image)
    try:
        results = {"fresh check": _playbook(inventory, "--check", "--diff")}
        # What the dry run left in the inventory directory besides the inventory itself.
        results["fresh check"].controller_files = sorted(
            str(path.relative_to(inventory.parent)) for path in inventory.parent.rglob("*")
        )
        results["converge"] = _playbook(inventory, "--diff")
        results["converged check"] = _playbook(inventory, "--check", "--diff")
        yield dict(results, inventory=inventory)
    finally:
        subprocess.run(["podman", "rm", "-f", HOST], capture_output=True, check=False)


def _playbook_runs(runs):
    return [(name, result) for name, result in runs.items() if name != "inventory"]


def _recap(result: subprocess.CompletedProcess) -> str:
    return result.stdout[result.stdout.rfind("PLAY RECAP") :]


def _changed_tasks(result: subprocess.CompletedProcess) -> list[str]:
    """Names of the tasks that reported a change, for failure messages."""
    changed, task = [], None
    for line in result.stdout.splitlines():
        if line.startswith("TASK ["):
            task = line.split("]", 1)[0] + "]"
        elif line.startswith("changed: [") and task and task not in changed:
            changed.append(task)
    return changed


def test_dry_run_on_a_fresh_host_succeeds(runs):
    result = runs["fresh check"]
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_dry_run_on_a_fresh_host_lists_what_it_would_create(runs):
    result = runs["fresh check"]
    for path in ("/etc/zot/config.json", "/etc/systemd/system/zot.service"):
        assert path in result.stdout, f"the dry run does not mention {path}"
    assert "TASK [zotops.registry.zot : Write the secret files]" in result.stdout
    named = result.stdout.split("TASK [zotops.registry.zot : Name the secret files that changed", 1)
    assert len(named) == 2, "the dry run does not name the secret files it would write"
    for name in ("htpasswd", "session-keys.json"):
        assert name in named[1].split("TASK [", 1)[0], f"the dry run does not name the secret file {name}"
    assert "changed=0 " not in _recap(result)


def test_dry_run_writes_nothing_on_the_controller(runs):
    assert runs["fresh check"].controller_files == ["group_vars", "hosts.yml"]


def test_generated_secrets_are_vault_encrypted_in_the_inventory_directory(runs):
    directory = _secrets_dir(runs)
    assert sorted(path.name for path in directory.iterdir()) == ["ci-bot", "zotops-check-bystander"]
    for path in directory.iterdir():
        assert path.read_text().startswith("$ANSIBLE_VAULT;"), f"{path.name} is not vault-encrypted"
        assert len(machine_secret(path)) == 43


def _secrets_dir(runs) -> pathlib.Path:
    return runs["inventory"].parent / ".zot-machine-secrets"


def test_converge_then_dry_run_changes_nothing(runs):
    assert runs["converge"].returncode == 0, runs["converge"].stdout[-4000:] + runs["converge"].stderr[-2000:]
    result = runs["converged check"]
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "changed=0 " in _recap(result), _changed_tasks(result)


def test_no_secret_in_any_output(runs):
    secrets = {name: str(value) for name, value in load_test_secrets().items()}
    assert secrets, "the test inventory's vault holds no secret to look for"
    # The machine identities' secrets the role generated (zot_machine_secrets_dir).
    generated = sorted(_secrets_dir(runs).iterdir())
    assert generated, "the role generated no machine secret (zot_machine_secrets_dir)"
    secrets.update({f"generated secret of {path.name}": machine_secret(path) for path in generated})
    leaks = [
        f"{name} in the {run} output ({stream})"
        for run, result in _playbook_runs(runs)
        for stream, text in (("stdout", result.stdout), ("stderr", result.stderr))
        for name, value in secrets.items()
        if value in text
    ]
    assert leaks == []
