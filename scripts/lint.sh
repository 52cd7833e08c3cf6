#!/usr/bin/env bash
# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Static checks: the pre-commit hooks on every file (ruff, yamllint, ansible-lint's production
# profile on roles/ and playbooks/, antsibull-changelog lint; .pre-commit-config.yaml is their one
# home), then `ansible-test sanity` on a copy of the collection (the offline tests;
# ZOTOPS_SANITY=full for all), then antsibull-docs' lint of the module, filter and role docs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=scripts/env.sh
source scripts/env.sh

stage() { printf '\n=== %s\n' "$*"; }

stage "pre-commit hooks on all files (.pre-commit-config.yaml)"
pre-commit run --all-files --show-diff-on-failure

stage "ansible-test sanity (ZOTOPS_SANITY=${ZOTOPS_SANITY:-offline})"
# ansible-test needs the collection at ansible_collections/<namespace>/<name>: copy the
# working tree's tracked and new files there (not .venv, .cache or other ignored files).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
copy=$tmp/ansible_collections/zotops/registry
mkdir -p "$copy"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' file; do
  [[ -e "$file" ]] && printf '%s\0' "$file"
done | tar --null -T - -cf - | tar -xf - -C "$copy"
# The offline tests need nothing installed. With ZOTOPS_SANITY=full the tests that run in
# virtual environments of their own are added (validate-modules, import, ansible-doc,
# pylint, pep8, yamllint, runtime-metadata); their packages come from PyPI and pip is
# bootstrapped by scripts/ansible-test-get-pip.py, put where ansible-test caches get-pip.py.
tests=(action-plugin-docs compile empty-init ignores line-endings no-assert no-get-exception
  no-illegal-filenames no-smart-quotes replace-urlopen shebang symlinks use-argspec-type-path
  use-compat-six)
if [[ "${ZOTOPS_SANITY:-offline}" == full ]]; then
  pip_version=$(python -c 'from ansible_test._internal.python_requirements import get_venv_packages as p; from ansible_test._internal.host_configs import NativePythonConfig as c; print(p(c(version="3.11"))["pip"])')
  install -D -m 0644 scripts/ansible-test-get-pip.py "$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
  tests+=(validate-modules import ansible-doc pylint pep8 yamllint runtime-metadata)
fi
(cd "$copy" && ansible-test sanity --local --python 3.11 "${tests[@]/#/--test=}")

stage "antsibull-docs lint-collection-docs (module, filter and role documentation)"
# The same copy: every plugin documented, semantic markup and references valid, role
# argument specs well-formed (rstcheck is for an RST docsite this project does not build).
ANSIBLE_COLLECTIONS_PATH=$tmp antsibull-docs lint-collection-docs --plugin-docs --skip-rstcheck "$copy"
