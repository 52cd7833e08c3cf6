# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Source after scripts/setup.sh: puts the venv first on PATH and names the zot binary and
# the test-host image the playbooks and tests use.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=$root/.cache
export PATH="$root/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$root/ansible.cfg"
# Only this checkout's collection (plus those bundled with the ansible package), never a
# stale copy under ~/.ansible/collections.
export ANSIBLE_COLLECTIONS_PATH="$root/.cache/collections"
ZOTOPS_ZOT_BINARY=$(cat "$cache/zot-binary")
ZOTOPS_ZOT_MINIMAL_BINARY=$(cat "$cache/zot-minimal-binary")
ZOTOPS_TEST_IMAGE=$(cat "$cache/test-image")
ZOTOPS_DEX_BINARY=$(cat "$cache/dex-binary")
ZOTOPS_VERSITYGW_BINARY=$(cat "$cache/versitygw-binary")
export ZOTOPS_ZOT_BINARY ZOTOPS_ZOT_MINIMAL_BINARY ZOTOPS_TEST_IMAGE ZOTOPS_DEX_BINARY ZOTOPS_VERSITYGW_BINARY
# Processes the tests start on loopback (harness/zot.py) run the same binaries as the test hosts.
export ZOT_BINARY="$ZOTOPS_ZOT_BINARY" ZOT_MINIMAL_BINARY="$ZOTOPS_ZOT_MINIMAL_BINARY"
