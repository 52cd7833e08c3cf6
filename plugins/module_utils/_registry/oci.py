# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""OCI distribution API calls on top of RegistryClient (runs on the managed host: stdlib only).

Every method that can be refused by the registry lets RegistryHTTPError through, so callers
that probe access control read the refused status from ``error.status``.
"""

import gzip
import hashlib
import io
import json
import os
import re
import tarfile

from ansible_collections.zotops.registry.plugins.module_utils._registry.http_client import (
    RegistryHTTPError,
)

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"

INDEX_TYPES = (OCI_INDEX, DOCKER_MANIFEST_LIST)
# What a pull asks for: single-platform manifests and multi-platform indexes.
MANIFEST_ACCEPT = ", ".join((OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST))

_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def digest_of(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def verify_digest(data, digest):
    """True when ``data`` hashes to ``digest`` (sha256 or sha512)."""
    algorithm, _unused, hex_value = digest.partition(":")
    if algorithm not in ("sha256", "sha512"):
        return False
    return hashlib.new(algorithm, data).hexdigest() == hex_value


def synthetic_image(payload):
    """A tiny, valid single-layer OCI image whose layer holds ``payload`` in /zotops-check.

    Returns (config_bytes, layer_bytes, manifest_bytes). The layer is a real gzip'd tar and
    the config lists its diff_id, so any client (skopeo, containerd) can pull the result.
    """
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    tar_buffer = io.BytesIO()
    with tarfile.open(fileobj=tar_buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("zotops-check")
        info.size = len(payload)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(payload))
    layer_tar = tar_buffer.getvalue()
    layer = gzip.compress(layer_tar, mtime=0)
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": [digest_of(layer_tar)]},
        },
        sort_keys=True,
    ).encode("utf-8")
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": digest_of(config), "size": len(config)},
            "layers": [{"mediaType": OCI_LAYER_GZIP, "digest": digest_of(layer), "size": len(layer)}],
        },
        sort_keys=True,
    ).encode("utf-8")
    return config, layer, manifest


class OCIClient:
    """Distribution API for one registry, through a RegistryClient (``self.http``)."""

    def __init__(self, http):
        self.http = http

    def ping(self, expected=(200, 401)):
        """GET /v2/: 200 when the caller may use the API, 401 when it must authenticate."""
        return self.http.request("GET", "/v2/", expected=expected)

    def _paged_list(self, path, key, params):
        """Follow the Link rel="next" pagination of /v2/_catalog and tags/list."""
        items = []
        resp = self.http.request("GET", path, params=params)
        while True:
            items.extend(resp.json().get(key) or [])
            match = _LINK_NEXT.search(resp.headers.get("link", ""))
            if not match:
                return items
            resp = self.http.request("GET", match.group(1))

    def catalog(self, page_size=None):
        """Repositories the caller may read (zot filters the catalog by read access)."""
        params = {"n": page_size} if page_size else None
        return self._paged_list("/v2/_catalog", "repositories", params)

    def list_tags(self, repository):
        """Tags of a repository; [] when the repository does not exist."""
        try:
            return self._paged_list("/v2/%s/tags/list" % repository, "tags", None)
        except RegistryHTTPError as exc:
            if exc.status == 404:
                return []
            raise

    def manifest_exists(self, repository, reference):
        resp = self.http.request(
            "HEAD",
            "/v2/%s/manifests/%s" % (repository, reference),
            headers={"Accept": MANIFEST_ACCEPT},
            expected=(200, 404),
        )
        return resp.status == 200

    def get_manifest(self, repository, reference, expected=200):
        return self.http.request(
            "GET",
            "/v2/%s/manifests/%s" % (repository, reference),
            headers={"Accept": MANIFEST_ACCEPT},
            expected=expected,
        )

    def put_manifest(self, repository, reference, manifest, media_type=OCI_MANIFEST, tags=None):
        """PUT a manifest by tag or digest; ``tags`` adds ``?tag=`` for a digest push."""
        return self.http.request(
            "PUT",
            "/v2/%s/manifests/%s" % (repository, reference),
            params={"tag": list(tags)} if tags else None,
            data=manifest,
            headers={"Content-Type": media_type},
            expected=201,
        )

    def delete_manifest(self, repository, digest):
        return self.http.request("DELETE", "/v2/%s/manifests/%s" % (repository, digest), expected=202)

    def blob_exists(self, repository, digest):
        resp = self.http.request(
            "HEAD",
            "/v2/%s/blobs/%s" % (repository, digest),
            expected=(200, 404),
            follow_redirects=True,
        )
        return resp.status == 200

    def get_blob(self, repository, digest):
        """Download a blob and check it against its digest."""
        resp = self.http.request("GET", "/v2/%s/blobs/%s" % (repository, digest), follow_redirects=True)
        if not verify_digest(resp.body, digest):
            raise RegistryHTTPError(
                "blob %s of %s does not match its digest" % (digest, repository),
                status=resp.status,
                url=resp.url,
            )
        return resp.body

    def upload_blob(self, repository, data):
        """Monolithic upload (POST then PUT ?digest=); returns the blob's digest."""
        digest = digest_of(data)
        start = self.http.request("POST", "/v2/%s/blobs/uploads/" % repository, data=b"", expected=202)
        location = start.headers.get("location")
        if not location:
            raise RegistryHTTPError(
                "upload to %s got no Location header" % repository, status=202, url=start.url
            )
        self.http.request(
            "PUT",
            location,
            params={"digest": digest},
            data=data,
            headers={"Content-Type": "application/octet-stream"},
            expected=201,
        )
        return digest

    def push_image(self, repository, tag, payload=None):
        """Push a tiny unique image (config + one layer + OCI manifest) to repository:tag.

        Returns {"digest", "manifest"}. ``payload`` defaults to random bytes, so the layer is
        new to the registry and the push really uploads blobs.
        """
        config, layer, manifest = synthetic_image(payload if payload is not None else os.urandom(16).hex())
        self.upload_blob(repository, config)
        self.upload_blob(repository, layer)
        self.put_manifest(repository, tag, manifest)
        return {"digest": digest_of(manifest), "manifest": manifest}

    def push_manifest_by_digest(self, repository, manifest, tags, media_type=OCI_MANIFEST):
        """PUT /v2/<repo>/manifests/<digest>?tag=...: tags an existing manifest by digest."""
        return self.put_manifest(repository, digest_of(manifest), manifest, media_type, tags=tags)

    def pull(self, repository, reference):
        """Pull one image: its manifest (the first platform of an index) and every blob.

        Returns {"digest", "media_type", "blobs"} where digest is the reference's digest.
        """
        resp = self.get_manifest(repository, reference)
        digest = resp.headers.get("docker-content-digest") or digest_of(resp.body)
        document = resp.json()
        media_type = document.get("mediaType") or resp.headers.get("content-type", "")
        manifest = document
        if media_type.split(";")[0] in INDEX_TYPES:
            children = document.get("manifests") or []
            if not children:
                raise RegistryHTTPError(
                    "index %s:%s lists no manifests" % (repository, reference), url=resp.url
                )
            manifest = self.get_manifest(repository, children[0]["digest"]).json()
        descriptors = [manifest["config"]] + list(manifest.get("layers") or [])
        for descriptor in descriptors:
            self.get_blob(repository, descriptor["digest"])
        return {"digest": digest, "media_type": media_type, "blobs": len(descriptors)}
