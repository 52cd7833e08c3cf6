# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Real Dex (scripts/get-dex.sh, $ZOTOPS_DEX_BINARY) on loopback for tests, with an LDAP
connector to the test directory (tests/support/ldap_directory.py).

Dex runs `dex serve CONFIG` as a user's host runs a release; its issuer is
http://127.0.0.1:PORT/dex and storage is `memory` (the binary has no SQLite). A scripted login
through Dex's own pages is dex_login() in tests/support/oidc_browser.py.

Molecule's prepare renders Dex's config with the dex_client role and starts and stops Dex
with the command line, which leaves Dex running between them:

    python -m tests.support.dex connector --ldap-url ldap://127.0.0.1:5062 --ldap-ca CA
    python -m tests.support.dex start --config CONFIG --env-file ENV --port 5061 --dir DIR
    python -m tests.support.dex stop --dir DIR
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys

import yaml
from ansible_collections.zotops.registry.plugins.plugin_utils._dex_config import static_client

from harness.process import Process, free_port, record_pid, stop_recorded
from tests.support import ldap_directory as ldap

CONNECTOR_ID = "ldap"
LOG_FILE = "dex.log"
PID_FILE = "dex.pid.recorded"


def binary():
    path = os.environ.get("ZOTOPS_DEX_BINARY")
    if not path:
        raise RuntimeError("ZOTOPS_DEX_BINARY is not set: source scripts/env.sh (after scripts/setup.sh)")
    return path


def issuer_for(port):
    return f"http://127.0.0.1:{port}/dex"


def ldap_connector(ldap_url, ca_file):
    """Dex's LDAP connector for the test directory: StartTLS with the directory's CA, people by
    uid, groups by groupOfNames member (the group names are the groups' cn)."""
    return {
        "type": "ldap",
        "id": CONNECTOR_ID,
        "name": "Test LDAP",
        "config": {
            "host": ldap_url.removeprefix("ldap://"),
            "startTLS": True,
            "rootCA": ca_file,
            "bindDN": ldap.BIND_DN,
            "bindPW": ldap.BIND_PASSWORD,
            "usernamePrompt": "Username",
            "userSearch": {
                "baseDN": ldap.PEOPLE_DN,
                "filter": "(objectClass=inetOrgPerson)",
                "username": "uid",
                "idAttr": "uid",
                "emailAttr": "mail",
                "nameAttr": "cn",
                "preferredUsernameAttr": "uid",
            },
            "groupSearch": {
                "baseDN": ldap.GROUPS_DN,
                "filter": "(objectClass=groupOfNames)",
                "userMatchers": [{"userAttr": "DN", "groupAttr": "member"}],
                "nameAttr": "cn",
            },
        },
    }


def base_config(port, connectors):
    """A complete Dex config without clients: memory storage, the approval screen skipped."""
    return {
        "issuer": issuer_for(port),
        "storage": {"type": "memory"},
        "web": {"http": f"127.0.0.1:{port}"},
        "oauth2": {"skipApprovalScreen": True},
        "connectors": connectors,
        "enablePasswordDB": False,
    }


def serve(config_path, workdir, port, env=None):
    """Start `dex serve config_path` (listening on port, as the config says); .issuer, .stop()."""
    process = Process(
        [binary(), "serve", str(config_path)],
        str(workdir),
        os.path.join(str(workdir), LOG_FILE),
        issuer_for(port) + "/.well-known/openid-configuration",
        env=dict(os.environ, **(env or {})),
    )
    process.issuer, process.port = issuer_for(port), port
    return process.start()


def serve_for_zot(workdir, directory, zot_url, client_secret):
    """Dex with its LDAP connector to `directory` (a running test directory) and zot as its
    one client (id `zot`, redirect URI zot_url's callback, secret from the environment as the
    dex_client role renders it); started under workdir/dex."""
    port = free_port()
    config = base_config(port, [ldap_connector(directory.url, directory.ca_file)])
    config["staticClients"] = [
        static_client("zot", "zot", [zot_url + "/zot/auth/callback/oidc"], "ZOT_SECRET")
    ]
    home = pathlib.Path(workdir) / "dex"
    home.mkdir(parents=True)
    (home / "config.yaml").write_text(yaml.safe_dump(config))
    return serve(home / "config.yaml", home, port, env={"ZOT_SECRET": client_secret})


def refused(config_path, env=None, timeout=20):
    """Run `dex serve` on a config Dex should reject; returns Dex's output if it exits
    non-zero, None if it started (then it is stopped)."""
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv
            [binary(), "serve", str(config_path)],
            capture_output=True,
            text=True,
            env=dict(os.environ, **(env or {})),
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None
    return result.stdout + result.stderr if result.returncode else None


def read_env_file(path):
    """The variables of a systemd EnvironmentFile as the dex_client role writes it
    (NAME="JSON-escaped value" lines), for a Dex started without systemd."""
    env = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if "=" in line:
                name, value = line.strip().split("=", 1)
                env[name] = json.loads(value)
    return env


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    connector = commands.add_parser(
        "connector", help="print the LDAP connector for the test directory (JSON)"
    )
    connector.add_argument("--ldap-url", required=True)
    connector.add_argument("--ldap-ca", required=True)
    start = commands.add_parser("start", help="start Dex in the background, print the issuer")
    start.add_argument("--config", required=True)
    start.add_argument("--env-file", required=True, help="the dex_client role's EnvironmentFile")
    start.add_argument("--port", type=int, required=True, help="the port the config's web.http names")
    start.add_argument("--dir", required=True, help="the pid and log files go here")
    stop = commands.add_parser("stop", help="stop the Dex started with the same --dir")
    stop.add_argument("--dir", required=True)
    args = parser.parse_args(argv)
    if args.command == "connector":
        print(json.dumps(ldap_connector(args.ldap_url, args.ldap_ca)))
    elif args.command == "stop":
        stop_recorded(os.path.join(args.dir, PID_FILE))
    else:
        os.makedirs(args.dir, exist_ok=True)
        server = serve(args.config, args.dir, args.port, env=read_env_file(args.env_file))
        record_pid(server, os.path.join(args.dir, PID_FILE))
        print(server.issuer)


if __name__ == "__main__":
    sys.exit(main())
