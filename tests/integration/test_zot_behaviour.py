# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The zot behaviour the collection builds on, asserted against the real binary: skopeo pushes
and pulls, plain HTTP for the API, Debian's docker-registry as a sync upstream, `zot verify`.
A zot upgrade that changes any of it fails here first, before a role or a check relies on it."""

import json
import pathlib
import re
import subprocess

import pytest
import requests

from tests.support.oci_layout import make_oci_layout
from harness import docker_registry
from harness import zot as zot_process

pytestmark = pytest.mark.integration

PASSWORDS = {"ci": "ci-secret", "admin": "admin-secret", "dev": "dev-secret", "scraper": "scrape-secret"}
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"

CONFIG = {
    "log": {"level": "info"},
    "http": {
        "realm": "zot",
        "auth": {"htpasswd": {"path": "{tmp}/htpasswd"}, "apikey": True},
        "accessControl": {
            "groups": {"devs": {"users": ["dev"]}},
            "repositories": {
                "**": {"anonymousPolicy": ["read"], "defaultPolicy": ["read"]},
                "ci/**": {
                    "policies": [{"users": ["ci"], "actions": ["read", "create"]}],
                    "anonymousPolicy": ["read"],
                    "defaultPolicy": ["read"],
                },
                "private/**": {"policies": [{"groups": ["devs"], "actions": ["read"]}]},
                "internal/**": {"defaultPolicy": ["read"]},
            },
            "adminPolicy": {"users": ["admin"], "actions": ["read", "create", "update", "delete"]},
            "metrics": {"users": ["scraper"]},
        },
    },
    "extensions": {"metrics": {"enable": True}},
}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("contract")


@pytest.fixture(scope="module")
def registry(workdir):
    htpasswd = "".join(zot_process.htpasswd_line(u, p) + "\n" for u, p in PASSWORDS.items())
    started = zot_process.start(workdir, CONFIG, {"htpasswd": htpasswd})
    yield started
    started.stop()


def layout(workdir, name, payload, tag="v1"):
    path = workdir / "layouts" / name
    make_oci_layout(path, tag, payload)
    return f"oci:{path}:{tag}"


def skopeo_copy(source, dest, creds=None):
    argv = ["skopeo", "copy", "--insecure-policy", "--src-tls-verify=false", "--dest-tls-verify=false"]
    if creds:
        argv += ["--dest-creds", f"{creds}:{PASSWORDS.get(creds, '')}" if ":" not in creds else creds]
    return subprocess.run(argv + [source, dest], capture_output=True, check=False, text=True, timeout=60)


def api(registry, method, path, user=None, **kwargs):
    auth = (user, PASSWORDS[user]) if user in PASSWORDS else None
    return requests.request(method, registry.url + path, auth=auth, timeout=30, **kwargs)


def manifest_of(registry, repo, ref, user=None):
    return api(registry, "GET", f"/v2/{repo}/manifests/{ref}", user, headers={"Accept": OCI_MANIFEST})


def test_push_pull_and_tag_immutability(registry, workdir):
    pushed = skopeo_copy(layout(workdir, "a", b"first"), f"docker://{registry.host}/ci/app:v1", "ci")
    assert pushed.returncode == 0, pushed.stderr

    pulled = skopeo_copy(f"docker://{registry.host}/ci/app:v1", f"oci:{workdir / 'pulled'}:v1")
    assert pulled.returncode == 0, pulled.stderr

    anonymous = skopeo_copy(layout(workdir, "b", b"second"), f"docker://{registry.host}/ci/app:v2")
    assert anonymous.returncode != 0 and "unauthorized" in anonymous.stderr.lower()

    # Re-pushing an existing tag needs `update`, even with identical content.
    same = skopeo_copy(layout(workdir, "a", b"first"), f"docker://{registry.host}/ci/app:v1", "ci")
    assert same.returncode != 0 and "denied" in same.stderr
    other = skopeo_copy(layout(workdir, "c", b"changed"), f"docker://{registry.host}/ci/app:v1", "ci")
    assert other.returncode != 0 and "denied" in other.stderr
    assert api(registry, "GET", "/v2/ci/app/tags/list").json() == {"name": "ci/app", "tags": ["v1"]}


def test_denials_carry_zot_status_codes_and_bodies(registry, workdir):
    skopeo_copy(layout(workdir, "d", b"base"), f"docker://{registry.host}/ci/base:v1", "ci")
    existing = manifest_of(registry, "ci/base", "v1")
    body, digest = existing.content, existing.headers["Docker-Content-Digest"]
    headers = {"Content-Type": OCI_MANIFEST}

    anonymous = api(registry, "PUT", "/v2/ci/base/manifests/v2", data=body, headers=headers)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == 'Basic realm="zot"'
    assert anonymous.json()["errors"][0]["code"] == "UNAUTHORIZED"

    # A digest push with ?tag= is checked tag by tag: an existing tag needs `update`.
    moved = api(registry, "PUT", f"/v2/ci/base/manifests/{digest}?tag=v1", "ci", data=body, headers=headers)
    assert moved.status_code == 403 and moved.json()["errors"][0]["code"] == "DENIED"
    added = api(registry, "PUT", f"/v2/ci/base/manifests/{digest}?tag=v9", "ci", data=body, headers=headers)
    assert added.status_code == 201 and added.headers["OCI-Tag"] == "v9"

    assert api(registry, "DELETE", "/v2/ci/base/manifests/v9", "ci").status_code == 403
    assert api(registry, "DELETE", "/v2/ci/base/manifests/v9", "admin").status_code == 202
    assert manifest_of(registry, "ci/base", "v9").json()["errors"][0]["code"] == "MANIFEST_UNKNOWN"


def test_catalog_lists_only_readable_repositories(registry, workdir):
    skopeo_copy(layout(workdir, "e", b"ci"), f"docker://{registry.host}/ci/listed:v1", "ci")
    secret = skopeo_copy(layout(workdir, "f", b"secret"), f"docker://{registry.host}/private/x:v1", "admin")
    assert secret.returncode == 0, secret.stderr

    def catalog(user=None):
        return api(registry, "GET", "/v2/_catalog", user).json()["repositories"]

    assert "ci/listed" in catalog() and "private/x" not in catalog()
    assert "private/x" not in catalog("ci")
    assert "private/x" in catalog("dev")  # group policy from accessControl.groups
    assert "private/x" in catalog("admin")
    assert manifest_of(registry, "private/x", "v1").status_code == 401
    assert manifest_of(registry, "private/x", "v1", "ci").status_code == 403
    assert manifest_of(registry, "private/x", "v1", "dev").status_code == 200

    # defaultPolicy is for authenticated callers only, anonymousPolicy for anonymous ones.
    internal = skopeo_copy(
        layout(workdir, "i", b"internal"), f"docker://{registry.host}/internal/y:v1", "admin"
    )
    assert internal.returncode == 0, internal.stderr
    assert "internal/y" not in catalog() and "internal/y" in catalog("ci")
    assert manifest_of(registry, "internal/y", "v1").status_code == 401
    assert manifest_of(registry, "internal/y", "v1", "ci").status_code == 200


def test_api_keys(registry, workdir):
    created = api(registry, "POST", "/zot/auth/apikey", "dev", json={"label": "laptop", "scopes": []})
    assert created.status_code == 201
    key = created.json()["apiKey"]
    assert re.fullmatch(r"zak_[0-9a-f]{32}", key)

    listed = api(registry, "GET", "/zot/auth/apikey", "dev").json()["apiKeys"]
    assert [k["label"] for k in listed] == ["laptop"] and key not in json.dumps(listed)
    assert key[4:].encode() not in stored_bytes(registry)  # only a hash is persisted

    # The key authenticates its owner only and inherits the owner's groups.
    with_key = requests.get(registry.url + "/v2/_catalog", auth=("dev", key), timeout=30)
    assert with_key.status_code == 200 and "private/x" in with_key.json()["repositories"]
    assert requests.get(registry.url + "/v2/_catalog", auth=("ci", key), timeout=30).status_code == 401

    ci_key = api(registry, "POST", "/zot/auth/apikey", "ci", json={"label": "ci"}).json()["apiKey"]
    pushed = skopeo_copy(
        layout(workdir, "g", b"by key"), f"docker://{registry.host}/ci/bykey:v1", f"ci:{ci_key}"
    )
    assert pushed.returncode == 0, pushed.stderr

    past = api(registry, "POST", "/zot/auth/apikey", "ci", json={"expirationDate": "2000-01-01T00:00:00Z"})
    assert past.status_code == 400

    key_id = created.json()["uuid"]
    assert api(registry, "DELETE", f"/zot/auth/apikey?id={key_id}", "dev").status_code == 200
    assert requests.get(registry.url + "/v2/_catalog", auth=("dev", key), timeout=30).status_code == 401


def stored_bytes(registry):
    """Everything zot persisted under its root directory (MetaDB included), as bytes."""
    return b"".join(path.read_bytes() for path in pathlib.Path(registry.root).rglob("*") if path.is_file())


def test_fail_delay_runs_on_authn_and_authz_failures(tmp_path):
    # zot sleeps failDelay seconds before answering a failed login (401) and a denied
    # request (403); the answer can come later under load, never earlier.
    config = json.loads(json.dumps(CONFIG))
    config["http"]["auth"]["failDelay"] = 2
    delayed = zot_process.start(tmp_path, config, {"htpasswd": zot_process.htpasswd_line("ci", "ci-secret")})
    try:
        wrong = requests.get(delayed.url + "/v2/_catalog", auth=("ci", "wrong"), timeout=30)
        assert wrong.status_code == 401 and wrong.elapsed.total_seconds() >= 2
        denied = manifest_of(delayed, "private/x", "v1", "ci")
        assert denied.status_code == 403 and denied.elapsed.total_seconds() >= 2
    finally:
        delayed.stop()


def test_metrics_access_rules(registry):
    assert api(registry, "GET", "/metrics").status_code == 401
    assert api(registry, "GET", "/metrics", "ci").status_code == 403
    assert api(registry, "GET", "/metrics", "admin").status_code == 403  # admins are not implied
    scraped = api(registry, "GET", "/metrics", "scraper")
    assert scraped.status_code == 200
    assert "zot_info{" in scraped.text
    assert re.search(r'zot_http_requests_total\{code="201",method="PUT"\} \d+', scraped.text)


def test_health_endpoints_need_no_credentials(registry):
    for path in ("/livez", "/readyz", "/startupz"):
        assert api(registry, "GET", path).status_code == 200


def test_restart_keeps_images_and_keys(registry, workdir):
    skopeo_copy(layout(workdir, "h", b"durable"), f"docker://{registry.host}/ci/durable:v1", "ci")
    key = api(registry, "POST", "/zot/auth/apikey", "ci", json={"label": "durable"}).json()["apiKey"]
    registry.restart()
    assert manifest_of(registry, "ci/durable", "v1").status_code == 200
    assert requests.get(registry.url + "/v2/", auth=("ci", key), timeout=30).status_code == 200


@pytest.mark.skipif(
    docker_registry.binary() is None,
    reason="Debian's docker-registry is not installed (the project setup script installs it)",
)
def test_on_demand_sync_asks_upstream_first_and_falls_back(tmp_path):
    upstream = docker_registry.start(tmp_path)
    mirror = None
    try:
        config = {
            "http": {"accessControl": {"repositories": {"**": {"anonymousPolicy": ["read"]}}}},
            "extensions": {
                "sync": {
                    "registries": [
                        {
                            "urls": [upstream.url],
                            "onDemand": True,
                            "tlsVerify": False,
                            "content": [{"prefix": "**", "destination": "/mirror"}],
                        }
                    ]
                }
            },
        }
        mirror = zot_process.start(tmp_path, config)
        first = skopeo_copy(
            layout(tmp_path, "u1", b"upstream one"), f"docker://{upstream.host}/library/app:1"
        )
        assert first.returncode == 0, first.stderr
        digest_one = manifest_of(mirror, "mirror/library/app", "1").headers["Docker-Content-Digest"]
        assert manifest_of(mirror, "mirror/library/app", digest_one).status_code == 200

        # A pull by tag asks the upstream first, so a moved upstream tag is followed.
        skopeo_copy(layout(tmp_path, "u2", b"upstream two"), f"docker://{upstream.host}/library/app:1")
        digest_two = manifest_of(mirror, "mirror/library/app", "1").headers["Docker-Content-Digest"]
        assert digest_two != digest_one

        upstream.stop()
        cached = manifest_of(mirror, "mirror/library/app", "1")
        assert cached.status_code == 200 and cached.headers["Docker-Content-Digest"] == digest_two
        pulled = skopeo_copy(f"docker://{mirror.host}/mirror/library/app:1", f"oci:{tmp_path / 'p'}:1")
        assert pulled.returncode == 0, pulled.stderr
        assert manifest_of(mirror, "mirror/library/other", "1").status_code == 404
    finally:
        upstream.stop()
        if mirror is not None:
            mirror.stop()


def verify(tmp_path, config, files=None, name="zot.json"):
    for file_name, content in (files or {}).items():
        (tmp_path / file_name).write_text(content)
    path = tmp_path / name
    path.write_text(json.dumps(config) if isinstance(config, dict) else config)
    argv = [zot_process.binary(), "verify", str(path)]
    return subprocess.run(argv, capture_output=True, check=False, text=True, cwd=tmp_path, timeout=60)


VALID = {"storage": {"rootDirectory": "/var/lib/zot"}, "http": {"address": "127.0.0.1", "port": "5000"}}


@pytest.mark.parametrize(
    ("change", "files", "needle"),
    [
        ({"http": {"port": "5000", "bogus": 1}}, {}, "bogus"),
        ({"http": {"port": "70000"}}, {}, "port"),
        (
            {"http": {"accessControl": {"repositories": {"**": {"defaultPolicy": ["read"]}}}}},
            {},
            "requires one of htpasswd",
        ),
        (
            {"http": {"auth": {"sessionKeysFile": "keys.json"}}},
            {"keys.json": '{"hashKey": "x", "extra": 1}'},
            "extra",
        ),
        ({"http": {"auth": {"sessionKeysFile": "missing.json"}}}, {}, "missing.json"),
        (
            {
                "http": {
                    "auth": {
                        "ldap": {
                            "address": "l",
                            "baseDN": "b",
                            "userAttribute": "u",
                            "credentialsFile": "c.json",
                        }
                    }
                }
            },
            {"c.json": '{"bindDN": "cn=x"}'},
            "unset keys",
        ),
        (
            {
                "http": {
                    "auth": {"openid": {"providers": {"dex": {"issuer": "https://i", "scopes": ["openid"]}}}}
                }
            },
            {},
            "unsupported openid",
        ),
        (
            {"extensions": {"sync": {"registries": [{"urls": ["https://u"], "preserveDigest": True}]}}},
            {},
            "PreserveDigest option without enabling http.Compat",
        ),
        ({"extensions": {"metrics": {"prometheus": {"path": "/v2"}}}}, {}, "metrics"),
    ],
)
def test_verify_rejects_invalid_configs(tmp_path, change, files, needle):
    config = json.loads(json.dumps(VALID))
    for section, values in change.items():
        config.setdefault(section, {}).update(values)
    result = verify(tmp_path, config, files)
    assert result.returncode == 1, result.stderr
    assert needle in result.stderr + result.stdout


def test_verify_accepts_valid_and_extensionless_configs(tmp_path):
    assert verify(tmp_path, VALID).returncode == 0
    # Ansible's `validate: zot verify %s` passes a temp file without an extension: viper then
    # tries every format, JSON first.
    assert verify(tmp_path, VALID, name="tmpXYZ").returncode == 0
    no_argument = subprocess.run(
        [zot_process.binary(), "verify"], capture_output=True, check=False, timeout=60
    )
    assert no_argument.returncode == 0 and no_argument.stdout == b""


def test_verify_reads_openid_credentials_files(tmp_path):
    provider = {"issuer": "https://idp.example", "scopes": ["openid"], "credentialsFile": "oidc.json"}
    config = dict(VALID, http={"port": "5000", "auth": {"openid": {"providers": {"oidc": provider}}}})
    complete = verify(tmp_path, config, {"oidc.json": '{"clientid": "zot", "clientsecret": ""}'})
    assert complete.returncode == 0, complete.stderr
    partial = verify(tmp_path, config, {"oidc.json": '{"clientid": "zot"}'})
    assert partial.returncode == 1 and "unset keys" in partial.stderr
