"""Start and stop registry processes on loopback for tests (zot, the zot double, Debian's
docker-registry). tests/integration/conftest.py wraps these in pytest fixtures; other test
code may import them directly (`from tests.zot_double.harness import start_registry`)."""

import copy
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from ansible_collections.zotops.registry.plugins.plugin_utils.htpasswd import hash_password

DOUBLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "zot_double.py")
READY_TIMEOUT = 20
_instance_numbers = itertools.count(1)


def registry_binary():
    """The registry under test: $ZOT_BINARY when set, else the zot double."""
    return os.environ.get("ZOT_BINARY") or DOUBLE


def registry_command(binary=None):
    """argv prefix running the binary; the double runs on this interpreter (it has bcrypt)."""
    binary = binary or registry_binary()
    return [sys.executable, binary] if binary.endswith(".py") else [binary]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def htpasswd_line(user, password):
    """One htpasswd line with a bcrypt ($2y$, cost 10) hash, as htpasswd -B writes it."""
    return f"{user}:{hash_password(password, 10)}"


def _substitute(value, tmp):
    if isinstance(value, str):
        return value.replace("{tmp}", tmp)
    if isinstance(value, dict):
        return {k: _substitute(v, tmp) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, tmp) for v in value]
    return value


class Process:
    """A child process with its output in a log file; stop() always reaps it."""

    def __init__(self, argv, cwd, log_path, ready_url):
        self.argv, self.cwd, self.log_path, self.ready_url = argv, cwd, log_path, ready_url
        self.process = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed argv built by the harness
                self.argv, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.argv} exited with {self.process.returncode}:\n{self.log_text()}")
            try:
                with urllib.request.urlopen(self.ready_url, timeout=2):
                    return self
            except urllib.error.HTTPError:
                return self  # it answers: ready enough for a registry without /readyz
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.argv} not ready after {READY_TIMEOUT}s:\n{self.log_text()}")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_text(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()


class Registry(Process):
    """A running zot (or double): .url, .host, .root, .config, .config_path."""

    def __init__(self, argv, cwd, log_path, config, config_path):
        self.config, self.config_path = config, config_path
        http = config["http"]
        scheme = "https" if (http.get("tls") or {}).get("cert") else "http"
        self.host = f"{http['address']}:{http['port']}"
        self.url = f"{scheme}://{self.host}"
        self.root = config["storage"]["rootDirectory"]
        super().__init__(argv, cwd, log_path, self.url + "/readyz")

    def restart(self):
        self.stop()
        return self.start()


def start_registry(tmp_path, config, files=None):
    """Write files and the config under tmp_path, start the registry, wait for /readyz.

    Unset http.address/http.port become 127.0.0.1 and a free port, an unset
    storage.rootDirectory a fresh directory under tmp_path; "{tmp}" in config strings and
    file contents is replaced by tmp_path. Relative paths resolve against tmp_path.
    """
    tmp = str(tmp_path)
    number = next(_instance_numbers)
    for name, content in (files or {}).items():
        path = os.path.join(tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(content.replace("{tmp}", tmp))
    config = _substitute(copy.deepcopy(config), tmp)
    http = config.setdefault("http", {})
    http.setdefault("address", "127.0.0.1")
    http["port"] = str(http.get("port") or free_port())
    storage = config.setdefault("storage", {})
    storage.setdefault("rootDirectory", os.path.join(tmp, f"zot-{number}"))
    config_path = os.path.join(tmp, f"zot-{number}.json")
    with open(config_path, "w", encoding="utf-8") as handle:
        json.dump(config, handle, indent=2)
    argv = registry_command() + ["serve", config_path]
    log_path = os.path.join(tmp, f"zot-{number}.log")
    return Registry(argv, tmp, log_path, config, config_path).start()


def docker_registry_binary():
    return shutil.which("docker-registry")


def start_docker_registry(tmp_path):
    """Debian's docker-registry (CNCF distribution) on a free loopback port, no auth."""
    number = next(_instance_numbers)
    port = free_port()
    root = os.path.join(str(tmp_path), f"upstream-{number}")
    config_path = root + ".yml"
    with open(config_path, "w", encoding="utf-8") as handle:
        handle.write(
            "version: 0.1\n"
            "log:\n  level: info\n"
            f"storage:\n  filesystem:\n    rootdirectory: {root}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: 127.0.0.1:{port}\n"
        )
    argv = [docker_registry_binary(), "serve", config_path]
    upstream = Process(argv, str(tmp_path), root + ".log", f"http://127.0.0.1:{port}/v2/")
    upstream.host, upstream.url = f"127.0.0.1:{port}", f"http://127.0.0.1:{port}"
    return upstream.start()
