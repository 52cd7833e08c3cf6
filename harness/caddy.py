# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Debian's Caddy on loopback in front of a registry, running the project's example
Caddyfile (docs/examples/Caddyfile) with a test certificate for 127.0.0.1."""

import os
import pathlib
import re

from harness.process import Process, debian_binary, free_port

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "docs" / "examples" / "Caddyfile"


def binary():
    return debian_binary("caddy", "caddy")


def example_on_loopback(upstream, port, cert, key):
    """The example, serving https://127.0.0.1:port with cert/key and forwarding to
    upstream (host:port)."""
    text = EXAMPLE.read_text()
    text, sites = re.subn(r"^registry\.example\.org \{$", "https://127.0.0.1:%d {" % port, text, flags=re.M)
    text, tls = re.subn(r"^\t# tls \S+ \S+$", "\ttls %s %s" % (cert, key), text, flags=re.M)
    text, upstreams = re.subn(r"reverse_proxy 127\.0\.0\.1:5000 \{", "reverse_proxy %s {" % upstream, text)
    if (sites, tls, upstreams) != (1, 1, 1):
        raise RuntimeError(
            "%s no longer has one site, one commented tls line and one reverse_proxy to :5000" % EXAMPLE
        )
    return text


def start(tmp_path, upstream, certificates, port=None):
    """Caddy serving the example on 127.0.0.1:port (default: a free one) in front of
    upstream (host:port) with certificates["cert"]/["key"]; returns the Process with .url
    set. No admin endpoint, no redirect listener on port 80, its state under tmp_path."""
    prefix = pathlib.Path(tmp_path) / "caddy"
    prefix.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    config = prefix / "Caddyfile"
    config.write_text(
        "{\n\tadmin off\n\tauto_https disable_redirects\n\tskip_install_trust\n"
        "\tstorage file_system %s\n}\n%s"
        % (prefix / "data", example_on_loopback(upstream, port, certificates["cert"], certificates["key"]))
    )
    url = "https://127.0.0.1:%d" % port
    env = dict(os.environ, HOME=str(prefix), XDG_DATA_HOME=str(prefix / "data"), XDG_CONFIG_HOME=str(prefix))
    argv = [binary(), "run", "--config", str(config), "--adapter", "caddyfile"]
    process = Process(argv, str(prefix), str(prefix / "out.log"), url + "/v2/", env=env)
    process.url, process.host = url, "127.0.0.1:%d" % port
    return process.start()
