#!/usr/bin/env bash
# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Build the systemd test-host image (Debian bookworm, booted by podman) once per recipe.
#
#   scripts/build-test-image.sh      prints the image reference
#
# The tag carries a hash of this file, so editing the recipe rebuilds and an unchanged
# recipe is a no-op. No container registry is needed: the root filesystem comes from
# debootstrap and is imported into podman's local storage.
set -euo pipefail

name=localhost/zotops-testhost
# What a test host needs: systemd as PID 1 and python3 for Ansible (debootstrap), then
# sudo for become, containerd for the mirror scenario, logrotate as on a server, and tools for debugging (apt inside the
# new root: debootstrap cannot configure them all itself).
base=systemd,systemd-sysv,dbus,python3
packages="sudo ca-certificates containerd iproute2 procps logrotate"
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

recipe_hash=$( (cat "$0") | sha256sum | cut -c1-12)
image="$name:bookworm-$recipe_hash"

if podman image exists "$image"; then
  echo "$image"
  exit 0
fi

command -v debootstrap >/dev/null || { echo "build-test-image: debootstrap is not installed" >&2; exit 1; }
rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
echo "build-test-image: debootstrap bookworm ($base; $packages)" >&2
debootstrap --variant=minbase --include="$base" bookworm "$rootfs" "$mirror" >&2
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
chroot "$rootfs" apt-get update -qq >&2
# shellcheck disable=SC2086 # word splitting of the package list is intended
DEBIAN_FRONTEND=noninteractive chroot "$rootfs" apt-get install -y -qq --no-install-recommends $packages >&2

# A booted container has no console to log in on and no hardware to wait for.
chroot "$rootfs" systemctl mask getty.target console-getty.service systemd-udevd.service \
  systemd-udevd-kernel.socket systemd-udevd-control.socket >&2 || true
# containerd is started by the scenarios that need it, not at every boot.
chroot "$rootfs" systemctl disable containerd.service >&2 || true
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*

tar -C "$rootfs" -c . | podman import --change 'CMD ["/lib/systemd/systemd"]' - "$image" >&2
echo "$image"
