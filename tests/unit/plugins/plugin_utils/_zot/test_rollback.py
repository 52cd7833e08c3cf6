# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Rollback of a change zot does not come up with: what to put back, zot's error line, the
line the play fails with."""

import json

from ansible_collections.zotops.registry.plugins.plugin_utils._zot import rollback

# What zot v2.1.20 logged for a TLS certificate file that is not a certificate (a start it
# could not finish), after its config dump; then the stop of the zot before it.
CONFIG_DUMP = json.dumps(
    {
        "level": "info",
        "message": "configuration settings",
        "params": {"HTTP": {"Realm": "canary-realm-value"}, "cluster": {"HashKey": "0123456789abcdef"}},
    }
)
FAILED_START = "\n".join(
    [
        json.dumps(
            {
                "level": "error",
                "message": "failed to start controller, exiting",
                "error": "http: Server closed",
            }
        ),
        CONFIG_DUMP,
        json.dumps({"level": "warn", "message": "skipping enabling swagger"}),
        json.dumps(
            {
                "level": "error",
                "message": "failed to load initial certificate",
                "error": "tls: failed to find any PEM data in certificate input",
            }
        ),
        json.dumps(
            {
                "level": "error",
                "message": "failed to start controller, exiting",
                "error": "tls: failed to find any PEM data in certificate input",
            }
        ),
    ]
)


def test_the_error_line_is_zots_last_error_never_its_config_dump():
    assert rollback.start_error(FAILED_START) == (
        "failed to start controller, exiting: tls: failed to find any PEM data in certificate input"
    )
    assert "canary" not in rollback.start_error(CONFIG_DUMP + "\n" + FAILED_START)


def test_a_clean_stop_is_not_an_error_and_no_error_is_empty():
    stop = json.dumps(
        {"level": "error", "message": "failed to start controller, exiting", "error": "http: Server closed"}
    )
    assert rollback.start_error(stop + "\n" + CONFIG_DUMP) == ""
    assert rollback.start_error("") == ""


def test_a_go_panic_is_an_error_line():
    assert (
        rollback.start_error("goroutine 1 [running]:\npanic: runtime error\n\tmain.go:10")
        == "panic: runtime error"
    )


def test_zots_json_error_line_before_the_command_lines_error():
    # zot v2.1.20 with its Redis down: the JSON line, then cobra's error and usage text.
    log = "\n".join(
        [
            json.dumps(
                {
                    "level": "error",
                    "message": "failed to init controller",
                    "error": "dial tcp 127.0.0.1:9: refused",
                }
            ),
            "Error: dial tcp 127.0.0.1:9: refused",
            "Usage:",
        ]
    )
    assert rollback.start_error(log) == "failed to init controller: dial tcp 127.0.0.1:9: refused"
    assert rollback.start_error("Error: unknown flag\nUsage:") == "Error: unknown flag"


def test_secret_values_and_url_credentials_are_masked():
    line = json.dumps(
        {
            "level": "error",
            "message": "failed to connect",
            "error": "dial redis://:s3cretpassword@10.0.0.5:6379/0 with key 0123456789abcdef, sink https://hooks.example/T0KEN?x=1",
        }
    )
    error = rollback.start_error(line, ["0123456789abcdef", {"short": "debug"}])
    assert error == (
        "failed to connect: dial redis://10.0.0.5:6379/... with key <redacted>, sink https://hooks.example/..."
    )


def test_short_values_are_not_masked():
    assert rollback.redact("level debug on port 5000", ["debug", "5000"]) == "level debug on port 5000"


def test_replaced_files_with_their_kept_copies():
    writes = [
        {"changed": True, "dest": "/usr/local/bin/zot", "backup_file": "/usr/local/bin/zot.1.x~"},
        {"skipped": True, "changed": False},
        {
            "results": [
                {"changed": True, "dest": "/etc/zot/htpasswd", "backup_file": "/etc/zot/htpasswd.2.x~"},
                {"changed": False, "dest": "/etc/zot/session-keys.json"},
                {"changed": True, "dest": "/etc/zot/ldap-credentials.json"},
            ]
        },
        {},
    ]
    set_aside = [
        {
            "results": [
                {"changed": True, "cmd": ["mv", "-f", "/etc/zot/zot.env", "/etc/zot/.zot.env.previous"]},
                {"changed": False, "skipped": True},
            ]
        }
    ]
    assert rollback.replaced_files(writes, set_aside) == [
        {"path": "/usr/local/bin/zot", "kept": "/usr/local/bin/zot.1.x~"},
        {"path": "/etc/zot/htpasswd", "kept": "/etc/zot/htpasswd.2.x~"},
        {"path": "/etc/zot/ldap-credentials.json", "kept": None},
        {"path": "/etc/zot/zot.env", "kept": "/etc/zot/.zot.env.previous"},
    ]


def test_a_run_that_changed_nothing_replaced_nothing():
    assert rollback.replaced_files([{"changed": False, "dest": "/etc/zot/config.json"}, {}]) == []


def test_local_url_of_a_config():
    assert rollback.local_url({"http": {"address": "0.0.0.0", "port": "5000"}}) == "http://127.0.0.1:5000"
    tls = {"address": "10.1.2.3", "port": "443", "tls": {"cert": "/c", "key": "/k"}}
    assert rollback.local_url({"http": tls}) == "https://10.1.2.3:443"
    assert rollback.local_url({"http": {"address": "fd00::1", "port": "5000"}}) == "http://[fd00::1]:5000"


REPLACED = [{"path": "/etc/zot/config.json", "kept": "k"}, {"path": "/etc/zot/htpasswd", "kept": None}]


def test_failure_line_when_the_previous_state_serves_again():
    line = rollback.failure_line(
        "https://127.0.0.1:5000",
        REPLACED,
        "failed to load initial certificate: tls: bad",
        "restored",
        "http://127.0.0.1:5000",
    )
    assert line == (
        "zot did not become ready at https://127.0.0.1:5000/readyz after this run changed"
        " /etc/zot/config.json, /etc/zot/htpasswd (zot said: failed to load initial certificate:"
        " tls: bad); rolled back: the previous state is serving again at http://127.0.0.1:5000."
    )
    assert "\n" not in line


def test_failure_line_says_when_it_cannot_roll_back():
    url = "http://127.0.0.1:5000"
    assert "nothing was rolled back (zot said: open meta.db: read-only" in rollback.failure_line(
        url, [], "open meta.db: read-only file system", "unchanged"
    )
    assert "nothing to roll back to: zot was not configured on this host before" in rollback.failure_line(
        url, REPLACED, "", "fresh"
    )
    assert "rolling back failed (Put back the kept copies: No space left on device)" in rollback.failure_line(
        url, REPLACED, "", "restore_failed", restore_error="Put back the kept copies: No space left on device"
    )
    line = rollback.failure_line(url, REPLACED, "e1", "restored_not_ready", restored_error="e2")
    assert "previous state did not become ready either (zot said: e2): zot is down" in line
    assert "zot logged no error" in rollback.failure_line(url, REPLACED, "", "restored", url)
