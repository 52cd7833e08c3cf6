# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""A real OpenID Connect provider on loopback for tests: PyPI `oidc-provider-mock`.

Its issuer is http://127.0.0.1:PORT (no trailing slash). Users are predefined with their
claims (`groups` included); a scripted login POSTs `sub=<user>` to the authorize URL
(tests/support/oidc_browser.py). Tests import start_oidc_provider(). (The oidc molecule
scenario runs real Dex instead: tests/support/dex.py.)
"""

import json
import os
import sys

from harness.process import Process, free_port

LOG_FILE = "oidc-provider.log"


def provider_argv(port, users):
    argv = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)]
    for user in users:
        argv += ["--user-claims", json.dumps(user)]
    return argv


def start_oidc_provider(workdir, users=(), port=None):
    """Start the provider; the returned Process has .issuer and .port. Call .stop()."""
    port = port or free_port()
    issuer = f"http://127.0.0.1:{port}"
    process = Process(
        provider_argv(port, users),
        str(workdir),
        os.path.join(str(workdir), LOG_FILE),
        issuer + "/.well-known/openid-configuration",
    )
    process.issuer, process.port = issuer, port
    return process.start()
