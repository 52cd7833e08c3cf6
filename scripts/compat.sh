#!/usr/bin/env bash
# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# The ansible-core lines meta/runtime.yml claims, at both ends: the oldest (2.17, via the
# `ansible` 10 package) and the newest release (2.21, `ansible` 14, which needs Python 3.12).
# Each gets a venv of its own (cached under ~/.cache/zotops/), runs the unit tests, and
# converges the site playbook (--tags zot, checklist included) twice on a systemd test host,
# the second run changing nothing. Usage: scripts/compat.sh [LINE...] (default: all).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=scripts/env.sh
source scripts/env.sh

# line -> "python version, ansible package pin"
declare -A lines=(
  [2.17]="3.11 ansible==10.7.0"
  [2.21]="3.12 ansible==14.5.0"
)
# The test tools' pins come from requirements.txt, their one home.
test_pins=$(grep -E '^(pytest|bcrypt|jsonschema|requests|cel-expr-python)==' requirements.txt | tr '\n' ' ')
host=zotops-compat
port=5040

python_for() {
  local version=$1 candidate
  # pyenv's shims exist on PATH even for versions not selected, so try each one.
  for candidate in "$HOME"/.pyenv/versions/"$version".*/bin/python "python$version"; do
    if "$candidate" -c 'import sys' >/dev/null 2>&1; then
      command -v "$candidate"
      return
    fi
  done
  echo "compat: no Python $version found (python$version on PATH or pyenv)" >&2
  return 1
}

venv_for() {
  local line=$1 python pin venv stamp
  read -r python pin <<<"${lines[$line]}"
  venv=$HOME/.cache/zotops/ansible-core-$line
  stamp="$pin $test_pins"
  if [[ "$(cat "$venv/.pins" 2>/dev/null)" != "$stamp" ]]; then
    echo "compat: installing $pin on Python $python into $venv" >&2
    rm -rf "$venv"
    "$(python_for "$python")" -m venv "$venv"
    # shellcheck disable=SC2086 # the pins are words
    "$venv/bin/pip" install -q --disable-pip-version-check "$pin" $test_pins ||
      { echo "compat: could not install $pin $test_pins from PyPI" >&2; return 1; }
    echo "$stamp" >"$venv/.pins"
  fi
  echo "$venv"
}

converge() {
  ansible-playbook playbooks/site.yml --tags zot -l zotops-demo \
    -e ansible_host=$host -e zot_http_port=$port "$@"
}

selected=("$@")
((${#selected[@]})) || selected=(2.17 2.21)
trap 'podman rm -f "$host" >/dev/null 2>&1 || true' EXIT
for line in "${selected[@]}"; do
  [[ -n ${lines[$line]:-} ]] || { echo "compat: unknown ansible-core line $line" >&2; exit 2; }
  venv=$(venv_for "$line")
  export PATH="$venv/bin:$PATH"
  printf "\n=== ansible-core %s: %s\n" "$line" "$(python -c "import ansible.release as r; print(r.__version__)")"
  python -m pytest -q -p no:cacheprovider tests/unit
  podman rm -f "$host" >/dev/null 2>&1 || true
  scripts/test-host.sh "$host"
  converge
  log=$(mktemp)
  converge | tee "$log"
  grep -Eq "^zotops-demo +: ok=[0-9]+ +changed=0 +unreachable=0 +failed=0" "$log" ||
    { echo "compat: ansible-core $line: the second converge changed something" >&2; exit 1; }
  rm -f "$log"
  podman rm -f "$host" >/dev/null
done
