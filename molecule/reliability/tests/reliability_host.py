# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The converged reliability test host, driven from the controller.

- run_playbook: playbooks/site.yml against the host, always with -vvv and --diff, and the
  output scanned for every vault secret (a hit fails the calling test);
- fingerprint: what "the host is unchanged" means (file digests, modes, the zot process);
- seed images pushed before a scenario and pulled after it, digests compared.

Everything talks to the host with `podman exec` and to zot over 127.0.0.1:5090.
"""

import hashlib
import json
import os
import pathlib
import signal
import subprocess
import tempfile
import time
import uuid

import requests

from tests.support.oci_layout import make_oci_layout
from tests.support.vault import load_test_secrets

ROOT = pathlib.Path(__file__).resolve().parents[3]
CONTAINER = "zotops-reliability"
PORT = 5090
REGISTRY = "127.0.0.1:%d" % PORT
URL = "http://" + REGISTRY
PLAYBOOK = ROOT / "playbooks" / "site.yml"
SECRETS = load_test_secrets()
CI = ("ci", SECRETS["vault_zot_ci_password"])
ADMIN = ("admin", SECRETS["vault_zot_admin_password"])
# Upper bound for one playbook run; a converge of this host takes well under a minute.
PLAYBOOK_TIMEOUT = 300
# Files whose bytes, owner and mode must survive a rejected input unchanged.
WATCHED_FILES = (
    "/usr/local/bin/zot",  # first: fingerprint() stats it instead of hashing it
    "/etc/systemd/system/zot.service",
    "/etc/zot/config.json",
    "/etc/zot/htpasswd",
    "/etc/zot/session-keys.json",
)
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def host_run(*argv, check=True, timeout=60):
    """Run argv on the test host as root."""
    result = subprocess.run(
        ["podman", "exec", CONTAINER, *argv], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (argv, result.returncode, result.stderr))
    return result


def host_shell(script, check=True, timeout=60):
    return host_run("sh", "-c", script, check=check, timeout=timeout)


def write_inventory(directory):
    """An inventory for the host next to the test inventory's group_vars and the scenario's
    host_vars, so playbook runs here see exactly what `molecule converge` saw."""
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name, target in (
        ("group_vars", ROOT / "tests" / "inventory" / "group_vars"),
        ("host_vars", ROOT / "molecule" / "reliability" / "host_vars"),
    ):
        link = directory / name
        if not link.exists():
            link.symlink_to(target)
    hosts = directory / "hosts.yml"
    hosts.write_text(
        "zot_registries:\n"
        "  hosts:\n"
        "    %s:\n"
        "      ansible_connection: podman\n"
        "      ansible_python_interpreter: /usr/bin/python3\n" % CONTAINER
    )
    return hosts


# Facts are gathered once and reused by the scenario's many playbook runs (the host's
# facts do not change between them), instead of once per run over podman exec.
FACT_CACHE = tempfile.mkdtemp(prefix="zotops-reliability-facts-")


def playbook_env():
    env = dict(os.environ)
    env.update(
        ANSIBLE_GATHERING="smart",
        ANSIBLE_CACHE_PLUGIN="jsonfile",
        ANSIBLE_CACHE_PLUGIN_CONNECTION=FACT_CACHE,
        ANSIBLE_CACHE_PLUGIN_TIMEOUT="7200",
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_VAULT_PASSWORD_FILE=str(ROOT / "tests" / "inventory" / "vault-password.txt"),
        # One line per result, no YAML re-wrapping: error messages can be matched as written.
        ANSIBLE_CALLBACK_RESULT_FORMAT="json",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
    )
    return env


def playbook_argv(inventory, extra_vars=None, check=False):
    argv = ["ansible-playbook", "-i", str(inventory), str(PLAYBOOK), "--tags", "zot", "-vvv", "--diff"]
    if check:
        argv.append("--check")
    if extra_vars:
        argv += ["-e", json.dumps(extra_vars)]
    return argv


def leaked_secrets(text, extra_secrets=()):
    """Names of the vault secrets (and any extra secret values) that appear in text."""
    found = [name for name, value in SECRETS.items() if value and value in text]
    return found + ["extra secret #%d" % i for i, value in enumerate(extra_secrets) if value in text]


class PlaybookRun:
    def __init__(self, argv, returncode, output):
        self.argv, self.returncode, self.output = argv, returncode, output

    def __repr__(self):
        return "<PlaybookRun rc=%s, last output:\n%s>" % (self.returncode, self.output[-4000:])


def run_playbook(inventory, extra_vars=None, check=False, extra_secrets=()):
    """Run site.yml (-vvv --diff) and fail if its output shows a secret."""
    argv = playbook_argv(inventory, extra_vars, check)
    result = subprocess.run(
        argv,
        cwd=ROOT,
        env=playbook_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=PLAYBOOK_TIMEOUT,
        check=False,
    )
    leaks = leaked_secrets(result.stdout, extra_secrets)
    assert not leaks, "playbook output shows secret values: %s" % leaks
    return PlaybookRun(argv, result.returncode, result.stdout)


def start_playbook(inventory, extra_vars=None):
    """Start site.yml in the background (own process group); returns (process, output path)."""
    output = tempfile.NamedTemporaryFile(prefix="reliability-", suffix=".log", delete=False)
    process = subprocess.Popen(
        playbook_argv(inventory, extra_vars),
        cwd=ROOT,
        env=playbook_env(),
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return process, output.name


def kill_playbook(process):
    """SIGKILL the playbook and every worker it forked, as an operator's kill -9 would."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def wait_for(predicate, timeout, what):
    """Poll predicate until it returns a truthy value (bounded, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError("gave up waiting for %s after %ss" % (what, timeout))


def zot_pid():
    return host_run("systemctl", "show", "-p", "MainPID", "--value", "zot").stdout.strip()


def fingerprint():
    """Owner, mode and digest of every watched file, and the running zot's PID (a restart
    would change it). The zot binary (over 200 MB) is identified by inode, size and change
    time instead of its digest: the role replaces it by rename (a new inode), and any write in
    place moves its change time, which no user can set."""
    files = " ".join(WATCHED_FILES[1:])
    listing = host_shell(
        "stat -c '%%n %%U:%%G:%%a %%i %%s %%Z' %s; "
        'for f in %s; do printf \'%%s %%s \' "$f" "$(stat -c \'%%U:%%G:%%a\' "$f")"; '
        'sha256sum < "$f"; done' % (WATCHED_FILES[0], files)
    ).stdout
    return {"files": listing.splitlines(), "zot_pid": zot_pid()}


def registry_ready():
    try:
        return requests.get(URL + "/readyz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def skopeo(*args, timeout=120):
    return subprocess.run(
        ["skopeo", "--insecure-policy", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


class SeedImage:
    """An image pushed through the registry; pull() checks it comes back bit for bit."""

    def __init__(self, repo, tag, digest):
        self.repo, self.tag, self.digest = repo, tag, digest

    def __repr__(self):
        return "%s:%s@%s" % (self.repo, self.tag, self.digest)


def push_seed(workdir, label, creds=CI):
    """Push a small unique image with skopeo as CI; return it as a SeedImage."""
    layout = pathlib.Path(workdir) / ("layout-" + uuid.uuid4().hex[:8])
    make_oci_layout(layout, "v1", ("%s %s" % (label, uuid.uuid4())).encode())
    repo = "reliability/%s-%s" % (label, uuid.uuid4().hex[:8])
    result = skopeo(
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds=%s:%s" % creds,
        "oci:%s:v1" % layout,
        "docker://%s/%s:v1" % (REGISTRY, repo),
    )
    assert result.returncode == 0, result.stderr
    # skopeo compresses the layer on the way, so the registry's digest is the reference.
    image = SeedImage(repo, "v1", None)
    image.digest = pull_digest(image)
    return image


def pull_digest(image):
    """Pull manifest (by tag) and every blob anonymously; check each blob's digest; return the
    manifest's digest."""
    response = requests.get(
        "%s/v2/%s/manifests/%s" % (URL, image.repo, image.tag), headers={"Accept": OCI_MANIFEST}, timeout=30
    )
    assert response.status_code == 200, (image, response.status_code, response.text[:300])
    manifest = response.json()
    for descriptor in [manifest["config"], *manifest["layers"]]:
        blob = requests.get("%s/v2/%s/blobs/%s" % (URL, image.repo, descriptor["digest"]), timeout=30)
        assert blob.status_code == 200, (image, descriptor, blob.status_code)
        assert "sha256:" + hashlib.sha256(blob.content).hexdigest() == descriptor["digest"]
    return "sha256:" + hashlib.sha256(response.content).hexdigest()
