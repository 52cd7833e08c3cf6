# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Real processes on loopback for the tests, the benchmarks and the scenarios' verifiers:
zot (the binary scripts/get-zot.sh provides, named by $ZOT_BINARY) and Debian's
docker-registry as a stand-in upstream. Not part of the collection."""
