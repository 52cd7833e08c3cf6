# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Throwaway certificates for servers and clients on loopback (openssl, Debian's)."""

import base64
import hashlib
import os
import subprocess

import requests

NEW_KEY = ["-newkey", "rsa:2048", "-nodes"]
DAYS = ["-days", "2"]


def _openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)  # noqa: S603, S607 - fixed argv


def _signed(workdir, name, subject, extensions):
    """<name>.pem and <name>.key signed by workdir's ca.pem; returns (cert, key)."""
    key, csr, cert, ext = (os.path.join(workdir, name + end) for end in (".key", ".csr", ".pem", ".ext"))
    _openssl("req", *NEW_KEY, "-subj", subject, "-keyout", key, "-out", csr)
    with open(ext, "w", encoding="utf-8") as handle:
        handle.write(extensions + "\n")
    ca, ca_key = os.path.join(workdir, "ca.pem"), os.path.join(workdir, "ca.key")
    _openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, *DAYS, "-extfile", ext, "-out", cert)
    return cert, key


def make_certificates(workdir, clients=()):
    """A self-signed CA (ca.pem), a server certificate for 127.0.0.1 and localhost (tls.pem,
    tls.key), and a client certificate per name in `clients`, the name as its CommonName
    (client-<name>.pem/.key). Returns {"ca", "cert", "key", "clients": {name: (cert, key)}}."""
    ca, ca_key = os.path.join(workdir, "ca.pem"), os.path.join(workdir, "ca.key")
    _openssl("req", "-x509", *NEW_KEY, *DAYS, "-subj", "/CN=zotops test CA", "-keyout", ca_key, "-out", ca)
    cert, key = _signed(workdir, "tls", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1,DNS:localhost")
    return {
        "ca": ca,
        "cert": cert,
        "key": key,
        "clients": {
            name: _signed(workdir, "client-" + name, "/CN=" + name, "extendedKeyUsage=clientAuth")
            for name in clients
        },
    }


def client_session(ca, cert=None):
    """A requests session that trusts `ca` and presents `cert` ((cert, key) paths), if given."""
    session = requests.Session()
    # trust_env off: requests would take REQUESTS_CA_BUNDLE over the session's own CA.
    session.verify, session.trust_env, session.cert = ca, False, cert
    return session


def spki_sha256(cert):
    """base64 of the SHA-256 of the certificate's public key, as Chromium's
    --ignore-certificate-errors-spki-list takes it to trust that one test certificate."""
    public_key = subprocess.run(
        ["openssl", "x509", "-in", cert, "-pubkey", "-noout"], check=True, capture_output=True
    ).stdout  # noqa: S603, S607 - fixed argv
    der = subprocess.run(
        ["openssl", "pkey", "-pubin", "-outform", "der"], input=public_key, check=True, capture_output=True
    ).stdout  # noqa: S603, S607 - fixed argv
    return base64.b64encode(hashlib.sha256(der).digest()).decode()
