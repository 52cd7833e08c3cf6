# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""A real LDAP directory on loopback for tests: Debian's OpenLDAP `slapd`, seeded with ldapadd.

slapd runs with its own config file and database in a temp dir (no system slapd, no debconf),
listens on ldap://127.0.0.1:PORT (StartTLS offered) and ldaps://127.0.0.1:LDAPS_PORT, with a
certificate from a self-signed CA (ca.pem in the dir). The directory holds the people, the
groups the collection's default policy names (artifact-workloads, artifact-admins) and a bind
account for Dex and zot. The memberof
overlay gives every person a memberOf attribute with the DNs of their groups.

Tests import start_ldap_directory(); molecule's prepare and destroy use the command line,
which leaves slapd running between them:

    python -m tests.support.ldap_directory start --port 5062 --dir DIR
    python -m tests.support.ldap_directory stop --dir DIR
"""

import json
import os
import subprocess
import sys

from ansible_collections.zotops.registry.plugins.plugin_utils._zot import config as zot_config

from harness.process import Process, background_cli, free_port
from harness.tls import make_certificates
from harness.role_defaults import zot_settings

BASE_DN = "dc=example,dc=test"
PEOPLE_DN = "ou=people," + BASE_DN
GROUPS_DN = "ou=groups," + BASE_DN
ADMIN_DN = "cn=admin," + BASE_DN
ADMIN_PASSWORD = "directory-admin-pw"  # noqa: S105 - a test directory's password
# The account Dex and zot bind with to search people and groups (read-only).
BIND_DN = "cn=registry-bind,ou=services," + BASE_DN
BIND_PASSWORD = "registry-bind-pw"  # noqa: S105 - a test directory's password
# uid -> (password, groups); passwords are test values.
PEOPLE = {
    "ci-bot": ("ci-bot-pw", ["artifact-workloads"]),
    "ci-runner": ("ci-runner-pw", ["artifact-workloads"]),
    "release-admin": ("release-admin-pw", ["artifact-admins"]),
    "visitor": ("visitor-pw", ["guests"]),
}
PID_FILE = "slapd.pid.recorded"
LOG_FILE = "slapd.log"
SCHEMAS = ("core", "cosine", "inetorgperson", "nis")


def person_dn(uid):
    return f"uid={uid},{PEOPLE_DN}"


def group_dn(group):
    return f"cn={group},{GROUPS_DN}"


def email(uid):
    return f"{uid}@example.test"


def seed_ldif():
    """The directory's entries, in an order ldapadd accepts (groups after their members)."""
    entries = [
        f"dn: {BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example",
        f"dn: {PEOPLE_DN}\nobjectClass: organizationalUnit\nou: people",
        f"dn: {GROUPS_DN}\nobjectClass: organizationalUnit\nou: groups",
        f"dn: ou=services,{BASE_DN}\nobjectClass: organizationalUnit\nou: services",
        f"dn: {BIND_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: registry-bind\nuserPassword: {BIND_PASSWORD}",
    ]
    for uid, (password, _groups) in PEOPLE.items():
        entries.append(
            f"dn: {person_dn(uid)}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {uid}\nsn: {uid}\n"
            f"mail: {email(uid)}\nuserPassword: {password}"
        )
    groups = {}
    for uid, (_password, member_of) in PEOPLE.items():
        for group in member_of:
            groups.setdefault(group, []).append(uid)
    for group, members in groups.items():
        lines = "".join(f"\nmember: {person_dn(uid)}" for uid in members)
        entries.append(f"dn: {group_dn(group)}\nobjectClass: groupOfNames\ncn: {group}{lines}")
    return "\n\n".join(entries) + "\n"


def slapd_conf(workdir, tls):
    ca, cert, key = tls["ca"], tls["cert"], tls["key"]
    includes = "".join(f"include /etc/ldap/schema/{name}.schema\n" for name in SCHEMAS)
    return f"""{includes}modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile {workdir}/slapd.pid
TLSCACertificateFile {ca}
TLSCertificateFile {cert}
TLSCertificateKeyFile {key}

database mdb
maxsize 10485760
suffix "{BASE_DN}"
rootdn "{ADMIN_DN}"
rootpw {ADMIN_PASSWORD}
directory {workdir}/data
overlay memberof
access to attrs=userPassword by anonymous auth by self read by * none
access to * by users read by * none
"""


