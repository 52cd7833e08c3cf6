# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""OCIClient request shapes and the synthetic image, against a scripted RegistryClient."""

import gzip
import io
import json
import tarfile

import pytest

from ansible_collections.zotops.registry.plugins.module_utils._registry.oci import (
    OCI_INDEX,
    OCI_MANIFEST,
    OCIClient,
    digest_of,
    synthetic_image,
    verify_digest,
)
from ansible_collections.zotops.registry.plugins.module_utils._registry.http_client import (
    RegistryHTTPError,
    Response,
)


class ScriptedHTTP:
    """Stands in for RegistryClient: answers from a list of (method, path-prefix, response)."""

    def __init__(self, routes):
        self.routes = routes
        self.calls = []

    def request(
        self,
        method,
        path,
        *,
        params=None,
        data=None,
        headers=None,
        expected=None,
        follow_redirects=False,
    ):
        self.calls.append(
            {
                "method": method,
                "path": path,
                "params": params,
                "data": data,
                "headers": headers or {},
            }
        )
        for route_method, prefix, (status, resp_headers, body) in self.routes:
            if route_method == method and path.startswith(prefix):
                resp = Response(status, resp_headers, body, "http://reg" + path)
                allowed = expected if isinstance(expected, (list, tuple)) else [expected]
                if (expected is None and status >= 300) or (expected is not None and status not in allowed):
                    raise RegistryHTTPError("HTTP %s" % status, status=status, url=path)
                return resp
        raise AssertionError("unexpected request %s %s" % (method, path))


def test_synthetic_image_is_a_consistent_oci_image():
    config, layer, manifest = synthetic_image("hello")
    document = json.loads(manifest)
    assert document["mediaType"] == OCI_MANIFEST
    assert document["config"]["digest"] == digest_of(config)
    assert document["layers"][0] == {
        "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
        "digest": digest_of(layer),
        "size": len(layer),
    }
    layer_tar = gzip.decompress(layer)
    assert json.loads(config)["rootfs"]["diff_ids"] == [digest_of(layer_tar)]
    with tarfile.open(fileobj=io.BytesIO(layer_tar)) as tar:
        assert tar.extractfile("zotops-check").read() == b"hello"
    # Same payload, same image; another payload, another image.
    assert synthetic_image("hello")[2] == manifest
    assert synthetic_image("other")[2] != manifest


def test_verify_digest():
    assert verify_digest(b"abc", digest_of(b"abc"))
    assert not verify_digest(b"abd", digest_of(b"abc"))
    assert not verify_digest(b"abc", "md5:900150983cd24fb0d6963f7d28e17f72")


def test_push_image_uploads_both_blobs_then_the_manifest():
    http = ScriptedHTTP(
        [
            (
                "POST",
                "/v2/ci/app/blobs/uploads/",
                (202, {"location": "/v2/ci/app/blobs/uploads/u1"}, b""),
            ),
            ("PUT", "/v2/ci/app/blobs/uploads/u1", (201, {}, b"")),
            ("PUT", "/v2/ci/app/manifests/t1", (201, {}, b"")),
        ]
    )
    pushed = OCIClient(http).push_image("ci/app", "t1", payload="p")
    config, layer, manifest = synthetic_image("p")
    puts = [c for c in http.calls if c["method"] == "PUT"]
    assert [c["params"] for c in puts[:2]] == [
        {"digest": digest_of(config)},
        {"digest": digest_of(layer)},
    ]
    assert puts[1]["data"] == layer
    assert puts[2]["data"] == manifest
    assert puts[2]["headers"]["Content-Type"] == OCI_MANIFEST
    assert pushed == {"digest": digest_of(manifest), "manifest": manifest}


def test_refused_upload_surfaces_the_status():
    http = ScriptedHTTP([("POST", "/v2/ci/app/blobs/uploads/", (401, {}, b""))])
    with pytest.raises(RegistryHTTPError) as info:
        OCIClient(http).push_image("ci/app", "t1")
    assert info.value.status == 401


def test_digest_push_repeats_tag_params():
    http = ScriptedHTTP([("PUT", "/v2/r/manifests/sha256:", (201, {}, b""))])
    OCIClient(http).push_manifest_by_digest("r", b"{}", ["a", "b"])
    assert http.calls[0]["path"] == "/v2/r/manifests/" + digest_of(b"{}")
    assert http.calls[0]["params"] == {"tag": ["a", "b"]}


def test_tag_list_follows_pagination_and_missing_repo_is_empty():
    http = ScriptedHTTP(
        [
            ("GET", "/v2/r/tags/list?n=1&last=a", (200, {}, b'{"tags": ["b"]}')),
            (
                "GET",
                "/v2/r/tags/list",
                (200, {"link": '</v2/r/tags/list?n=1&last=a>; rel="next"'}, b'{"tags": ["a"]}'),
            ),
            ("GET", "/v2/gone/tags/list", (404, {}, b"")),
        ]
    )
    client = OCIClient(http)
    assert client.list_tags("r") == ["a", "b"]
    assert client.list_tags("gone") == []


def test_manifest_exists_maps_404_to_false():
    http = ScriptedHTTP(
        [
            ("HEAD", "/v2/r/manifests/there", (200, {}, b"")),
            ("HEAD", "/v2/r/manifests/absent", (404, {}, b"")),
        ]
    )
    client = OCIClient(http)
    assert client.manifest_exists("r", "there") is True
    assert client.manifest_exists("r", "absent") is False


def test_pull_of_an_index_fetches_the_first_platform_and_checks_blobs():
    config, layer, manifest = synthetic_image("x")
    index = json.dumps({"mediaType": OCI_INDEX, "manifests": [{"digest": digest_of(manifest)}]}).encode()
    http = ScriptedHTTP(
        [
            ("GET", "/v2/m/manifests/" + digest_of(manifest), (200, {}, manifest)),
            ("GET", "/v2/m/manifests/latest", (200, {"docker-content-digest": "sha256:i"}, index)),
            ("GET", "/v2/m/blobs/" + digest_of(config), (200, {}, config)),
            ("GET", "/v2/m/blobs/" + digest_of(layer), (200, {}, b"tampered")),
        ]
    )
    with pytest.raises(RegistryHTTPError, match="does not match its digest"):
        OCIClient(http).pull("m", "latest")
    http.routes[-1] = ("GET", "/v2/m/blobs/" + digest_of(layer), (200, {}, layer))
    assert OCIClient(http).pull("m", "latest") == {
        "digest": "sha256:i",
        "media_type": OCI_INDEX,
        "blobs": 2,
    }
