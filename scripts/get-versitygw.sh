#!/usr/bin/env bash
# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Get the S3 server the cluster scenario and benchmark store images in: versitygw (posix
# backend), built with `go install` from the Go module proxy at a pinned version and cached.
#
#   scripts/get-versitygw.sh      prints the path of the binary
#
# $VERSITYGW_BINARY, when set, is used as given. Fails naming what it tried.
set -euo pipefail

# v1.8.0: the newest release the proxy serves; builds with Go >= 1.25.
version=v1.8.0
module=github.com/versity/versitygw/cmd/versitygw
if [[ -n "${VERSITYGW_BINARY:-}" ]]; then
  [[ -x "$VERSITYGW_BINARY" ]] && { echo "$VERSITYGW_BINARY"; exit 0; }
  echo "get-versitygw: $VERSITYGW_BINARY (from the environment) is not executable" >&2
  exit 1
fi
cache_dir="${ZOTOPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/zotops}/versitygw-$version"
binary=$cache_dir/versitygw
if [[ -x "$binary" ]]; then
  echo "$binary"
  exit 0
fi
command -v go >/dev/null || { echo "get-versitygw: go is not installed; cannot go install $module@$version" >&2; exit 1; }
mkdir -p "$cache_dir"
echo "get-versitygw: go install $module@$version (several minutes)" >&2
if ! GOBIN=$cache_dir go install "$module@$version" >&2; then
  echo "get-versitygw: go install $module@$version failed (Go module proxy: $(go env GOPROXY))" >&2
  exit 1
fi
echo "$binary"
