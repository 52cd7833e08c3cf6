#!/usr/bin/env bash
# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Install everything the demo and the tests need, idempotently, and cache slow artefacts:
# Debian packages, the project venv, the zot binary, the systemd test-host image.
# Safe to run again; a second run only checks.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cache=$root/.cache
mkdir -p "$cache"

# slapd, ldap-utils: the test directory (tests/support/ldap_directory.py); redis-server and haproxy:
# the cluster benchmark runs them on loopback (bench/cluster_throughput.py); nginx-light: the
# example proxy config in front of zot in the flood test (harness/nginx.py); prometheus: the
# example scrape job and dashboard against real zot (harness/prometheus.py); caddy: the example
# Caddyfile in front of zot (harness/caddy.py); chromium: the browser tests in zot's web UI
# (tests/support/zot_ui.py); postgresql and the build libraries: authentik from source
# (harness/authentik.py).
apt_packages=(podman runc debootstrap skopeo containerd docker-registry python3-venv uidmap xz-utils curl slapd ldap-utils
  redis-server haproxy nginx-light prometheus caddy chromium
  postgresql libpq-dev libxml2-dev libxmlsec1-dev libxmlsec1-openssl libxslt1-dev libkrb5-dev krb5-multidev pkg-config
  build-essential)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  apt-get update -qq
  # The tests run their own slapd (tests/support/ldap_directory.py): no system directory.
  echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  # The tests start nginx themselves; the one Debian's package starts (port 80, with
  # systemd) is not wanted when this setup installed it.
  if [[ " ${missing[*]} " == *" nginx-light "* ]] && command -v systemctl >/dev/null; then
    systemctl disable --now nginx >/dev/null 2>&1 || true
  fi
fi
# crun cannot run containers on this machine's cgroup hybrid mode; podman must use runc.
conf=/etc/containers/containers.conf.d/50-zotops-runc.conf
if [[ ! -f "$conf" ]]; then
  mkdir -p "$(dirname "$conf")"
  printf '# Written by zotops.registry scripts/setup.sh\n[engine]\nruntime = "runc"\n' > "$conf"
fi
# Debian starts these services on their default ports; the tests run their own instances.
for service in docker-registry redis-server haproxy prometheus prometheus-node-exporter caddy postgresql; do
  if systemctl is-active --quiet "$service" 2>/dev/null; then systemctl disable --now "$service" || true; fi
done

# Project venv, reinstalled only when requirements.txt changes.
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [[ ! -x .venv/bin/python || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  echo "setup: installing Python requirements into .venv" >&2
  [[ -x .venv/bin/python ]] || python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
  echo "$want" > "$stamp"
fi

# `zotops.registry.*` resolves to this checkout (ansible.cfg: collections_path).
link=.cache/collections/ansible_collections/zotops/registry
if [[ ! -L "$link" ]]; then
  mkdir -p "$(dirname "$link")"
  ln -s ../../../.. "$link"
fi

# zot, both flavours (scripts/get-zot.sh says where it looked when it finds none).
scripts/get-zot.sh full > "$cache/zot-binary"
scripts/get-zot.sh minimal > "$cache/zot-minimal-binary"
# Dex, for the identity-chain tests (scripts/get-dex.sh).
scripts/get-dex.sh > "$cache/dex-binary"

# authentik for the authentik_* modules and the authentik_client role: its venv and a migrated
# template database, built once from $ZOTOPS_SHARED/authentik and cached (harness/authentik.py).
if ! authentik_root=$(.venv/bin/python -m harness.authentik build); then
  echo "setup: could not build authentik from ${ZOTOPS_SHARED:-../shared}/authentik (its logs: ~/.cache/zotops/authentik/*/logs)" >&2
  exit 1
fi
echo "setup: authentik in $authentik_root" >&2

# The S3 server of the cluster scenario and benchmark.
scripts/get-versitygw.sh > "$cache/versitygw-binary"

scripts/build-test-image.sh > "$cache/test-image"
