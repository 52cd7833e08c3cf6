"""A real OpenID Connect provider on loopback for tests: PyPI `oidc-provider-mock`.

Its issuer is http://127.0.0.1:PORT (no trailing slash). Users are predefined with their
claims (`groups` included); a scripted login POSTs `sub=<user>` to the authorize URL
(tests/support/oidc_browser.py). Tests import start_oidc_provider(); molecule's create and
destroy playbooks use the command line, which leaves the provider running between them:

    python -m tests.support.oidc_provider start --port 9460 --users users.json --dir DIR
    python -m tests.support.oidc_provider stop --dir DIR
"""

import argparse
import json
import os
import sys

from harness.process import Process, free_port, record_pid, stop_recorded

PID_FILE = "oidc-provider.pid"
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


def _start_detached(args):
    with open(args.users, encoding="utf-8") as handle:
        users = json.load(handle)
    os.makedirs(args.dir, exist_ok=True)
    provider = start_oidc_provider(args.dir, users, args.port)
    record_pid(provider, os.path.join(args.dir, PID_FILE))
    print(provider.issuer)


def _stop_detached(args):
    stop_recorded(os.path.join(args.dir, PID_FILE))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="start in the background and print the issuer")
    start.add_argument("--port", type=int, required=True)
    start.add_argument("--users", required=True, help="JSON list of users' claims (each with sub)")
    start.add_argument("--dir", required=True, help="where the pid and log files go")
    stop = commands.add_parser("stop", help="stop the provider started with the same --dir")
    stop.add_argument("--dir", required=True)
    args = parser.parse_args(argv)
    (_start_detached if args.command == "start" else _stop_detached)(args)


if __name__ == "__main__":
    main()
