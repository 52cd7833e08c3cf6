#!/usr/bin/env bash
# The whole test suite: lint, unit tests, collection build/docs checks, integration tests
# against real zot on loopback, and the molecule scenarios on systemd test hosts, with the
# reliability scenario in a second lane beside all of it so the suite fits its time budget
# on a 2-core machine. ZOTOPS_MOLECULE_SCENARIOS="default mirror" narrows the scenarios.
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

scenarios=${ZOTOPS_MOLECULE_SCENARIOS:-default mirror oidc reliability}
# The reliability scenario takes about as long as everything else together, so it runs in
# a lane of its own from the start (its host, container and ports overlap with nothing
# else); its output is printed whole when it ends.
molecule_lane() {
  for scenario in "$@"; do
    stage "molecule $scenario"
    molecule test -s "$scenario"
  done
}
others=()
reliability_log=$(mktemp)
reliability_pid=""
for scenario in $scenarios; do
  if [[ $scenario == reliability ]]; then
    molecule_lane reliability >"$reliability_log" 2>&1 &
    reliability_pid=$!
  else
    others+=("$scenario")
  fi
done

main_lane() {
  stage "lint (ansible-lint, ansible-test sanity, ruff)"
  bash scripts/lint.sh

  stage "unit tests"
  run_pytest -q tests/unit

  stage "collection build and module docs"
  local tmp
  tmp=$(mktemp -d)
  ansible-galaxy collection build --force --output-path "$tmp" >/dev/null
  rm -rf "$tmp"
  for module in plugins/modules/*.py; do
    ansible-doc -t module "zotops.registry.$(basename "$module" .py)" >/dev/null
  done

  stage "integration tests (real zot on loopback)"
  run_pytest -q tests/integration

  molecule_lane "${others[@]}"
}

# In the background so that `set -e` stops the lane at its first failure (a subshell
# whose status `||` checks would run on).
main_lane &
main_pid=$!
rc_main=0
wait "$main_pid" || rc_main=$?
rc_reliability=0
if [[ -n $reliability_pid ]]; then
  wait "$reliability_pid" || rc_reliability=$?
  cat "$reliability_log"
fi
rm -f "$reliability_log"
if ((rc_main || rc_reliability)); then
  echo "test: failed (main lane: exit $rc_main; reliability lane: exit $rc_reliability)" >&2
  exit 1
fi
echo "test: every stage passed"
