#!/usr/bin/env bash
# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Start (or keep) a systemd test host: a podman container of the test image booted with
# systemd, on the host network. Usage: scripts/test-host.sh NAME. Needs scripts/env.sh.
set -euo pipefail
host=${1:?usage: test-host.sh NAME}
if [[ "$(podman inspect -f '{{.Config.Image}}' "$host" 2>/dev/null)" != "$ZOTOPS_TEST_IMAGE" ]]; then
  podman rm -f "$host" >/dev/null 2>&1 || true
  podman run -d --name "$host" --privileged --network host --systemd=always \
    --ulimit nofile=20000:20000 --ulimit nproc=4096:4096 \
    "$ZOTOPS_TEST_IMAGE" /lib/systemd/systemd >/dev/null
elif [[ "$(podman inspect -f '{{.State.Running}}' "$host")" != true ]]; then
  podman start "$host" >/dev/null
fi
for _ in $(seq 60); do
  state=$(podman exec "$host" systemctl is-system-running 2>/dev/null || true)
  [[ "$state" == running || "$state" == degraded ]] && exit 0
  sleep 1
done
echo "test-host: $host did not finish booting (systemctl is-system-running: ${state:-no answer})" >&2
exit 1
