#!/usr/bin/env bash
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

packed="$shared/dex/$name.xz"
sums="$shared/dex/SHA256SUMS"
[[ -f "$packed" && -f "$sums" ]] || { echo "get-dex: $packed or $sums not present" >&2; exit 1; }
want=$(awk -v n="$name" '$2 == n || $2 == "*" n {print $1}' "$sums")
[[ -n "$want" ]] || { echo "get-dex: $name is not listed in $sums" >&2; exit 1; }
if [[ -x "$out" ]] && echo "$want  $out" | sha256sum -c --quiet - 2>/dev/null; then
  echo "$out"; exit 0
fi
mkdir -p "$(dirname "$out")"
xz -dc "$packed" > "$out.new"
if ! echo "$want  $out.new" | sha256sum -c --quiet - >/dev/null 2>&1; then
  rm -f "$out.new"
  echo "get-dex: $packed: sha256 differs from $sums" >&2
  exit 1
fi
chmod 0755 "$out.new" && mv -f "$out.new" "$out"
is_dex "$out" || { echo "get-dex: $out does not run as Dex $version" >&2; exit 1; }
echo "$out"
