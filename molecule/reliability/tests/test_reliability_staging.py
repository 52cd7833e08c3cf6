# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The preflight's staging directory (the candidate config, plaintext secret files and the
binary zot verify checks): a run killed while it exists leaves it behind, so the next run
removes it first, and those older releases left beside the binary (/usr/local/bin/.zot-gate.*)."""

import reliability_host as rh

GATE_DIR = "/var/lib/zot-gate"
OLD_LEFTOVER = "/usr/local/bin/.zot-gate.leftover"


def test_the_next_run_removes_a_staging_directory_left_behind(restore_after):
    rh.host_shell(
        "install -d -m 0700 %s %s && echo secret > %s/htpasswd && echo secret > %s/htpasswd"
        % (GATE_DIR, OLD_LEFTOVER, GATE_DIR, OLD_LEFTOVER)
    )
    # Refused by zot verify: the run gets as far as the staging directory and changes nothing.
    run = rh.run_playbook(restore_after.inventory, {"zot_config_extra": {"http": {"realmm": "typo"}}})

    assert run.returncode != 0 and "realmm" in run.output, run
    left = rh.host_shell(
        "ls -d %s %s /usr/local/bin/.zot-gate.* 2>/dev/null" % (GATE_DIR, OLD_LEFTOVER), check=False
    )
    assert left.stdout == "", left.stdout
    assert rh.fingerprint() == restore_after.baseline
