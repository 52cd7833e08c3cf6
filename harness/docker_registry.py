# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Debian's docker-registry (CNCF distribution) on loopback: the upstream that stands in for
Docker Hub and the like in sync tests. No auth."""

import itertools
import os
import shutil

from harness.process import Process, free_port

_numbers = itertools.count(1)


def binary():
    return shutil.which("docker-registry")


def start(tmp_path):
    """Start one on a free loopback port; .host and .url name it."""
    number = next(_numbers)
    port = free_port()
    root = os.path.join(str(tmp_path), f"upstream-{number}")
    config_path = root + ".yml"
    with open(config_path, "w", encoding="utf-8") as handle:
        handle.write(
            "version: 0.1\n"
            "log:\n  level: info\n"
            f"storage:\n  filesystem:\n    rootdirectory: {root}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: 127.0.0.1:{port}\n"
        )
    upstream = Process(
        [binary(), "serve", config_path], str(tmp_path), root + ".log", f"http://127.0.0.1:{port}/v2/"
    )
    upstream.host, upstream.url = f"127.0.0.1:{port}", f"http://127.0.0.1:{port}"
    return upstream.start()
