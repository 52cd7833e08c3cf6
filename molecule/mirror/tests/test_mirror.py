# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Verify the pull-through cache: the node's real containerd pulls docker.io/... through zot.

The "docker.io" upstream is Debian's docker-registry on this machine's loopback, started by
prepare.yml (tests/support/upstream_registry.py) with library/hello:1.0, which converge's
zot_registry_check pulls through the cache. These tests seed an image of their own with a
fresh name, so only containerd can have put it into zot's cache, also when verify runs
again. Tests run in file order: the last one stops the upstream (and restarts it).
"""

import json
import os
import subprocess
import tomllib
import uuid

import pytest
import requests

from tests.support import upstream_registry
from tests.support.oci_layout import make_oci_layout
from tests.support.vault import load_test_secrets

ZOT = "127.0.0.1:5070"
ZOT_URL = "http://" + ZOT
CERTS_DIR = "/etc/containerd/certs.d"
CRI = 'plugins."io.containerd.grpc.v1.cri"'
# Seeded by prepare.yml and pulled through the cache by converge's checklist.
CHECKLIST_REPO = "docker.io/library/hello"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
# Seconds a node waits for a cached image while the upstream is down (a bound, not a timing).
CACHED_PULL_DEADLINE = 30

SECRETS = load_test_secrets()
CI = ("ci", SECRETS["vault_zot_ci_password"])
ADMIN = ("admin", SECRETS["vault_zot_admin_password"])


@pytest.fixture(scope="module")
def upstream_state_dir():
    # prepare.yml's mirror_upstream_state_dir (inventory/group_vars/all/upstreams.yml).
    return os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "upstream")


@pytest.fixture(scope="module")
def upstream(upstream_state_dir):
    return upstream_registry.read_state(upstream_state_dir)


@pytest.fixture(scope="module")
def image(upstream_state_dir, upstream):
    """(image reference as the node names it, its repository in zot) of a fresh upstream image."""
    name = "library/payload-%s:1.0" % uuid.uuid4().hex[:8]
    upstream_registry.start(upstream_state_dir, [name])
    return "docker.io/" + name, "docker.io/" + name.split(":", maxsplit=1)[0]


def ctr(host, *args):
    return host.run("ctr -n k8s.io " + " ".join(args))


def pull(host, image, deadline=3600):
    """ctr's pull, killed after `deadline` seconds as a waiting node would give up."""
    return host.run("timeout %d ctr -n k8s.io images pull --hosts-dir %s %s" % (deadline, CERTS_DIR, image))


def forget(host, image):
    """Remove the image and, by synchronous garbage collection, its content from containerd."""
    removed = ctr(host, "images rm --sync", image)
    assert removed.rc == 0, removed.stderr


def catalog():
    response = requests.get(ZOT_URL + "/v2/_catalog", timeout=10)
    response.raise_for_status()
    return response.json()["repositories"]


def manifest_digest(base_url, repository, tag):
    response = requests.head(
        "%s/v2/%s/manifests/%s" % (base_url, repository, tag),
        headers={"Accept": DOCKER_MANIFEST},
        timeout=30,
    )
    assert response.status_code == 200, (base_url, repository, response.status_code)
    return response.headers["Docker-Content-Digest"]


# ------------------------------------------------------------------- node and zot config


def test_containerd_reads_hosts_files_and_has_no_mirrors(host):
    config = tomllib.loads(host.file("/etc/containerd/config.toml").content_string)
    registry = config["plugins"]["io.containerd.grpc.v1.cri"]["registry"]
    assert registry["config_path"] == CERTS_DIR
    assert "mirrors" not in registry
    # The running containerd was restarted on that file: its CRI plugin reports the path.
    dump = host.check_output("containerd config dump")
    assert 'config_path = "%s"' % CERTS_DIR in dump
    assert "%s.registry.mirrors." % CRI not in dump
    journal = host.check_output("journalctl -u containerd --no-pager -o cat")
    assert "ConfigPath:%s " % CERTS_DIR in journal.split("Start cri plugin")[-1]


def test_hosts_toml_sends_docker_io_to_zot_and_falls_back_to_the_upstream(host, upstream):
    hosts = tomllib.loads(host.file(CERTS_DIR + "/docker.io/hosts.toml").content_string)
    assert hosts["server"] == upstream["url"]
    mirror = hosts["host"]["%s/v2/docker.io" % ZOT_URL]
    assert mirror == {"capabilities": ["pull", "resolve"], "override_path": True}


def test_zot_syncs_docker_io_from_the_same_upstream_read_only(host, upstream):
    config = json.loads(host.file("/etc/zot/config.json").content_string)
    (registry,) = config["extensions"]["sync"]["registries"]
    assert registry["urls"] == [upstream["url"]]
    assert registry["onDemand"] is True
    assert registry["content"] == [{"prefix": "**", "destination": "/docker.io"}]
    assert registry["preserveDigest"] is True
    assert config["http"]["compat"] == ["docker2s2"]
    cache_policy = config["http"]["accessControl"]["repositories"]["docker.io/**"]
    granted = [cache_policy.get("anonymousPolicy"), cache_policy.get("defaultPolicy")]
    granted += [policy["actions"] for policy in cache_policy.get("policies", [])]
    assert all(actions == ["read"] for actions in granted if actions is not None)


