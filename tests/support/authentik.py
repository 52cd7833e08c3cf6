# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The Authentik double (tests/authentik_double) as a process on loopback, for tests.

- start_double(workdir, token=API_TOKEN, version=...) -> (process, Authentik)
- Authentik(url, token): .get/.one/.patch on its API, to inspect or change its state
"""

import pathlib
import subprocess
import sys
import time

import requests

DOUBLE = pathlib.Path(__file__).resolve().parents[1] / "authentik_double" / "authentik_double.py"
API_TOKEN = "authentik-api-token-4f1c2b"


class Authentik:
    """A running double and a requests session to inspect or change its state."""

    def __init__(self, url, token=API_TOKEN):
        self.url = url
        self.http = requests.Session()
        self.http.headers["Authorization"] = "Bearer " + token

    def get(self, path, **params):
        resp = self.http.get(self.url + "/api/v3" + path, params=params)
        resp.raise_for_status()
        return resp.json()

    def one(self, path, **params):
        results = self.get(path, **params)["results"]
        assert len(results) <= 1
        return results[0] if results else None

    def patch(self, path, body):
        resp = self.http.patch(self.url + "/api/v3" + path, json=body)
        assert resp.status_code == 200, resp.text


def start_double(workdir, token=API_TOKEN, version="2026.8.5"):
    """Start a double imitating Authentik `version` that accepts `token`; the caller stops
    the returned process (SIGTERM)."""
    port_file = pathlib.Path(workdir) / ("authentik-port-%s" % time.monotonic_ns())
    proc = subprocess.Popen(
        [sys.executable, str(DOUBLE), "--token", token, "--version", version, "--port-file", str(port_file)],
        stdout=subprocess.DEVNULL,
    )
    # Importing authentik-client's models takes a few seconds, a minute on a loaded machine.
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if port_file.exists() and port_file.read_text():
            return proc, Authentik("http://127.0.0.1:" + port_file.read_text(), token)
        assert proc.poll() is None, "the Authentik double exited"
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("the Authentik double did not start")
