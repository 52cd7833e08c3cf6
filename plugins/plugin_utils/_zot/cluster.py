# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""zot's scale-out cluster: which member owns a repository, and the cluster's shared parts.

zot (v2.1.20 pkg/cluster/cluster.go) gives every repository one owner: SipHash-2-4 of the
repository name, keyed with `cluster.hashKey`, modulo the number of members. A member that
is not the owner proxies the request to the owner (pkg/api/proxy.go). The tests and the
how-to compute owners here, the same way, to know which member a repository needs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import struct

# zot refuses any other length (pkg/cli/server/root.go validateClusterConfig): SipHash
# takes a 128-bit key, and zot uses the key's bytes as they are.
HASH_KEY_BYTES = 16
# Prefixes in the shared Redis so zot's metadata and its sessions do not collide.
REDIS_CACHE_PREFIX = "zot"
REDIS_SESSION_PREFIX = "zotsession"
# Environment variables the S3 driver reads its credentials from when the config has none
# (the AWS SDK's environment provider), so they stay out of config.json.
S3_CREDENTIAL_VARIABLES = {"access_key": "AWS_ACCESS_KEY_ID", "secret_key": "AWS_SECRET_ACCESS_KEY"}
# Role setting -> key of zot's s3 storageDriver (distribution's s3-aws driver).
S3_KEYS = {
    "bucket": "bucket",
    "region": "region",
    "endpoint": "regionendpoint",
    "root_directory": "rootdirectory",
    "force_path_style": "forcepathstyle",
    "secure": "secure",
    "skip_verify": "skipverify",
}
S3_DEFAULTS = {"root_directory": "/zot", "force_path_style": True, "secure": True, "skip_verify": False}
_MASK = 0xFFFFFFFFFFFFFFFF


def _rotl(value, bits):
    return ((value << bits) | (value >> (64 - bits))) & _MASK


def siphash24(key, data):
    """SipHash-2-4 of `data` (bytes) with a 16-byte `key`, as a 64-bit integer."""
    k0, k1 = struct.unpack("<QQ", key)
    v0, v1 = k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D
    v2, v3 = k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573

    def rounds(count, v0, v1, v2, v3):
        for _ in range(count):
            v0 = (v0 + v1) & _MASK
            v1 = _rotl(v1, 13) ^ v0
            v0 = _rotl(v0, 32)
            v2 = (v2 + v3) & _MASK
            v3 = _rotl(v3, 16) ^ v2
            v0 = (v0 + v3) & _MASK
            v3 = _rotl(v3, 21) ^ v0
            v2 = (v2 + v1) & _MASK
            v1 = _rotl(v1, 17) ^ v2
            v2 = _rotl(v2, 32)
        return v0, v1, v2, v3

    tail = len(data) % 8
    # The last word carries the length's low byte in its top byte.
    last = bytes(data[len(data) - tail :]) + b"\0" * (7 - tail) + bytes([len(data) & 0xFF])
    for (word,) in struct.iter_unpack("<Q", bytes(data[: len(data) - tail]) + last):
        v3 ^= word
        v0, v1, v2, v3 = rounds(2, v0, v1, v2, v3)
        v0 ^= word
    v2 ^= 0xFF
    v0, v1, v2, v3 = rounds(4, v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3


def owner(hash_key, members, repository):
    """(index, member) of the cluster member that owns `repository`."""
    index = siphash24(hash_key.encode("utf-8"), repository.encode("utf-8")) % len(members)
    return index, members[index]


def members_of_group(hosts, hostvars, default_port):
    """`host:port` of each inventory host, in inventory order (every member must list the
    members in the same order: the owner is an index into the list). The address is the
    host's zot_cluster_address, else its ansible_host, else its inventory name."""
    members = []
    for host in hosts:
        variables = hostvars[host]
        address = variables.get("zot_cluster_address") or variables.get("ansible_host") or host
        members.append("%s:%s" % (address, variables.get("zot_http_port", default_port)))
    return members


def cluster_config(members, hash_key):
    """zot's `cluster` block; the message of a refusal names the role variable."""
    if not isinstance(members, list) or len(members) < 2:
        raise ValueError(
            "zot_cluster_members: a cluster needs at least two members (host:port), got %r" % members
        )
    for index, member in enumerate(members):
        host, _, port = str(member).rpartition(":")
        if not host or not port.isdigit():
            raise ValueError("zot_cluster_members[%d]: must be host:port, got %r" % (index, member))
    if len(set(members)) != len(members):
        raise ValueError("zot_cluster_members: lists a member twice")
    # Never echo the key: it is a secret.
    if not isinstance(hash_key, str) or len(hash_key.encode("utf-8")) != HASH_KEY_BYTES:
        raise ValueError(
            "zot_cluster_hash_key: must be exactly %d bytes (zot's SipHash key); set it from vault"
            % HASH_KEY_BYTES
        )
    return {"members": list(members), "hashKey": hash_key}


def s3_storage_driver(s3):
    """zot's `storage.storageDriver` for an S3 bucket; credentials are not in it."""
    unknown = sorted(set(s3) - set(S3_KEYS))
    if unknown:
        raise ValueError(
            "zot_storage_s3.%s: unknown setting (credentials go in zot_storage_s3_credentials)" % unknown[0]
        )
    for required in ("bucket", "region"):
        if not s3.get(required):
            raise ValueError("zot_storage_s3.%s: required for S3 storage" % required)
    settings = dict(S3_DEFAULTS, **s3)
    driver = {"name": "s3"}
    driver.update({S3_KEYS[key]: value for key, value in settings.items() if value != ""})
    return driver


def s3_environment(credentials):
    """The AWS_* variables for zot's environment file (root-only, read by systemd)."""
    if not credentials:
        return {}
    if not all(isinstance(credentials.get(key), str) and credentials[key] for key in S3_CREDENTIAL_VARIABLES):
        raise ValueError("zot_storage_s3_credentials: must be {access_key, secret_key} (non-empty strings)")
    return {variable: credentials[key] for key, variable in S3_CREDENTIAL_VARIABLES.items()}


def redis_drivers(url):
    """(storage.cacheDriver, http.auth.sessionDriver) on one Redis: metadata, API keys and
    sessions are then the same through every member."""
    if not isinstance(url, str) or not url.startswith(("redis://", "rediss://")):
        raise ValueError("zot_redis_url: must be a redis:// or rediss:// URL")
    return (
        {"name": "redis", "url": url, "keyprefix": REDIS_CACHE_PREFIX},
        {"name": "redis", "url": url, "keyprefix": REDIS_SESSION_PREFIX},
    )
