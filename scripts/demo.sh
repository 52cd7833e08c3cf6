#!/usr/bin/env bash
# The main job: deploy the hardened registry to a local systemd test host and print the
# verification result. The host is a podman container booted with systemd; it stays up
# afterwards (registry at http://127.0.0.1:5000; remove it with `podman rm -f zotops-demo`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
# shellcheck source=scripts/env.sh
source scripts/env.sh

host=zotops-demo
if [[ "$(podman inspect -f '{{.Config.Image}}' "$host" 2>/dev/null)" != "$ZOTOPS_TEST_IMAGE" ]]; then
  podman rm -f "$host" >/dev/null 2>&1 || true
  podman run -d --name "$host" --privileged --network host --systemd=always \
    --ulimit nofile=20000:20000 --ulimit nproc=4096:4096 \
    "$ZOTOPS_TEST_IMAGE" /lib/systemd/systemd >/dev/null
elif [[ "$(podman inspect -f '{{.State.Running}}' "$host")" != true ]]; then
  podman start "$host" >/dev/null
fi
for _ in $(seq 30); do
  state=$(podman exec "$host" systemctl is-system-running 2>/dev/null || true)
  [[ "$state" == running || "$state" == degraded ]] && break
  sleep 1
done

ansible-playbook playbooks/site.yml --tags zot "$@"
