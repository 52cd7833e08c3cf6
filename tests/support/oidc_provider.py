# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""A real OpenID Connect provider on loopback for tests: PyPI `oidc-provider-mock`.

Its issuer is http://127.0.0.1:PORT (no trailing slash). Users are predefined with their
claims (`groups` included); a scripted login POSTs `sub=<user>` to the authorize URL
(tests/support/oidc_browser.py). Tests import start_oidc_provider(); a molecule scenario's
prepare starts it in the background and its destroy stops it:

    python -m tests.support.oidc_provider start --port 5106 --dir DIR --user '{"sub": ...}'
    python -m tests.support.oidc_provider stop --dir DIR

(The oidc molecule scenario runs real Dex instead: tests/support/dex.py.)
"""

import json
import os
import sys

from harness.process import Process, background_cli, free_port

LOG_FILE = "oidc-provider.log"
PID_FILE = "oidc-provider.pid.recorded"


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


def main(argv=None):
    def options(start):
        start.add_argument("--port", type=int, required=True)
        start.add_argument("--user", action="append", default=[], help="one user's claims (JSON), repeatable")

    def start(args):
        provider = start_oidc_provider(args.dir, [json.loads(user) for user in args.user], port=args.port)
        return provider, provider.issuer

    return background_cli(argv, __doc__.splitlines()[0], PID_FILE, options, start)


if __name__ == "__main__":
    sys.exit(main())
