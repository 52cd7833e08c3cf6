#!/usr/bin/env bash
# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Get a real zot binary for the demo, the tests and the benchmarks, verified and cached.
#
#   scripts/get-zot.sh [full|minimal]      prints the path of the binary
#
# Sources, in this order (the first that works wins; nothing that is not zot is ever used):
#   1. $ZOT_BINARY (full) or $ZOT_MINIMAL_BINARY (minimal), as given;
#   2. $ZOTOPS_SHARED/zot/zot-<version>-linux-<arch>[-minimal].xz (default: ../shared beside
#      this checkout), checked against the SHA256SUMS file beside it;
#   3. `go install` from the Go module proxy (scripts/build-zot.sh);
#   4. the GitHub release asset, checked against the release's checksums.sha256.txt.
# Fails naming every source it tried. The version is the role's pinned zot_version.
set -euo pipefail

flavour=${1:-full}
case "$flavour" in
  full) suffix="" ; override=${ZOT_BINARY:-} ; tags=sync,search,scrub,metrics,lint,mgmt,userprefs,imagetrust,events ;;
  minimal) suffix="-minimal" ; override=${ZOT_MINIMAL_BINARY:-} ; tags="" ;;
  *) echo "get-zot: flavour must be full or minimal, not '$flavour'" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^zot_version: *"\{0,1\}\(v[0-9.]*\)"\{0,1\}.*/\1/p' "$root/roles/zot/defaults/main.yml")
case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) arch=$(uname -m) ;;
esac
os=$(uname -s | tr '[:upper:]' '[:lower:]')
asset="zot-$os-$arch$suffix"
shared=${ZOTOPS_SHARED:-$root/../shared}
cache_dir="${ZOTOPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/zotops}/zot/$version$suffix"
mkdir -p "$(dirname "$cache_dir")"
tried=()

# A binary is accepted only when `zot -v` names the pinned version.
is_zot() { "$1" -v 2>&1 | grep -q "\"commit\":\"$version\""; }

if [[ -n "$override" ]]; then
  is_zot "$override" && { echo "$override"; exit 0; }
  echo "get-zot: $override (from the environment) is not zot $version" >&2
  exit 1
fi

# 2. The shared copy for machines without release downloads.
# shellcheck source=scripts/lib/shared-binary.sh
source "$root/scripts/lib/shared-binary.sh"
out="$cache_dir/shared/zot"
if reason=$(unpack_shared "$shared/zot/zot-$version-$os-$arch$suffix.xz" "$shared/zot/SHA256SUMS" \
  "zot-$version-$os-$arch$suffix" "$out"); then
  is_zot "$out" && { echo "$out"; exit 0; }
  tried+=("$out: does not run as zot $version")
else
  tried+=("$reason")
fi

# 3. go install from the Go module proxy.
if out=$("$root/scripts/build-zot.sh" "$version" "$tags" 2>"$cache_dir.build.log"); then
  echo "$out"; exit 0
fi
tried+=("go install zotregistry.dev/zot/v2/cmd/zot@$version: failed (log: $cache_dir.build.log)")

# 4. The release asset, checked against upstream's checksum list.
base=${ZOT_RELEASE_BASE_URL:-https://github.com/project-zot/zot/releases/download/$version}
out="$cache_dir/release/zot"
if [[ -x "$out" ]] && is_zot "$out"; then echo "$out"; exit 0; fi
mkdir -p "$cache_dir/release"
if curl -fsSL --max-time 300 -o "$out.new" "$base/$asset" 2>/dev/null &&
   sums=$(curl -fsSL --max-time 30 "$base/checksums.sha256.txt" 2>/dev/null); then
  want=$(awk -v n="$asset" '$2 == n || $2 == "*" n {print $1}' <<<"$sums")
  if [[ -n "$want" ]] && echo "$want  $out.new" | sha256sum -c --quiet - >/dev/null 2>&1; then
    chmod 0755 "$out.new" && mv -f "$out.new" "$out"
    echo "$out"; exit 0
  fi
  tried+=("$base/$asset: sha256 does not match checksums.sha256.txt")
else
  tried+=("$base/$asset: download failed")
fi
rm -f "$out.new"

echo "get-zot: no zot $version ($flavour) could be had; tried:" >&2
printf '  - %s\n' "${tried[@]}" >&2
exit 1
