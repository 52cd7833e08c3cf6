# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Tiny OCI image layouts for real clients (skopeo's `oci:` transport) to push."""

import hashlib
import io
import json
import pathlib
import subprocess
import tarfile


def _write_blob(blobs, data):
    digest = hashlib.sha256(data).hexdigest()
    (blobs / digest).write_bytes(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def layer_tar(payload):
    """A deterministic tar holding /payload, so containerd can unpack the image too."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo("payload")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


def make_oci_layout(path, tag, payload):
    """Write an OCI image layout at `path` holding one image tagged `tag`.

    `payload` is the content of the single layer's only file, so different payloads give
    different manifests. Returns the manifest digest.
    """
    root = pathlib.Path(path)
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    layer = _write_blob(blobs, layer_tar(payload))
    config = _write_blob(
        blobs,
        json.dumps(
            {
                "architecture": "amd64",
                "os": "linux",
                "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]},
            }
        ).encode(),
    )
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": dict(config, mediaType="application/vnd.oci.image.config.v1+json"),
        "layers": [dict(layer, mediaType="application/vnd.oci.image.layer.v1.tar")],
    }
    manifest_ref = _write_blob(blobs, json.dumps(manifest).encode())
    (root / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    (root / "index.json").write_text(
        json.dumps(
            {
                "schemaVersion": 2,
                "manifests": [
                    dict(
                        manifest_ref,
                        mediaType="application/vnd.oci.image.manifest.v1+json",
                        annotations={"org.opencontainers.image.ref.name": tag},
                    )
                ],
            }
        )
    )
    return manifest_ref["digest"]


def skopeo_push(layout, destination, creds, cert_dir=None, layout_tag="build"):
    """Copy the layout's `layout_tag` image to docker://`destination` with skopeo as
    `creds` ("user:secret"); TLS checked against cert_dir's CA, or plain http without one.
    Returns the CompletedProcess."""
    tls = ["--dest-cert-dir", str(cert_dir)] if cert_dir else ["--dest-tls-verify=false"]
    argv = ["skopeo", "copy", "--insecure-policy", *tls, "--dest-creds", creds]
    argv += [f"oci:{layout}:{layout_tag}", f"docker://{destination}"]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603 - test argv