def admin_ldap(url, tool, ldif):
    """Run ldapadd/ldapmodify as the directory admin against the directory at `url`, LDIF on
    stdin (also for a directory started by the command line, e.g. a molecule scenario's)."""
    result = subprocess.run(  # noqa: S603 - fixed argv built here
        [tool, "-x", "-H", url, "-D", ADMIN_DN, "-w", ADMIN_PASSWORD],
        input=ldif,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"{tool} failed ({result.returncode}): {result.stderr}")


def change_member(url, change, group, uid):
    """`change` ("add" or "delete") person `uid` as a member of `group`."""
    admin_ldap(
        url,
        "ldapmodify",
        f"dn: {group_dn(group)}\nchangetype: modify\n{change}: member\nmember: {person_dn(uid)}\n",
    )


class Directory(Process):
    """A running slapd: .url, .port, .ldaps_port, .ca_file; group changes as the admin."""

    def ldap(self, tool, ldif):
        """Run ldapadd/ldapmodify as the directory admin with LDIF on stdin."""
        admin_ldap(self.url, tool, ldif)

    def remove_member(self, group, uid):
        change_member(self.url, "delete", group, uid)

    def add_member(self, group, uid):
        change_member(self.url, "add", group, uid)

    def zot_ldap_settings(self, **overrides):
        """The zot role's zot_ldap for this directory: LDAPS verified against its CA, the
        bind account, people by uid, groups from memberOf; then `overrides` (None drops one)."""
        settings = {
            "address": "127.0.0.1",
            "port": self.ldaps_port,
            "base_dn": PEOPLE_DN,
            "user_attribute": "uid",
            "user_group_attribute": "memberOf",
            "ca_cert": self.ca_file,
            "bind_dn": BIND_DN,
            "bind_password": BIND_PASSWORD,
        }
        settings.update(overrides)
        return {key: value for key, value in settings.items() if value is not None}


def zot_ldap_auth(settings):
    """(http.auth.ldap, {file name: content}) as the zot role renders zot_ldap `settings`,
    for a zot whose config directory is "{tmp}" (harness.zot.start)."""
    section = zot_config.build_config(
        zot_settings(config_dir="{tmp}", storage_dir="{tmp}/root", http_port=0, ldap=settings)
    )["http"]["auth"]["ldap"]
    return section, {zot_config.LDAP_CREDENTIALS_FILE: json.dumps(zot_config.ldap_credentials(settings))}


def start_ldap_directory(workdir, port=None, ldaps_port=None):
    """Start slapd in workdir (created if missing) and seed it; call .stop() on the result."""
    workdir = os.path.abspath(str(workdir))
    port = port or free_port()
    os.makedirs(os.path.join(workdir, "data"), exist_ok=True)
    conf = os.path.join(workdir, "slapd.conf")
    tls = make_certificates(workdir)
    with open(conf, "w", encoding="utf-8") as handle:
        handle.write(slapd_conf(workdir, tls))
    url, ldaps_port = f"ldap://127.0.0.1:{port}", ldaps_port or free_port()
    # -d keeps slapd in the foreground (a child the harness can reap); 0: no debug output.
    argv = ["slapd", "-d", "0", "-f", conf, "-h", f"{url}/ ldaps://127.0.0.1:{ldaps_port}/"]
    directory = Directory(argv, workdir, os.path.join(workdir, LOG_FILE), f"tcp://127.0.0.1:{port}")
    directory.url, directory.port, directory.ldaps_port = url, port, ldaps_port
    directory.ca_file = tls["ca"]
    directory.start()
    try:
        directory.ldap("ldapadd", seed_ldif())
    except RuntimeError:
        directory.stop()
        raise
    return directory


def main(argv=None):
    def options(start):
        start.add_argument("--port", type=int, required=True)
        start.add_argument("--ldaps-port", type=int, help="LDAPS port (default: a free one)")

    def start(args):
        directory = start_ldap_directory(args.dir, args.port, args.ldaps_port)
        return directory, directory.url

    return background_cli(argv, __doc__.splitlines()[0], PID_FILE, options, start)


if __name__ == "__main__":
    sys.exit(main())
