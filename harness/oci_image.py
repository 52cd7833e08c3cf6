# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Push and pull a small multi-layer OCI image the way a client does it, over one keep-alive
requests.Session, for measurements against a real registry (bench/, the flood test)."""

import hashlib
import json
import os

import requests

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def _descriptor(data, media_type):
    return {
        "mediaType": media_type,
        "digest": "sha256:" + hashlib.sha256(data).hexdigest(),
        "size": len(data),
    }


def push_image(session, url, repo, tag, layers=5, layer_size=1024):
    """Push config + `layers` new random layers + manifest as a client does: per blob a HEAD
    (missing), POST (start upload) and PUT (monolithic upload). Returns the manifest."""
    config = json.dumps({"architecture": "amd64", "os": "linux"}).encode()
    blobs = [(config, "application/vnd.oci.image.config.v1+json")]
    blobs += [(os.urandom(layer_size), "application/vnd.oci.image.layer.v1.tar") for _unused in range(layers)]
    descriptors = []
    for data, media_type in blobs:
        descriptor = _descriptor(data, media_type)
        if session.head(f"{url}/v2/{repo}/blobs/{descriptor['digest']}", timeout=30).status_code != 200:
            started = session.post(f"{url}/v2/{repo}/blobs/uploads/", timeout=30)
            started.raise_for_status()
            location = requests.compat.urljoin(url, started.headers["Location"])
            session.put(
                location, params={"digest": descriptor["digest"]}, data=data, timeout=30
            ).raise_for_status()
        descriptors.append(descriptor)
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptors[0],
        "layers": descriptors[1:],
    }
    session.put(
        f"{url}/v2/{repo}/manifests/{tag}",
        data=json.dumps(manifest),
        headers={"Content-Type": OCI_MANIFEST},
        timeout=30,
    ).raise_for_status()
    return manifest


def pull_image(session, url, repo, tag):
    """GET the manifest by tag, then the config and every layer; raises on any refusal."""
    answer = session.get(f"{url}/v2/{repo}/manifests/{tag}", headers={"Accept": OCI_MANIFEST}, timeout=30)
    answer.raise_for_status()
    manifest = answer.json()
    for descriptor in [manifest["config"], *manifest["layers"]]:
        session.get(f"{url}/v2/{repo}/blobs/{descriptor['digest']}", timeout=30).raise_for_status()
