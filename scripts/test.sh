#!/usr/bin/env bash
# The whole test suite: lint, unit tests, integration tests against a registry process on
# loopback, collection build/docs checks, and molecule scenarios on the systemd test host.
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

stage "integration tests (registry on loopback)"
run_pytest -q tests/integration

stage "collection build and module docs"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ansible-galaxy collection build --force --output-path "$tmp" >/dev/null
for module in plugins/modules/*.py; do
  name=$(basename "$module" .py)
  ansible-doc -t module "zotops.registry.$name" >/dev/null
done

stage "molecule"
for scenario in ${ZOTOPS_MOLECULE_SCENARIOS:-default mirror oidc reliability}; do
  molecule test -s "$scenario"
done
