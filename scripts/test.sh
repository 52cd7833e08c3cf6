#!/usr/bin/env bash
# The whole test suite: lint, unit tests, collection build/docs checks, integration tests
# against real zot on loopback, and the molecule scenarios on systemd test hosts, with the
# reliability scenario and the oldest/newest ansible-core lines in a second lane beside all
# of it so the suite fits its time budget on a 2-core machine.
# ZOTOPS_MOLECULE_SCENARIOS="default mirror" narrows the scenarios; ZOTOPS_COMPAT="" skips
# the ansible-core lines.
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
# a lane of its own from the start (its hosts, containers and ports overlap with nothing
# else); the lane's output is printed whole when it ends.
molecule_lane() {
  for scenario in "$@"; do
    stage "molecule $scenario"
    molecule test -s "$scenario"
  done
}
others=()
with_reliability=""
for scenario in $scenarios; do
  if [[ $scenario == reliability ]]; then with_reliability=1; else others+=("$scenario"); fi
done
# The ansible-core lines at both ends of meta/runtime.yml's claim (scripts/compat.sh);
# ZOTOPS_COMPAT="" skips them.
compat_lines=${ZOTOPS_COMPAT-2.17 2.21}
second_lane() {
  if [[ -n $with_reliability ]]; then molecule_lane reliability; fi
  if [[ -n $compat_lines ]]; then
    stage "ansible-core compatibility: $compat_lines"
    # shellcheck disable=SC2086 # one argument per line
    bash scripts/compat.sh $compat_lines
  fi
}
second_log=$(mktemp)
second_lane >"$second_log" 2>&1 &
second_pid=$!

main_lane() {
  stage "lint (pre-commit hooks, ansible-test sanity)"
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
  run_pytest -q --durations=15 tests/integration

  molecule_lane "${others[@]}"
}

# In the background so that `set -e` stops the lane at its first failure (a subshell
# whose status `||` checks would run on).
main_lane &
main_pid=$!
rc_main=0
wait "$main_pid" || rc_main=$?
rc_second=0
wait "$second_pid" || rc_second=$?
cat "$second_log"
rm -f "$second_log"
if ((rc_main || rc_second)); then
  echo "test: failed (main lane: exit $rc_main; second lane, reliability and ansible-core lines: exit $rc_second)" >&2
  exit 1
fi
echo "test: every stage passed"
