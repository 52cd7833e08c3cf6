# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""A change zot cannot come up with is rolled back: the previous binary, unit, config and
secret files are put back, the previous registry serves again, and the play fails with one
line naming the change and zot's own error (never zot's start-up config dump).

The forced failure: a TLS certificate file that exists and zot can read but that holds no
certificate. `zot verify` (v2.1.20) accepts the config, `zot serve` logs "failed to load
initial certificate" and exits."""

import re
import uuid

import reliability_host as rh

from test_reliability_bad_inputs import USERS
from test_reliability_data_safety import _changed_binary

JUNK_TLS = "/etc/zotops-rollback-tls"
# Files the run sets aside or replaces: none may be left once it has ended.
KEPT_COPIES = "find /etc/zot /etc/systemd/system /usr/local/bin -maxdepth 1 -name '*~' -o -name '.*.previous'"


def junk_tls():
    """Settings naming a TLS certificate and key that exist, zot can read, and hold neither."""
    rh.host_shell(
        "mkdir -p {0} && echo 'not a certificate' > {0}/cert.pem && echo 'not a key' > {0}/key.pem"
        " && chmod 0644 {0}/cert.pem {0}/key.pem".format(JUNK_TLS)
    )
    return {
        "zot_tls_cert": JUNK_TLS + "/cert.pem",
        "zot_tls_key": JUNK_TLS + "/key.pem",
        "zot_ready_timeout": 10,
    }


def test_a_change_zot_cannot_serve_is_rolled_back(restore_after, seed_image, tmp_path):
    before = rh.fingerprint()
    binary = rh.host_shell("sha256sum < /usr/local/bin/zot").stdout
    rotated = "rotated-%s" % uuid.uuid4().hex
    change = {
        **junk_tls(),
        # Everything else the role replaces changes too: binary, unit (an environment
        # file), a new secret file (zot.env) and htpasswd (a rotated password).
        "zot_binary_local_path": str(_changed_binary(tmp_path / "zot")),
        "zot_environment": {"ZOTOPS_ROLLBACK": rotated},
        "zot_htpasswd_users": [u if u["name"] != "viewer" else dict(u, password=rotated) for u in USERS],
    }
    run = rh.run_playbook(restore_after.inventory, change, extra_secrets=[rotated])

    assert run.returncode != 0, run
    # The play's one line, as the failed task's message (-vvv prints results indented).
    lines = set(re.findall(r'"msg": "(zot did not become ready at [^"]*)"', run.output))
    assert len(lines) == 1, run
    line = lines.pop()
    for changed in ("/usr/local/bin/zot", "/etc/systemd/system/zot.service", "/etc/zot/config.json"):
        assert changed in line, line
    assert "tls: failed to find any PEM data in certificate input" in line, line
    assert "rolled back: the previous state is serving again at %s" % rh.URL in line, line
    # zot's start-up config dump (its "configuration settings" line) is never shown.
    assert "configuration settings" not in run.output and "Last journal lines" not in run.output, run

    # The previous registry: the same files, byte for byte, serving the same image. (The
    # binary put back is the kept copy: same bytes, owner and mode, another inode.)
    assert rh.fingerprint()["files"][1:] == before["files"][1:]
    assert rh.host_shell("stat -c '%U:%G:%a' /usr/local/bin/zot").stdout.strip() == "root:root:755"
    assert rh.host_shell("sha256sum < /usr/local/bin/zot").stdout == binary
    assert rh.host_run("test", "!", "-e", "/etc/zot/zot.env", check=False).returncode == 0
    assert rh.host_shell(KEPT_COPIES).stdout == ""
    assert rh.registry_ready()
    assert rh.pull_digest(seed_image) == seed_image.digest

    # It is the scenario's converged state: a run with its settings changes nothing, and
    # its checklist passes.
    again = rh.run_playbook(restore_after.inventory)
    assert again.returncode == 0, again
    assert "changed=0 " in again.output, again
    restore_after.baseline = rh.fingerprint()  # converged: nothing for the fixture to restore
