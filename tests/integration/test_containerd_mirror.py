"""containerd_mirror role, run with ansible-playbook against localhost.

minikube cannot run on these machines, so minikube mode runs against a stub `minikube` that
records its arguments and keeps the node's files in a directory. Host mode runs against a
real containerd (started here with its own root, state and socket) whose `ctr` pulls through
the zot double from a loopback upstream registry.
"""

import base64
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PLAYBOOK = """\
- hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: zotops.registry.containerd_mirror
"""
SECRET_KEY = "zak_0123456789abcdef0123456789abcdef"


def run_role(tmp_path, role_vars, *extra_args, env=None):
    """Run the role on localhost with role_vars; returns the finished process."""
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    (tmp_path / "vars.json").write_text(json.dumps(role_vars))
    command = [
        str(pathlib.Path(sys.executable).with_name("ansible-playbook")),
        "-i",
        "localhost,",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        "-e",
        f"@{tmp_path / 'vars.json'}",
        str(tmp_path / "play.yml"),
        *extra_args,
    ]
    environment = dict(
        os.environ,
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".cache" / "collections"),
        ANSIBLE_NOCOLOR="1",
        **(env or {}),
    )
    return subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, check=False
    )


def recap(process):
    """PLAY RECAP counters of the single host, e.g. {'ok': 9, 'changed': 0, ...}."""
    assert process.returncode == 0, process.stdout + process.stderr
    line = next(x for x in process.stdout.splitlines() if x.startswith("localhost"))
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", line)}


# ---------------------------------------------------------------------------------------
# minikube mode, against a stub minikube
# ---------------------------------------------------------------------------------------

STUB_MINIKUBE = """\
#!{python}
# Stub minikube: logs every call; `status` answers from $STUB_STATE; `ssh -- ...` runs the
# two commands the role sends against $STUB_NODE (the node's filesystem root).
import hashlib, json, os, pathlib, shlex, sys
args = sys.argv[1:]
call = {{"args": args, "MINIKUBE_HOME": os.environ.get("MINIKUBE_HOME")}}
with open(os.environ["STUB_LOG"], "a") as log:
    log.write(json.dumps(call) + "\\n")
node = pathlib.Path(os.environ["STUB_NODE"])
if "status" in args:
    state = pathlib.Path(os.environ["STUB_STATE"]).read_text().strip()
    print(state)
    sys.exit(0 if state == "Running" else 7)
if "ssh" in args:
    words = shlex.split(args[args.index("--") + 1])
    if words[:2] == ["sudo", "sha256sum"]:
        target = node / words[2].lstrip("/")
        if target.exists():
            print(hashlib.sha256(target.read_bytes()).hexdigest() + "  " + words[2])
        sys.exit(0)
    if words[:3] == ["sudo", "install", "-D"]:
        target = node / words[-1].lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(sys.stdin.buffer.read())
        (target.parent / (target.name + ".mode")).write_text(words[4])
        sys.exit(0)
sys.exit("stub minikube: unexpected call " + repr(args))
"""


