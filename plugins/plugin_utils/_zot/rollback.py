# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""Rolling back a change zot does not come up with, and saying so in one line.

The role's writes keep the file they replace (Ansible's `backup`, or a file set aside
instead of removed); when zot is not ready after the change the role puts those back and
restarts zot. These functions turn the writes' results into what to put back, pick zot's own
error line out of its log (never its start-up config dump, which holds the cluster's hash
key, the Redis URL and whatever zot_config_extra adds), and build the line the play fails
with.
"""

import json
import re

# zot logs one JSON object a line; a Go panic or a cobra error is plain text.
ERROR_LEVELS = ("error", "fatal", "panic")
# What zot v2.1.20 logs at error level whenever it is stopped (SIGTERM): not a reason.
CLEAN_STOP = "http: Server closed"
REDACTED = "<redacted>"
# Shorter values are too common to mask (a log level, a port).
MIN_SECRET_LENGTH = 8
# scheme://[userinfo@]host[:port][path/query]: only scheme and host:port are shown.
_URL = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*://)(?:[^\s/@\"']*@)?([^\s/?#\"']*)([^\s\"',]*)")


def replaced_files(writes, set_aside=()):
    """[{path, kept}] for every file the run wrote: kept is the copy of the file it replaced,
    None for a file it created.

    writes: registered results of copy, template and get_url tasks run with backup (a loop's
    result has `results`); set_aside: results of `mv PATH KEPT` commands run instead of
    removing a file."""
    replaced = []
    for result in _flatten(writes):
        if result.get("changed") and not result.get("skipped") and result.get("dest"):
            replaced.append({"path": result["dest"], "kept": result.get("backup_file") or None})
    for result in _flatten(set_aside):
        if result.get("changed") and not result.get("skipped"):
            replaced.append({"path": result["cmd"][-2], "kept": result["cmd"][-1]})
    return replaced


def _flatten(results):
    for result in results or ():
        if isinstance(result, dict) and isinstance(result.get("results"), list):
            yield from (item for item in result["results"] if isinstance(item, dict))
        elif isinstance(result, dict):
            yield result


def _secret_values(secrets):
    """Every string of at least MIN_SECRET_LENGTH characters in a nested structure."""
    if isinstance(secrets, str):
        return [secrets] if len(secrets) >= MIN_SECRET_LENGTH else []
    if isinstance(secrets, dict):
        secrets = list(secrets.values())
    if isinstance(secrets, (list, tuple)):
        return [value for item in secrets for value in _secret_values(item)]
    return []


def redact(text, secrets=()):
    """text with every secret value masked and every URL cut to scheme://host:port."""
    for value in sorted(_secret_values(secrets), key=len, reverse=True):
        text = text.replace(value, REDACTED)
    return _URL.sub(lambda m: m.group(1) + m.group(2) + ("/..." if m.group(3) else ""), text)


def _error_of(line):
    line = line.strip()
    if line.startswith("{"):
        try:
            entry = json.loads(line)
        except ValueError:
            return None
        if not isinstance(entry, dict) or entry.get("level") not in ERROR_LEVELS:
            return None
        if entry.get("error") == CLEAN_STOP:
            return None
        message, error = str(entry.get("message", "")), entry.get("error")
        return "%s: %s" % (message, error) if error else message
    if line.startswith("panic: "):
        return line
    return None


def start_error(log_text, secrets=()):
    """zot's last error line in its log (JSON lines, as `journalctl -o cat` shows them),
    redacted; "" when zot logged no error. The command line's own `Error: ...` (printed after
    zot's JSON error line with its usage text) only when zot logged nothing else."""
    lines = (log_text or "").splitlines()
    errors = [error for error in map(_error_of, lines) if error]
    errors = errors or [line.strip() for line in lines if line.startswith("Error: ")]
    return redact(errors[-1], secrets) if errors else ""


def local_url(config):
    """How the host itself reaches zot with this config (the readiness probe)."""
    http = config.get("http") or {}
    address = http.get("address") or ""
    # A wildcard listener is reached on loopback.
    host = "127.0.0.1" if address in ("0.0.0.0", "::", "") else address  # noqa: S104
    if ":" in host and not host.startswith("["):
        host = "[%s]" % host
    scheme = "https" if (http.get("tls") or {}).get("cert") else "http"
    return "%s://%s:%s" % (scheme, host, http.get("port"))


def _said(error):
    return "zot said: %s" % error if error else "zot logged no error"


def failure_line(url, replaced, error, outcome, restored_url="", restored_error="", restore_error=""):
    """The one line a play fails with when zot is not ready after a change.

    outcome: "unchanged" (the run replaced nothing zot reads), "fresh" (nothing was there
    before), "restore_failed" (restore_error says why), "restored" (the previous state is
    ready again at restored_url) or "restored_not_ready" (restored_error: its error line)."""
    paths = ", ".join(item["path"] for item in replaced)
    head = "zot did not become ready at %s/readyz" % url
    if outcome == "unchanged":
        return "%s and this run changed nothing it reads, so nothing was rolled back (%s)." % (
            head,
            _said(error),
        )
    head = "%s after this run changed %s (%s)" % (head, paths, _said(error))
    if outcome == "fresh":
        return "%s; nothing to roll back to: zot was not configured on this host before." % head
    if outcome == "restore_failed":
        return "%s; rolling back failed (%s): the host keeps this run's files and zot is down." % (
            head,
            restore_error,
        )
    if outcome == "restored_not_ready":
        return "%s; rolled back, but the previous state did not become ready either (%s): zot is down." % (
            head,
            _said(restored_error),
        )
    return "%s; rolled back: the previous state is serving again at %s." % (head, restored_url)
