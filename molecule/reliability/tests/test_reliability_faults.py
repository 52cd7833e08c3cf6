# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Faults on a converged host: a killed zot comes back under systemd, unwritable storage
fails loudly, and an interrupted converge is completed by the next one with nothing lost."""

import json

import pytest
import reliability_host as rh

# Converge after converge: on demand (ZOTOPS_RELIABILITY_EXTENDED=1), not in the suite.
pytestmark = pytest.mark.extended

# systemd restarts zot RestartSec=5 after it dies; give it ample room.
RESTART_WAIT = 60


def test_killed_zot_is_restarted_and_pushes_resume(restore_after, seed_image, tmp_path):
    old_pid = rh.zot_pid()
    rh.host_run("systemctl", "kill", "--signal=SIGKILL", "zot")

    rh.wait_for(
        lambda: rh.zot_pid() not in ("0", old_pid) and rh.registry_ready(),
        RESTART_WAIT,
        "systemd to restart zot",
    )
    assert rh.host_run("systemctl", "is-active", "zot").stdout.strip() == "active"
    fresh = rh.push_seed(tmp_path, "after-kill")
    assert rh.pull_digest(fresh) == fresh.digest
    assert rh.pull_digest(seed_image) == seed_image.digest


def test_unwritable_storage_fails_clearly_and_recovers(restore_after, seed_image):
    # A read-only bind mount over the storage directory, as a full or failed disk remounted
    # read-only would leave it. zot runs in a mount namespace of its own (ProtectSystem,
    # ReadWritePaths), which sees the remount only from its next start, as after a reboot.
    # zot v2.1.20 then does not start at all: its MetaDB (meta.db) must be writable, so
    # pulls stop too, and a converge must say why instead of reporting success.
    rh.host_shell(
        "mount --bind /var/lib/zot /var/lib/zot && mount -o remount,bind,ro /var/lib/zot"
        " && systemctl restart zot"
    )
    try:
        rh.wait_for(
            lambda: "read-only file system"
            in rh.host_run("journalctl", "-u", "zot", "-n", "20", "-o", "cat").stdout,
            RESTART_WAIT,
            "zot to report its read-only storage",
        )
        assert not rh.registry_ready()

        run = rh.run_playbook(restore_after.inventory, {"zot_ready_timeout": 10})
        assert run.returncode != 0, run
        # The readiness wait fails and shows zot's own reason from the journal.
        assert "zot did not become ready" in run.output and "read-only file system" in run.output, run
    finally:
        rh.host_shell("umount /var/lib/zot && systemctl restart zot")
        rh.wait_for(rh.registry_ready, RESTART_WAIT, "zot to serve writable storage again")
    run = rh.run_playbook(restore_after.inventory)
    assert run.returncode == 0, run
    assert rh.pull_digest(seed_image) == seed_image.digest


def test_interrupted_converge_is_completed_by_the_next(restore_after, seed_image):
    change = {"zot_http_read_timeout": "75s"}
    process, log_path = rh.start_playbook(restore_after.inventory, change)
    try:
        # Kill it once it has started writing the host's files.
        rh.wait_for(
            lambda: "TASK [zotops.registry.zot : Write the secret files" in open(log_path).read(),
            rh.PLAYBOOK_TIMEOUT,
            "the converge to reach the secret files",
        )
    finally:
        rh.kill_playbook(process)
    output = open(log_path).read()
    assert not rh.leaked_secrets(output)
    assert "PLAY RECAP" not in output, "the converge finished before it could be interrupted"

    run = rh.run_playbook(restore_after.inventory, change)
    assert run.returncode == 0, run
    config = json.loads(rh.host_run("cat", "/etc/zot/config.json").stdout)
    assert config["http"]["readTimeout"] == "75s"
    assert rh.registry_ready()
    assert rh.pull_digest(seed_image) == seed_image.digest
    # And it converged: a second run changes nothing.
    again = rh.run_playbook(restore_after.inventory, change)
    assert again.returncode == 0, again
    assert "changed=0" in again.output, again
