# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""containerd_mirror role, run with ansible-playbook against localhost.

minikube cannot run on these machines, so minikube mode runs against a stub `minikube` that
records its arguments and keeps the node's files in a directory. Host mode runs against a
real containerd (started here with its own root, state and socket) whose `ctr` pulls through
real zot from a loopback upstream registry.
"""

import base64
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

from tests.support.playbook import run_playbook
from harness import caddy, docker_registry
from harness.tls import make_certificates

PLAY = {
    "hosts": "localhost",
    "connection": "local",
    "gather_facts": False,
    "roles": [{"role": "zotops.registry.containerd_mirror"}],
}
SECRET_KEY = "zak_0123456789abcdef0123456789abcdef"


def run_role(tmp_path, role_vars, **options):
    """Run the role on localhost with role_vars as extra vars; options are run_playbook's."""
    return run_playbook(tmp_path, [PLAY], extra_vars=role_vars, **options)


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
            {"name": "ghcr.io", "urls": ["https://ghcr.io"], "prefix": "ghcr.io", "tls_verify": False},
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

    assert first.recap["changed"] >= 3
    commands = [call["args"] for call in first_calls]
    assert commands[0] == ["--profile=ci", "status", "--format={{.Host}}"]
    ssh = [args[args.index("--") + 1] for args in commands[1:]]
    assert [cmd.split()[1] for cmd in ssh] == ["sha256sum", "sha256sum", "install", "install"]
    assert all(args[:2] == ["--profile=ci", "ssh"] for args in commands[1:])
    assert {call["MINIKUBE_HOME"] for call in first_calls} == {str(tmp_path / "mk")}
    assert not (tmp_path / "config.toml").exists()

    second = run_role(tmp_path, role_vars, env=minikube["env"])
    assert second.recap["changed"] == 0
    assert not [c for c in minikube["calls"]() if "install" in " ".join(c["args"])]


def test_minikube_mode_with_a_stopped_node_only_writes_the_start_files(tmp_path, minikube):
    minikube["state"].write_text("Stopped")

    result = run_role(tmp_path, minikube_vars(tmp_path), env=minikube["env"])

    assert result.recap["failed"] == 0
    assert [call["args"][1] for call in minikube["calls"]()] == ["status"]
    start_files = tmp_path / "mk" / ".minikube" / "files" / "etc" / "containerd" / "certs.d"
    assert (start_files / "ghcr.io" / "hosts.toml").exists()
    assert not minikube["node"].exists()


def test_minikube_mode_without_minikube_fails_naming_the_command(tmp_path, minikube):
    role_vars = minikube_vars(tmp_path, containerd_mirror_minikube_binary="/nonexistent/minikube")

    result = run_role(tmp_path, role_vars, env=minikube["env"], expect_success=False)

    assert "/nonexistent/minikube" in result.stdout


def test_minikube_mode_keeps_the_api_key_out_of_output_and_arguments(tmp_path, minikube):
    role_vars = minikube_vars(tmp_path, containerd_mirror_auth={"username": "ci-bot", "api_key": SECRET_KEY})

    result = run_role(tmp_path, role_vars, diff=True, env=minikube["env"])

    header = "Basic " + base64.b64encode(f"ci-bot:{SECRET_KEY}".encode()).decode()
    in_node = minikube["node"] / "etc" / "containerd" / "certs.d" / "docker.io" / "hosts.toml"
    assert f'Authorization = "{header}"' in in_node.read_text()
    assert (in_node.parent / "hosts.toml.mode").read_text() == "0600"
    calls = json.dumps(minikube["calls"]())
    for secret in (SECRET_KEY, header.split()[1]):
        assert secret not in result.output
        assert secret not in calls
    start_file = tmp_path / "mk" / ".minikube" / "files/etc/containerd/certs.d/docker.io/hosts.toml"
    assert start_file.stat().st_mode & 0o777 == 0o600
    assert start_file.read_bytes() == in_node.read_bytes()


# ---------------------------------------------------------------------------------------
# host mode, against a real containerd pulling through real zot
# ---------------------------------------------------------------------------------------