@pytest.fixture
def minikube(tmp_path):
    """A stub minikube on PATH; returns its paths and a reader for its call log."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub = bin_dir / "minikube"
    stub.write_text(STUB_MINIKUBE.format(python=sys.executable))
    stub.chmod(0o755)
    paths = {
        "STUB_LOG": tmp_path / "minikube-calls.jsonl",
        "STUB_NODE": tmp_path / "node",
        "STUB_STATE": tmp_path / "node-state",
    }
    paths["STUB_STATE"].write_text("Running")
    env = {name: str(path) for name, path in paths.items()}
    env["PATH"] = f"{bin_dir}:{os.environ['PATH']}"

    def calls():
        if not paths["STUB_LOG"].exists():
            return []
        lines = paths["STUB_LOG"].read_text().splitlines()
        paths["STUB_LOG"].unlink()
        return [json.loads(line) for line in lines]

    return {"env": env, "node": paths["STUB_NODE"], "state": paths["STUB_STATE"], "calls": calls}


def minikube_vars(tmp_path, **extra):
    return {
        "containerd_mirror_mode": "minikube",
        "containerd_mirror_registry_url": "http://host.minikube.internal:5000",
        "containerd_mirror_minikube_profile": "ci",
        "containerd_mirror_minikube_home": str(tmp_path / "mk"),
        # Must stay untouched in minikube mode: kicbase's containerd already reads certs.d.
        "containerd_mirror_config_file": str(tmp_path / "config.toml"),
        "containerd_mirror_upstreams": [
            {"name": "docker.io", "urls": ["https://registry-1.docker.io"], "prefix": "docker.io"},
            {"name": "ghcr.io", "urls": ["https://ghcr.io"], "prefix": "ghcr.io", "content": []},
        ],
        **extra,
    }


def test_minikube_mode_writes_start_files_and_copies_them_into_the_running_node(tmp_path, minikube):
    role_vars = minikube_vars(tmp_path)

    first = run_role(tmp_path, role_vars, env=minikube["env"])
    first_calls = minikube["calls"]()

    # MINIKUBE_HOME=<dir> means files live in <dir>/.minikube/files, as minikube reads them.
    start_files = tmp_path / "mk" / ".minikube" / "files" / "etc" / "containerd" / "certs.d"
    local = (start_files / "docker.io" / "hosts.toml").read_text()
    assert '[host."http://host.minikube.internal:5000/v2/docker.io"]' in local
    assert 'server = "https://registry-1.docker.io"' in local
    for name in ("docker.io", "ghcr.io"):
        in_node = minikube["node"] / "etc" / "containerd" / "certs.d" / name / "hosts.toml"
        assert in_node.read_text() == (start_files / name / "hosts.toml").read_text()
        assert (in_node.parent / "hosts.toml.mode").read_text() == "0644"

    assert recap(first)["changed"] >= 3
    commands = [call["args"] for call in first_calls]
    assert commands[0] == ["--profile=ci", "status", "--format={{.Host}}"]
    ssh = [args[args.index("--") + 1] for args in commands[1:]]
    assert [cmd.split()[1] for cmd in ssh] == ["sha256sum", "sha256sum", "install", "install"]
    assert all(args[:2] == ["--profile=ci", "ssh"] for args in commands[1:])
    assert {call["MINIKUBE_HOME"] for call in first_calls} == {str(tmp_path / "mk")}
    assert not (tmp_path / "config.toml").exists()

    second = run_role(tmp_path, role_vars, env=minikube["env"])
    assert recap(second)["changed"] == 0
    assert not [c for c in minikube["calls"]() if "install" in " ".join(c["args"])]


def test_minikube_mode_with_a_stopped_node_only_writes_the_start_files(tmp_path, minikube):
    minikube["state"].write_text("Stopped")

    result = run_role(tmp_path, minikube_vars(tmp_path), env=minikube["env"])

    assert recap(result)["failed"] == 0
    assert [call["args"][1] for call in minikube["calls"]()] == ["status"]
    start_files = tmp_path / "mk" / ".minikube" / "files" / "etc" / "containerd" / "certs.d"
    assert (start_files / "ghcr.io" / "hosts.toml").exists()
    assert not minikube["node"].exists()


def test_minikube_mode_keeps_the_api_key_out_of_output_and_arguments(tmp_path, minikube):
    role_vars = minikube_vars(
        tmp_path, containerd_mirror_auth={"username": "ci-bot", "api_key": SECRET_KEY}
    )

    result = run_role(tmp_path, role_vars, "--diff", env=minikube["env"])

    header = "Basic " + base64.b64encode(f"ci-bot:{SECRET_KEY}".encode()).decode()
    in_node = minikube["node"] / "etc" / "containerd" / "certs.d" / "docker.io" / "hosts.toml"
    assert f'Authorization = "{header}"' in in_node.read_text()
    assert (in_node.parent / "hosts.toml.mode").read_text() == "0600"
    calls = json.dumps(minikube["calls"]())
    for secret in (SECRET_KEY, header.split()[1]):
        assert secret not in result.stdout + result.stderr
        assert secret not in calls
    start_file = tmp_path / "mk" / ".minikube" / "files/etc/containerd/certs.d/docker.io/hosts.toml"
    assert start_file.stat().st_mode & 0o777 == 0o600
    assert start_file.read_bytes() == in_node.read_bytes()
