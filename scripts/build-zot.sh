#!/usr/bin/env bash
# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Build zot from the Go module proxy, the way upstream builds its release binaries,
# and cache the result keyed by version + extension tags.
#
#   scripts/build-zot.sh [VERSION] [TAGS]      prints the path of the cached binary
#
# VERSION defaults to the collection's pinned zot version (roles/zot/defaults/main.yml),
# TAGS to the extensions the tests exercise; an empty TAGS builds the minimal flavour.
# Re-running with the same inputs is instant. scripts/get-zot.sh calls this when no
# prebuilt binary is at hand.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
pinned=$(sed -n 's/^zot_version: *"\{0,1\}\(v[0-9.]*\)"\{0,1\}.*/\1/p' "$here/roles/zot/defaults/main.yml" 2>/dev/null || true)
version=${1:-${ZOT_VERSION:-$pinned}}
tags=${2-${ZOT_BUILD_TAGS-sync,metrics}}
cache_root=${ZOTOPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/zotops}
out_dir="$cache_root/zot/build/${version}_${tags:-minimal}"
out_dir=${out_dir//,/-}
out="$out_dir/zot"

if [[ -x "$out" ]] && "$out" -v 2>/dev/null | grep -q "\"$version\""; then
  echo "$out"
  exit 0
fi

command -v go >/dev/null || { echo "build-zot: go is not installed" >&2; exit 1; }

pkg=zotregistry.dev/zot/v2
bi=$pkg/pkg/buildinfo
gover=$(go env GOVERSION)
# Without these -X flags `zot -v` prints nothing and storage.fastRestart never works.
binary_type=${tags:+-${tags//,/-}}
ldflags="-s -w -X $bi.ReleaseTag=$version -X $bi.Commit=$version -X $bi.BinaryType=${binary_type:-minimal} -X $bi.GoVersion=$gover"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "build-zot: building $pkg/cmd/zot@$version with tags [$tags] (cached afterwards)" >&2
GOBIN="$tmp" GOEXPERIMENT=jsonv2 CGO_ENABLED=0 \
  go install -tags "$tags" -trimpath -buildmode=pie -ldflags "$ldflags" "$pkg/cmd/zot@$version"

mkdir -p "$out_dir"
install -m 0755 "$tmp/zot" "$out.new"
mv -f "$out.new" "$out"
"$out" -v >/dev/null 2>&1 || { echo "build-zot: built binary does not run" >&2; exit 1; }
echo "$out"