IMAGE = "docker.io/library/payload:1.0"
# The test's own containerd, CRI plugin included (it is what reads config_path).
CONTAINERD_CONFIG = """\
# containerd for the containerd_mirror tests
version = 2
root = "{root}"
state = "{state}"

[grpc]
  address = "{socket}"  # short path: unix sockets are limited to 108 bytes
"""


class Containerd:
    """A containerd process with its own root, state and socket, and a `ctr` for it."""

    def __init__(self, tmp_path):
        self.dir = tmp_path / "containerd"
        self.dir.mkdir()
        self.socket_dir = tempfile.mkdtemp(prefix="ctr-")
        self.address = os.path.join(self.socket_dir, "containerd.sock")
        self.config = self.dir / "config.toml"
        self.config.write_text(
            CONTAINERD_CONFIG.format(
                root=self.dir / "root", state=self.socket_dir + "/state", socket=self.address
            )
        )
        self.process = None
        self.snapshotter = None

    def start(self):
        with open(self.dir / "containerd.log", "ab") as log:
            self.process = subprocess.Popen(
                ["containerd", "--config", str(self.config)], stdout=log, stderr=log
            )
        deadline = time.monotonic() + 20
        while self.ctr("version", check=False).returncode != 0:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                return False
            time.sleep(0.1)
        plugins = self.ctr("plugins", "ls").stdout
        overlay_ok = re.search(r"io\.containerd\.snapshotter\.v1\s+overlayfs\s+\S+\s+ok", plugins)
        self.snapshotter = "overlayfs" if overlay_ok else "native"
        return True

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)

    def log_text(self):
        return (self.dir / "containerd.log").read_text(errors="replace")

    def ctr(self, *args, check=True):
        result = subprocess.run(
            ["ctr", "--address", self.address, *args], capture_output=True, text=True, check=False
        )
        if check:
            assert result.returncode == 0, f"ctr {args}: {result.stdout}{result.stderr}"
        return result

    def pull(self, hosts_dir, image=IMAGE):
        return self.ctr(
            "images", "pull", "--snapshotter", self.snapshotter, "--hosts-dir", str(hosts_dir), image
        )

    def forget(self, image=IMAGE):
        """Remove the image and, through synchronous garbage collection, its content."""
        self.ctr("images", "rm", "--sync", image)
        assert self.ctr("content", "ls", "--quiet").stdout.strip() == ""


@pytest.fixture
def containerd(tmp_path):
    if not (shutil.which("containerd") and shutil.which("ctr")):
        pytest.skip("containerd and ctr are not installed")
    if os.geteuid() != 0:
        pytest.skip("containerd needs root to start")
    instance = Containerd(tmp_path)
    if not instance.start():
        pytest.skip(f"containerd cannot start here:\n{instance.log_text()[-2000:]}")
    # The role edits this config; the test restarts containerd on it to prove it still loads.
    yield instance
    instance.stop()
    shutil.rmtree(instance.socket_dir, ignore_errors=True)


@pytest.fixture
def upstream(tmp_path, make_oci_layout):
    """Debian's docker-registry on loopback, seeded with library/payload:1.0 (docker.io's
    stand-in: tests never reach the real docker.io)."""
    if not docker_registry.binary():
        pytest.skip("docker-registry (Debian package) is not installed")
    registry = docker_registry.start(tmp_path)
    make_oci_layout(tmp_path / "layout", "1.0", b"pulled through zot")
    subprocess.run(
        [
            "skopeo",
            "copy",
            "--insecure-policy",
            "--dest-tls-verify=false",
            f"oci:{tmp_path / 'layout'}:1.0",
            f"docker://{registry.host}/library/payload:1.0",
        ],
        check=True,
        capture_output=True,
    )
    yield registry
    registry.stop()


def shared_upstreams(upstream):
    """The one upstream list both roles read (zot_sync_upstreams / containerd_mirror_upstreams)."""
    return [{"name": "docker.io", "urls": [upstream.url], "prefix": "docker.io", "tls_verify": False}]


def zot_sync(upstreams):
    """zot's on-demand sync config for the shared list (what the zot role renders)."""
    return {
        "sync": {
            "enable": True,
            "registries": [
                {
                    "urls": item["urls"],
                    "onDemand": True,
                    "tlsVerify": item["tls_verify"],
                    "content": [{"prefix": "**", "destination": "/" + item["prefix"]}],
                }
                for item in upstreams
            ],
        }
    }


