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

import argparse
import json
import os
import sys

from harness.process import Process, free_port, record_pid, stop_recorded

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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="start the provider in the background, print the issuer")
    start.add_argument("--port", type=int, required=True)
    start.add_argument("--dir", required=True, help="the pid and log files go here")
    start.add_argument("--user", action="append", default=[], help="one user's claims (JSON), repeatable")
    stop = commands.add_parser("stop", help="stop the provider started with the same --dir")
    stop.add_argument("--dir", required=True)
    args = parser.parse_args(argv)
    if args.command == "stop":
        stop_recorded(os.path.join(args.dir, PID_FILE))
        return 0
    os.makedirs(args.dir, exist_ok=True)
    provider = start_oidc_provider(args.dir, [json.loads(user) for user in args.user], port=args.port)
    record_pid(provider, os.path.join(args.dir, PID_FILE))
    print(provider.issuer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