def test_the_checklist_pulled_its_image_through_the_cache():
    assert CHECKLIST_REPO in catalog()


# ----------------------------------------------------------------------- pulls and pushes


def test_containerd_pulls_through_zot(host, upstream, image):
    reference, repository = image
    assert repository not in catalog()

    result = pull(host, reference)

    assert result.rc == 0, result.stdout + result.stderr
    assert repository in catalog()
    assert host.file("/var/lib/zot/%s/index.json" % repository).exists
    # preserveDigest: the node, zot and the upstream agree on the manifest digest.
    upstream_digest = manifest_digest(upstream["url"], repository.removeprefix("docker.io/"), "1.0")
    assert manifest_digest(ZOT_URL, repository, "1.0") == upstream_digest
    assert upstream_digest in ctr(host, "images ls").stdout


def test_the_pulled_image_unpacks(host, image):
    reference, _unused = image
    mountpoint = host.check_output("mktemp -d")
    mounted = ctr(host, "images mount", reference, mountpoint)
    assert mounted.rc == 0, mounted.stderr
    try:
        content = host.file(mountpoint + "/payload").content_string
        assert content.strip() == "%s served by the upstream" % reference.removeprefix("docker.io/")
    finally:
        ctr(host, "images unmount --rm", mountpoint)


def test_an_image_the_upstream_lacks_fails_cleanly(host):
    result = pull(host, "docker.io/library/absent:1.0")

    assert result.rc != 0
    assert "not found" in result.stderr
    response = requests.get(ZOT_URL + "/v2/docker.io/library/absent/manifests/1.0", timeout=30)
    assert response.status_code == 404
    assert "docker.io/library/absent" not in catalog()


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    path = tmp_path_factory.mktemp("layout")
    make_oci_layout(path, "1.0", b"planted into the cache")
    return path


def push_into_cache(layout, repository, creds=None):
    args = ["skopeo", "--insecure-policy", "copy", "--dest-tls-verify=false"]
    if creds:
        args.append("--dest-creds=%s:%s" % creds)
    args += ["oci:%s:1.0" % layout, "docker://%s/%s:1.0" % (ZOT, repository)]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def test_anonymous_push_into_the_cache_is_refused_with_401(layout):
    result = push_into_cache(layout, "docker.io/library/planted")
    assert result.returncode != 0
    assert "authentication required" in result.stderr or "401" in result.stderr, result.stderr
    response = requests.post(ZOT_URL + "/v2/%s/blobs/uploads/" % CHECKLIST_REPO, timeout=10)
    assert response.status_code == 401


def test_ci_cannot_plant_or_replace_images_in_the_cache(layout):
    for repository in ("docker.io/library/planted", CHECKLIST_REPO):
        result = push_into_cache(layout, repository, CI)
        assert result.returncode != 0
        assert "denied" in result.stderr.lower() or "403" in result.stderr, result.stderr
    response = requests.post(ZOT_URL + "/v2/%s/blobs/uploads/" % CHECKLIST_REPO, auth=CI, timeout=10)
    assert response.status_code == 403
    assert "docker.io/library/planted" not in catalog()


def test_admin_can_push_into_the_cache(layout):
    repository = "docker.io/library/admin-planted"
    result = push_into_cache(layout, repository, ADMIN)
    assert result.returncode == 0, result.stderr
    deleted = subprocess.run(
        [
            "skopeo",
            "delete",
            "--tls-verify=false",
            "--creds=%s:%s" % ADMIN,
            "docker://%s/%s:1.0" % (ZOT, repository),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert deleted.returncode == 0, deleted.stderr


# ------------------------------------------------------------------ with the upstream down


@pytest.fixture
def upstream_stopped(upstream_state_dir, upstream):
    upstream_registry.stop(upstream_state_dir)
    with pytest.raises(requests.ConnectionError):
        requests.get(upstream["url"] + "/v2/", timeout=5)
    yield
    upstream_registry.start(upstream_state_dir)


def test_cached_images_pull_with_the_upstream_stopped(host, image, upstream_stopped):
    reference, repository = image
    forget(host, reference)
    # containerd's fallback (the upstream) is down: only zot's cache can answer, and it must
    # answer before a node gives up (zot's sync waits for the upstream first; with the role's
    # outage settings about 2 s, with the earlier ones more than ten minutes).
    result = pull(host, reference, deadline=CACHED_PULL_DEADLINE)
    assert result.rc != 124, "the cached pull did not finish within %d s" % CACHED_PULL_DEADLINE
    assert result.rc == 0, result.stdout + result.stderr
    for cached in (repository, CHECKLIST_REPO):
        response = requests.get(ZOT_URL + "/v2/%s/manifests/1.0" % cached, timeout=60)
        assert response.status_code == 200, cached
