#!/usr/bin/env bash
# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# The main job: deploy the hardened registry to a local systemd test host and print the
# verification result. The host is a podman container booted with systemd; it stays up
# afterwards (registry at http://127.0.0.1:5000; remove it with `podman rm -f zotops-demo`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
# shellcheck source=scripts/env.sh
source scripts/env.sh

scripts/test-host.sh zotops-demo

ansible-playbook playbooks/site.yml --tags zot "$@"
