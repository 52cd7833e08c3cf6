#!/usr/bin/env bash
# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# The whole test suite: lint, unit tests, collection build/docs checks, integration tests
# against real zot on loopback, and the molecule scenarios on systemd test hosts, in two
# lanes side by side so the suite fits its time budget on a 2-core machine.
# ZOTOPS_MOLECULE_SCENARIOS="default mirror" narrows the scenarios; ZOTOPS_COMPAT="" skips
# the ansible-core lines; ZOTOPS_RELIABILITY_EXTENDED=1 adds the reliability scenario's slow
# series (canaries, data safety, faults, release install).
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

scenarios=${ZOTOPS_MOLECULE_SCENARIOS:-default mirror oidc reliability cluster}
# Two lanes of about equal length on a 2-core machine: the main lane ends with the default
# and oidc scenarios; the second runs mirror, reliability and cluster (their hosts,
# containers and ports overlap with nothing else), then the ansible-core lines. The second
# lane's output is printed whole when it ends.
molecule_lane() {
  for scenario in "$@"; do
    stage "molecule $scenario"
    molecule test -s "$scenario"
  done
}
main_scenarios=()
second_scenarios=()
for scenario in $scenarios; do
  case $scenario in
    reliability | mirror | cluster) second_scenarios+=("$scenario") ;;
    *) main_scenarios+=("$scenario") ;;
  esac
done
# The ansible-core lines at both ends of meta/runtime.yml's claim (scripts/compat.sh);
# ZOTOPS_COMPAT="" skips them.
compat_lines=${ZOTOPS_COMPAT-2.17 2.21}
second_lane() {
  molecule_lane "${second_scenarios[@]}"
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

  molecule_lane "${main_scenarios[@]}"
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
  echo "test: failed (main lane: exit $rc_main; second lane, molecule ${second_scenarios[*]} and ansible-core lines: exit $rc_second)" >&2
  exit 1
fi
echo "test: every stage passed"
