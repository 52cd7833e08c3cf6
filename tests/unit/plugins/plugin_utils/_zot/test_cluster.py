# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""zot's scale-out cluster: repository owners as zot computes them, and the shared config."""

import pytest

from ansible_collections.zotops.registry.plugins.plugin_utils._zot import cluster as zot_cluster
from ansible_collections.zotops.registry.plugins.plugin_utils._zot import config as zot_config
from tests.unit.plugins.plugin_utils._zot.test_config import build

MEMBERS = ["127.0.0.1:5100", "127.0.0.1:5101", "127.0.0.1:5102"]
KEY = "loremipsumdolors"
SHARED = {
    "cluster_members": MEMBERS,
    "cluster_hash_key": KEY,
    "storage_s3": {"bucket": "zot", "region": "us-east-1", "endpoint": "http://127.0.0.1:5104"},
    "redis_url": "redis://127.0.0.1:5103/0",
}


@pytest.mark.parametrize(
    ("length", "expected"),
    # Reference vectors of the SipHash paper (key 00..0f, message 00..length-1).
    [(0, 0x726FDB47DD0E0E31), (8, 0x93F5F5799A932462), (15, 0xA129CA6149BE45E5)],
)
def test_siphash_matches_the_reference_vectors(length, expected):
    assert zot_cluster.siphash24(bytes(range(16)), bytes(range(length))) == expected


def test_owner_is_an_index_into_the_members():
    owners = {zot_cluster.owner(KEY, MEMBERS, "team/app-%d" % n) for n in range(30)}
    assert {index for index, _ in owners} == {0, 1, 2}
    assert all(MEMBERS[index] == member for index, member in owners)


def test_members_of_group_follow_inventory_order_and_addresses():
    hostvars = {
        "a": {"zot_cluster_address": "10.0.0.1", "zot_http_port": 5100},
        "b": {"ansible_host": "10.0.0.2"},
        "c": {},
    }
    assert zot_cluster.members_of_group(["a", "b", "c"], hostvars, 5000) == [
        "10.0.0.1:5100",
        "10.0.0.2:5000",
        "c:5000",
    ]


def test_cluster_config_has_everything_zot_needs():
    config = build(**SHARED)
    assert config["cluster"] == {"members": MEMBERS, "hashKey": KEY}
    assert config["storage"]["storageDriver"] == {
        "name": "s3",
        "bucket": "zot",
        "region": "us-east-1",
        "regionendpoint": "http://127.0.0.1:5104",
        "rootdirectory": "/zot",
        "forcepathstyle": True,
        "secure": True,
        "skipverify": False,
    }
    assert config["storage"]["remoteCache"] is True
    assert config["storage"]["cacheDriver"]["url"] == "redis://127.0.0.1:5103/0"
    assert config["http"]["auth"]["sessionDriver"]["url"] == "redis://127.0.0.1:5103/0"
    prefixes = (
        config["storage"]["cacheDriver"]["keyprefix"],
        config["http"]["auth"]["sessionDriver"]["keyprefix"],
    )
    assert prefixes[0] != prefixes[1]
    # zot refuses session keys when sessions live in Redis.
    assert "sessionKeysFile" not in config["http"]["auth"]
    # Credentials never go into config.json.
    assert "accesskey" not in config["storage"]["storageDriver"]


def test_single_host_config_has_no_cluster_parts():
    config = build()
    assert "cluster" not in config
    assert not {"storageDriver", "cacheDriver", "remoteCache"} & set(config["storage"])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"cluster_hash_key": "short"}, "zot_cluster_hash_key: must be exactly 16 bytes"),
        # 16 characters but 32 bytes: zot counts bytes.
        ({"cluster_hash_key": "ü" * 16}, "zot_cluster_hash_key: must be exactly 16 bytes"),
        ({"cluster_hash_key": None}, "zot_cluster_hash_key"),
        ({"cluster_members": MEMBERS[:1]}, "zot_cluster_members: a cluster needs at least two"),
        ({"cluster_members": ["a:1", "a:1"]}, "zot_cluster_members: lists a member twice"),
        ({"cluster_members": ["a:1", "b"]}, r"zot_cluster_members\[1\]: must be host:port"),
        ({"redis_url": ""}, "zot_cluster_members: a cluster needs shared storage"),
        ({"storage_s3": {}}, "zot_cluster_members: a cluster needs shared storage"),
        ({"redis_url": "http://redis"}, "zot_redis_url: must be a redis://"),
        ({"storage_s3": {"bucket": "zot"}}, "zot_storage_s3.region: required"),
        ({"storage_s3": {"bucket": "b", "region": "r", "secretkey": "x"}}, "zot_storage_s3.secretkey: unkn"),
    ],
)
def test_bad_settings_name_the_variable_and_never_the_key(overrides, message):
    with pytest.raises(zot_config.ZotConfigError, match=message) as error:
        build(**dict(SHARED, **overrides))
    assert KEY not in str(error.value)


def test_s3_credentials_become_aws_environment_variables():
    assert zot_cluster.s3_environment({"access_key": "AK", "secret_key": "SK"}) == {
        "AWS_ACCESS_KEY_ID": "AK",
        "AWS_SECRET_ACCESS_KEY": "SK",
    }
    assert zot_cluster.s3_environment({}) == {}
    with pytest.raises(ValueError, match="zot_storage_s3_credentials"):
        zot_cluster.s3_environment({"access_key": "AK"})
