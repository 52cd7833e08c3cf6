#!/usr/bin/env bash
# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Get the real Dex binary the identity-chain tests run, verified and cached.
#
#   scripts/get-dex.sh      prints the path of the binary
#
# Sources, in this order: $DEX_BINARY as given; $ZOTOPS_SHARED/dex/dex-<version>-linux-<arch>.xz
# (default: ../shared beside this checkout) checked against the SHA256SUMS file beside it.
# Dex cannot be `go install`ed (its go.mod has a replace directive). The binary is never
# committed. A binary is accepted only when `dex version` names DEX_VERSION.
set -euo pipefail

version=${DEX_VERSION:-v2.45.1}
root=$(cd "$(dirname "$0")/.." && pwd)
case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) arch=$(uname -m) ;;
esac
os=$(uname -s | tr '[:upper:]' '[:lower:]')
name="dex-$version-$os-$arch"
shared=${ZOTOPS_SHARED:-$root/../shared}
out="${ZOTOPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/zotops}/dex/$version/dex"

is_dex() { "$1" version 2>&1 | grep -q "Dex Version: $version\$"; }

if [[ -n "${DEX_BINARY:-}" ]]; then
  is_dex "$DEX_BINARY" && { echo "$DEX_BINARY"; exit 0; }
  echo "get-dex: $DEX_BINARY (from the environment) is not Dex $version" >&2
  exit 1
fi

# shellcheck source=scripts/lib/shared-binary.sh
source "$root/scripts/lib/shared-binary.sh"
if ! reason=$(unpack_shared "$shared/dex/$name.xz" "$shared/dex/SHA256SUMS" "$name" "$out"); then
  echo "get-dex: $reason" >&2
  exit 1
fi
is_dex "$out" || { echo "get-dex: $out does not run as Dex $version" >&2; exit 1; }
echo "$out"