def catalog(registry, auth=None):
    request = urllib.request.Request(registry.url + "/v2/_catalog")
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", "Basic " + token)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["repositories"]


def host_vars(tmp_path, registry, upstreams, config_file, **extra):
    return {
        "containerd_mirror_registry_url": registry.url,
        "containerd_mirror_upstreams": upstreams,
        "containerd_mirror_certs_dir": str(tmp_path / "certs.d"),
        "containerd_mirror_config_file": str(config_file),
        # There is no containerd service here; the test restarts its own containerd.
        "containerd_mirror_restart": False,
        **extra,
    }


@pytest.mark.integration
def test_containerd_pulls_through_zot_and_keeps_pulling_without_the_upstream(
    tmp_path, start_registry, upstream, containerd
):
    upstreams = shared_upstreams(upstream)
    zot = start_registry(tmp_path, {"extensions": zot_sync(upstreams)})
    original_config = containerd.config.read_text()
    role_vars = host_vars(tmp_path, zot, upstreams, containerd.config)

    first = run_role(tmp_path, role_vars, diff=True)
    assert first.recap["changed"] == 3  # directory, hosts.toml, config.toml

    # config.toml: the old text untouched, config_path added, and containerd reads it so.
    edited = containerd.config.read_text()
    assert edited.startswith(original_config)
    dump = subprocess.run(
        ["containerd", "--config", str(containerd.config), "config", "dump"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f'config_path = "{tmp_path / "certs.d"}"' in dump
    containerd.stop()
    assert containerd.start(), "containerd does not start with the edited config"
    assert f"Registry:{{ConfigPath:{tmp_path / 'certs.d'} " in containerd.log_text()

    assert "docker.io/library/payload" not in catalog(zot)
    containerd.pull(tmp_path / "certs.d")
    assert "docker.io/library/payload" in catalog(zot)
    assert (pathlib.Path(zot.root) / "docker.io" / "library" / "payload" / "index.json").exists()

    # With the upstream gone, containerd's fallback server is dead: only zot's cache answers.
    upstream.stop()
    containerd.forget()
    containerd.pull(tmp_path / "certs.d")

    second = run_role(tmp_path, role_vars)
    assert second.recap["changed"] == 0


@pytest.mark.integration
def test_containerd_pulls_through_the_example_caddy_over_https(
    tmp_path, start_registry, upstream, containerd
):
    """The plan's topology: zot on loopback behind Debian's Caddy (docs/examples/Caddyfile)
    with a test CA, which the role names in hosts.toml (containerd_mirror_ca_file)."""
    upstreams = shared_upstreams(upstream)
    zot = start_registry(tmp_path, {"extensions": zot_sync(upstreams)})
    certificates = make_certificates(str(tmp_path))
    proxy = caddy.start(tmp_path, zot.host, certificates)
    try:
        role_vars = host_vars(
            tmp_path, proxy, upstreams, containerd.config, containerd_mirror_ca_file=certificates["ca"]
        )
        assert run_role(tmp_path, role_vars).recap["failed"] == 0
        assert (
            f'ca = "{certificates["ca"]}"' in (tmp_path / "certs.d" / "docker.io" / "hosts.toml").read_text()
        )
        containerd.stop()
        assert containerd.start(), "containerd does not start with the edited config"
        containerd.pull(tmp_path / "certs.d")
        # zot is reached only through Caddy: its cache now holds the image.
        assert "docker.io/library/payload" in catalog(zot)
    finally:
        proxy.stop()


@pytest.mark.integration
def test_pulls_carry_the_api_key_and_the_key_never_shows(
    tmp_path, start_registry, htpasswd_line, upstream, containerd
):
    upstreams = shared_upstreams(upstream)
    config = {
        "http": {
            "auth": {"htpasswd": {"path": "{tmp}/htpasswd"}, "apikey": True},
            "accessControl": {
                "repositories": {"**": {"policies": [{"users": ["node"], "actions": ["read"]}]}}
            },
        },
        "extensions": zot_sync(upstreams),
    }
    zot = start_registry(tmp_path, config, {"htpasswd": htpasswd_line("node", "node-pw-123") + "\n"})
    request = urllib.request.Request(
        zot.url + "/zot/auth/apikey",
        data=json.dumps({"label": "containerd"}).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Authorization": "Basic " + base64.b64encode(b"node:node-pw-123").decode(),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        api_key = json.load(response)["apiKey"]
    role_vars = host_vars(
        tmp_path,
        zot,
        upstreams,
        containerd.config,
        containerd_mirror_auth={"username": "node", "api_key": api_key},
    )

    result = run_role(tmp_path, role_vars, diff=True)

    assert result.recap["failed"] == 0
    header = base64.b64encode(f"node:{api_key}".encode()).decode()
    assert api_key not in result.output
    assert header not in result.output
    hosts_file = tmp_path / "certs.d" / "docker.io" / "hosts.toml"
    assert hosts_file.stat().st_mode & 0o777 == 0o600
    containerd.pull(tmp_path / "certs.d")
    # Without the header zot answers 401 and containerd would fall back to the upstream.
    assert "docker.io/library/payload" in catalog(zot, ("node", api_key))


def test_check_mode_on_a_fresh_node_changes_nothing_and_shows_the_files(tmp_path):
    role_vars = {
        "containerd_mirror_registry_url": "http://zot.internal:5000",
        "containerd_mirror_upstreams": [
            {"name": "docker.io", "urls": ["https://registry-1.docker.io"], "prefix": "docker.io"}
        ],
        "containerd_mirror_certs_dir": str(tmp_path / "etc/containerd/certs.d"),
        "containerd_mirror_config_file": str(tmp_path / "etc/containerd/config.toml"),
        "containerd_mirror_restart": False,  # no service manager on this machine
    }

    result = run_role(tmp_path, role_vars, check=True, diff=True)

    assert result.recap["changed"] == 3
    assert '[host."http://zot.internal:5000/v2/docker.io"]' in result.stdout
    assert "config_path = " in result.stdout
    assert not (tmp_path / "etc").exists()


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"containerd_mirror_registry_url": "zot:5000"}, "containerd_mirror_registry_url must be"),
        (
            {"containerd_mirror_upstreams": [{"name": "docker.io", "urls": [], "prefix": "d"}]},
            "containerd_mirror_upstreams[0].urls: must be a non-empty list",
        ),
        (
            {"containerd_mirror_auth": {"username": "node"}},
            "containerd_mirror_auth needs username",
        ),
    ],
)
def test_bad_settings_fail_before_anything_is_written(tmp_path, bad, message):
    role_vars = {
        "containerd_mirror_registry_url": "http://zot.internal:5000",
        "containerd_mirror_upstreams": [
            {"name": "docker.io", "urls": ["https://registry-1.docker.io"], "prefix": "docker.io"}
        ],
        "containerd_mirror_certs_dir": str(tmp_path / "certs.d"),
        "containerd_mirror_config_file": str(tmp_path / "config.toml"),
        **bad,
    }

    result = run_role(tmp_path, role_vars, expect_success=False)

    assert message in result.stdout
    assert not (tmp_path / "certs.d").exists()


def test_a_bad_upstream_is_named_without_showing_its_credentials(tmp_path):
    # The zot role and this role share one upstream list, with Docker Hub tokens in it.
    canary = "canary-upstream-token-7c1e9d"
    upstream = {
        "name": "docker.io",
        "urls": ["https://registry-1.docker.io"],
        "credentials": {"username": "hub-user", "password": canary},
    }
    role_vars = {
        "containerd_mirror_registry_url": "http://zot.internal:5000",
        "containerd_mirror_upstreams": [upstream],  # no prefix
        "containerd_mirror_certs_dir": str(tmp_path / "certs.d"),
        "containerd_mirror_config_file": str(tmp_path / "config.toml"),
    }

    result = run_role(tmp_path, role_vars, expect_success=False, verbose=3)

    assert "containerd_mirror_upstreams[0].prefix: must be a string" in result.stdout
    assert canary not in result.stdout + result.stderr
