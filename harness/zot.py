# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Real zot on loopback: the binary under test, and registries started from a config dict.

The binary is $ZOT_BINARY (scripts/env.sh sets it to what scripts/get-zot.sh provides, the
minimal flavour as $ZOT_MINIMAL_BINARY). There is no fallback: a run without zot fails."""

import itertools
import json
import os
import subprocess

from ansible_collections.zotops.registry.plugins.plugin_utils._zot.htpasswd import hash_password
from harness.placeholders import fill
from harness.process import Process, free_port

_numbers = itertools.count(1)


def binary(flavour="full"):
    """Path of the zot binary under test; a clear error when setup has not provided it."""
    variable = "ZOT_MINIMAL_BINARY" if flavour == "minimal" else "ZOT_BINARY"
    path = os.environ.get(variable)
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError(
            f"${variable} does not name a zot binary: run `bash scripts/setup.sh` and `source scripts/env.sh`"
        )
    return path


def version_line(path):
    """What `zot -v` says about the binary (commit, binary type, Go version)."""
    result = subprocess.run([path, "-v"], capture_output=True, text=True, check=False, timeout=30)  # noqa: S603
    fields = json.loads((result.stdout or result.stderr).strip().splitlines()[-1])
    return " ".join(f"{key}={fields.get(key)}" for key in ("commit", "binary-type", "go version"))


def htpasswd_line(user, password):
    """One htpasswd line with a bcrypt ($2y$, cost 10) hash, as htpasswd -B writes it."""
    return f"{user}:{hash_password(password, 10)}"


class Registry(Process):
    """A running zot: .url, .host, .root, .config, .config_path."""

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


def start(tmp_path, config, files=None, flavour="full"):
    """Write files and the config under tmp_path, start zot, wait for /readyz.

    Unset http.address/http.port become 127.0.0.1 and a free port, an unset
    storage.rootDirectory a fresh directory under tmp_path; "{tmp}" in config strings and
    file contents is replaced by tmp_path. Relative paths resolve against tmp_path.
    """
    tmp = str(tmp_path)
    number = next(_numbers)
    for name, content in (files or {}).items():
        path = os.path.join(tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(content.replace("{tmp}", tmp))
    config = fill(config, {"{tmp}": tmp})
    http = config.setdefault("http", {})
    http.setdefault("address", "127.0.0.1")
    http["port"] = str(http.get("port") or free_port())
    storage = config.setdefault("storage", {})
    storage.setdefault("rootDirectory", os.path.join(tmp, f"zot-{number}"))
    config_path = os.path.join(tmp, f"zot-{number}.json")
    with open(config_path, "w", encoding="utf-8") as handle:
        json.dump(config, handle, indent=2)
    argv = [binary(flavour), "serve", config_path]
    log_path = os.path.join(tmp, f"zot-{number}.log")
    return Registry(argv, tmp, log_path, config, config_path).start()
