"""Real Dex (scripts/get-dex.sh, $ZOTOPS_DEX_BINARY) on loopback for tests, with an LDAP
connector to the test directory (tests/support/ldap_directory.py).

Dex runs `dex serve CONFIG` as a user's host runs a release; its issuer is
http://127.0.0.1:PORT/dex and storage is `memory` (the binary has no SQLite). A scripted login
through Dex's own pages is dex_login() in tests/support/oidc_browser.py.
"""

import os
import subprocess

from harness.process import Process
from tests.support import ldap_directory as ldap

CONNECTOR_ID = "ldap"
LOG_FILE = "dex.log"


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
