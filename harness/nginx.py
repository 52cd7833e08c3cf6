# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Debian's nginx on loopback in front of a registry, running the project's example proxy
config (docs/examples/nginx-zot.conf) with its TLS lines taken out."""

import pathlib
import re

from harness.process import Process, debian_binary, free_port

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "docs" / "examples" / "nginx-zot.conf"


def binary():
    return debian_binary("nginx", "nginx-light", "/usr/sbin")


def example_on_loopback(upstream_url, port):
    """The example's http-context text, listening on 127.0.0.1:port in plain HTTP and
    forwarding to upstream_url."""
    text = EXAMPLE.read_text()
    text = re.sub(r"^\s*ssl_certificate(_key)?\s.*$\n", "", text, flags=re.M)
    text, listens = re.subn(r"listen 443 ssl;", "listen 127.0.0.1:%d;" % port, text)
    text, upstreams = re.subn(r"proxy_pass http://127\.0\.0\.1:5000;", "proxy_pass %s;" % upstream_url, text)
    if (listens, upstreams) != (1, 1):
        raise RuntimeError("%s no longer has one `listen 443 ssl` and one proxy_pass to :5000" % EXAMPLE)
    return text


def anonymous_rate_limit():
    """(requests per second, burst) the example allows anonymous requests from one address
    outside the listed networks, read from its limit_req lines."""
    text = EXAMPLE.read_text()
    rate = re.search(r"zone=zot_anonymous:\S+ rate=(\d+)r/s;", text)
    burst = re.search(r"limit_req zone=zot_anonymous burst=(\d+) nodelay;", text)
    if not (rate and burst):
        raise RuntimeError("%s no longer has the zot_anonymous rate and burst" % EXAMPLE)
    return int(rate.group(1)), int(burst.group(1))


def start(tmp_path, upstream_url):
    """nginx (one worker, as root's own user) serving the example in front of upstream_url;
    returns the Process with .url set."""
    prefix = pathlib.Path(tmp_path) / "nginx"
    (prefix / "temp").mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = prefix / "nginx.conf"
    config.write_text(
        "daemon off;\nworker_processes 1;\nuser root;\npid %(p)s/nginx.pid;\nerror_log %(p)s/error.log;\n"
        "events { worker_connections 1024; }\n"
        "http {\n  access_log off;\n  client_body_temp_path %(p)s/temp;\n  proxy_temp_path %(p)s/temp;\n"
        "%(example)s\n}\n" % {"p": prefix, "example": example_on_loopback(upstream_url, port)}
    )
    url = "http://127.0.0.1:%d" % port
    process = Process(
        [binary(), "-p", str(prefix), "-c", str(config)], str(prefix), str(prefix / "out.log"), url + "/v2/"
    )
    process.url = url
    return process.start()
