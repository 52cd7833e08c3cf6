# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""A loopback stand-in for Docker Hub that outlives the command starting it.

The molecule mirror scenario starts it in prepare, its tests stop and restart it, and its
cleanup stops it. It is Debian's docker-registry (harness/docker_registry.py), seeded with
small unpackable images; its address, pid and command line are kept in STATE_DIR/upstream.json.

  python -m tests.support.upstream_registry start STATE_DIR [REPO:TAG ...]  prints host:port
  python -m tests.support.upstream_registry stop STATE_DIR

Run it from the checkout root with PYTHONPATH=.cache/collections (the harness imports the
collection).
"""

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

from tests.support.oci_layout import make_oci_layout
from harness import docker_registry
from harness.process import Process

STATE_FILE = "upstream.json"
STOP_TIMEOUT = 20


def _state_path(state_dir):
    return pathlib.Path(state_dir) / STATE_FILE


def read_state(state_dir):
    """{pid, host, url, argv, cwd, log_path}, or None before the first start."""
    path = _state_path(state_dir)
    return json.loads(path.read_text()) if path.exists() else None


def _write_state(state_dir, state):
    _state_path(state_dir).write_text(json.dumps(state, indent=2))


def _is_running(state):
    """True while the recorded pid is a live docker-registry (not a zombie, not a reused pid)."""
    proc = pathlib.Path("/proc/%d" % state["pid"])
    try:
        cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        process_state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return process_state != "Z" and cmdline[0].decode() == state["argv"][0]


def _seed(registry_host, image, work_dir):
    """Push a one-layer image whose only file, /payload, names the image, in Docker's
    schema 2 format as Docker Hub serves most images."""
    repository, tag = image.rsplit(":", 1)
    layout = pathlib.Path(work_dir) / "layouts" / repository.replace("/", "_")
    make_oci_layout(layout, tag, ("%s served by the upstream\n" % image).encode())
    subprocess.run(
        [
            "skopeo",
            "copy",
            "--insecure-policy",
            "--dest-tls-verify=false",
            "--format=v2s2",
            "oci:%s:%s" % (layout, tag),
            "docker://%s/%s" % (registry_host, image),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


def start(state_dir, images=()):
    """Start the upstream (again, on the same port and storage once it has run) and seed it.

    Returns its state. Starting a running upstream only seeds the images it lacks.
    """
    state_dir = pathlib.Path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    state = read_state(state_dir)
    if state is None:
        process = docker_registry.start(state_dir)
        state = {
            "host": process.host,
            "url": process.url,
            "argv": process.argv,
            "cwd": process.cwd,
            "log_path": process.log_path,
        }
    elif _is_running(state):
        process = None
    else:
        process = Process(state["argv"], state["cwd"], state["log_path"], state["url"] + "/v2/").start()
    if process is not None:
        state["pid"] = process.process.pid
        _write_state(state_dir, state)
    for image in images:
        _seed(state["host"], image, state_dir)
    return state


def stop(state_dir):
    """Stop the upstream if it runs; its storage and port stay recorded for a restart."""
    state = read_state(state_dir)
    if state is None or not _is_running(state):
        return
    os.kill(state["pid"], signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while _is_running(state):
        if time.monotonic() > deadline:
            os.kill(state["pid"], signal.SIGKILL)
        time.sleep(0.1)


def main(argv):
    if len(argv) < 2 or argv[0] not in ("start", "stop"):
        sys.exit(__doc__)
    if argv[0] == "start":
        print(start(argv[1], argv[2:])["host"])
    else:
        stop(argv[1])


if __name__ == "__main__":
    main(sys.argv[1:])
