# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Sourced by scripts/get-*.sh: a binary from ../shared (xz-compressed, with SHA256SUMS).

# unpack_shared PACKED SUMS NAME OUT: OUT becomes PACKED decompressed when SUMS lists NAME's
# sha256 and the result has it; an OUT that already has it is kept. Otherwise prints why
# (one line, the caller adds its own prefix) and returns 1.
unpack_shared() {
  local packed=$1 sums=$2 name=$3 out=$4 want
  [[ -f "$packed" ]] || { echo "$packed: not present"; return 1; }
  [[ -f "$sums" ]] || { echo "$sums: not present"; return 1; }
  want=$(awk -v n="$name" '$2 == n || $2 == "*" n {print $1}' "$sums")
  [[ -n "$want" ]] || { echo "$packed: not listed in $sums"; return 1; }
  if [[ -x "$out" ]] && echo "$want  $out" | sha256sum -c --quiet - >/dev/null 2>&1; then
    return 0
  fi
  mkdir -p "$(dirname "$out")"
  xz -dc "$packed" >"$out.new"
  if ! echo "$want  $out.new" | sha256sum -c --quiet - >/dev/null 2>&1; then
    rm -f "$out.new"
    echo "$packed: sha256 differs from $sums"
    return 1
  fi
  chmod 0755 "$out.new" && mv -f "$out.new" "$out"
}
