# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Scripted HTTP(S) servers on 127.0.0.1 for unit tests: a handler class answers from a script.

    with serve(MyHandler, status=None) as server:   # a free loopback port, in a thread
        RegistryClient(server.url).request("GET", "/v2/")
        server.seen                                  # what the handler chose to record

Handlers reach the server as ``self.server``: its ``seen`` list and any attribute given to
serve(). QuietHandler keeps request logging out of the test output.
"""

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that logs nothing."""

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(handler, tls_context=None, **attributes):
    """Serve ``handler`` on a free 127.0.0.1 port until the block ends; yields the server.

    The server has ``url`` (scheme, host and port), ``seen`` (an empty list) and
    ``attributes``. With ``tls_context`` (an ssl.SSLContext for the server side) it speaks
    HTTPS.
    """
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls_context is not None:
        httpd.socket = tls_context.wrap_socket(httpd.socket, server_side=True)
    httpd.url = "%s://127.0.0.1:%d" % ("https" if tls_context else "http", httpd.server_address[1])
    httpd.seen = []
    for name, value in attributes.items():
        setattr(httpd, name, value)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
