# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Offline stand-in for get-pip.py, for `ansible-test sanity` (scripts/lint.sh).

ansible-test downloads get-pip.py from ci-files.testing.ansible.com to put pip into the
virtual environment of each sanity test that needs Python packages; that host is not
reachable from our machines, and ansible-test's own instructions are to save the script
in its cache instead. This script does what get-pip.py does with what is available: pip
from Python's bundled wheel, then the requested packages from the package index, trusting
the system CA bundle (ansible-test passes pip a minimal environment without PIP_CERT).
"""

import ensurepip
import os
import subprocess
import sys

SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"

ensurepip.bootstrap()
# get-pip.py options that `pip install` does not know.
arguments = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
if os.path.isfile(SYSTEM_CA_BUNDLE):
    arguments = ["--cert", SYSTEM_CA_BUNDLE, *arguments]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *arguments]))
