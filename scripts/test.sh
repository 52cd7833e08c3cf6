#!/usr/bin/env bash
# The whole test suite: lint, unit tests, collection build/docs checks, then integration
# tests against real zot on loopback and the molecule scenarios on systemd test hosts.
# Those last two run in two lanes side by side (their hosts and ports never overlap), so
# the suite fits its time budget on a 2-core machine; each lane's output is printed whole
# when it ends. ZOTOPS_MOLECULE_SCENARIOS="default mirror" narrows the scenarios.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
# shellcheck source=scripts/env.sh
source scripts/env.sh
for binary in "$ZOTOPS_ZOT_BINARY" "$ZOTOPS_ZOT_MINIMAL_BINARY"; do
  echo "test: zot under test: $binary: $("$binary" -v 2>&1 | tail -n 1)" >&2
done

stage() { printf '\n=== %s\n' "$*"; }

# pytest exits 5 when a stage collects no test, which is fine for a stage that may be empty.
run_pytest() {
  local rc=0
  python -m pytest "$@" || rc=$?
  if ((rc == 5)); then echo "test: no tests collected in $*"; rc=0; fi
  return "$rc"
}

stage "lint (ansible-lint, ansible-test sanity, ruff)"
bash scripts/lint.sh

stage "unit tests"
run_pytest -q tests/unit

stage "collection build and module docs"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ansible-galaxy collection build --force --output-path "$tmp" >/dev/null
for module in plugins/modules/*.py; do
  name=$(basename "$module" .py)
  ansible-doc -t module "zotops.registry.$name" >/dev/null
done

scenarios=${ZOTOPS_MOLECULE_SCENARIOS:-default mirror oidc reliability}
# The reliability scenario is as long as everything else together: it gets a lane of its own.
lane_a=() lane_b=()
for scenario in $scenarios; do
  if [[ $scenario == reliability ]]; then lane_b+=("$scenario"); else lane_a+=("$scenario"); fi
done

molecule_lane() {
  for scenario in "$@"; do
    stage "molecule $scenario"
    molecule test -s "$scenario"
  done
}

integration_lane() {
  stage "integration tests (real zot on loopback)"
  run_pytest -q tests/integration
  molecule_lane "$@"
}

stage "integration tests and molecule scenarios, in two lanes (output follows as each ends)"
integration_lane "${lane_a[@]}" >"$tmp/lane-a.log" 2>&1 &
pid_a=$!
molecule_lane "${lane_b[@]}" >"$tmp/lane-b.log" 2>&1 &
pid_b=$!
rc_b=0
wait "$pid_b" || rc_b=$?
cat "$tmp/lane-b.log"
rc_a=0
wait "$pid_a" || rc_a=$?
cat "$tmp/lane-a.log"
if ((rc_a || rc_b)); then
  echo "test: failed (integration and molecule lane: exit $rc_a; reliability lane: exit $rc_b)" >&2
  exit 1
fi
echo "test: every stage passed"
