# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""htpasswd rendering: bcrypt hashes zot accepts, stable across runs."""

import bcrypt
import pytest

from ansible_collections.zotops.registry.plugins.plugin_utils._zot import htpasswd

USERS = [{"name": "ci", "password": "s3cret"}, {"name": "admin", "password": "adm1n"}]


def test_renders_bcrypt_lines_that_verify():
    content = htpasswd.render_htpasswd(USERS)
    entries = htpasswd.parse_htpasswd(content)
    assert list(entries) == ["ci", "admin"]
    for user in USERS:
        hashed = entries[user["name"]]
        assert hashed.startswith("$2y$10$")
        assert bcrypt.checkpw(user["password"].encode(), hashed.replace("$2y$", "$2b$", 1).encode())


def test_unchanged_passwords_keep_their_hashes():
    first = htpasswd.render_htpasswd(USERS)
    assert htpasswd.render_htpasswd(USERS, first) == first


def test_changed_password_rehashes_only_that_user():
    first = htpasswd.parse_htpasswd(htpasswd.render_htpasswd(USERS))
    changed = [USERS[0], {"name": "admin", "password": "new-password"}]
    second = htpasswd.parse_htpasswd(htpasswd.render_htpasswd(changed, htpasswd.render_htpasswd(USERS)))
    # Unchanged user keeps a hash that still verifies; the changed one gets a new hash.
    assert htpasswd.password_matches("s3cret", second["ci"])
    assert second["admin"] != first["admin"]
    assert htpasswd.password_matches("new-password", second["admin"])


def test_removed_user_disappears():
    content = htpasswd.render_htpasswd(USERS[:1], htpasswd.render_htpasswd(USERS))
    assert list(htpasswd.parse_htpasswd(content)) == ["ci"]


def test_non_bcrypt_existing_hash_is_replaced():
    content = htpasswd.render_htpasswd(USERS[:1], "ci:$apr1$abc$def\n")
    assert htpasswd.parse_htpasswd(content)["ci"].startswith("$2y$")


def test_cost_is_applied():
    content = htpasswd.render_htpasswd(USERS[:1], cost=11)
    assert htpasswd.parse_htpasswd(content)["ci"].startswith("$2y$11$")


@pytest.mark.parametrize(
    "users, field",
    [
        ([{"name": "", "password": "x"}], r"zot_htpasswd_users\[0\]\.name"),
        ([{"name": "a:b", "password": "x"}], r"zot_htpasswd_users\[0\]\.name"),
        ([{"name": "a", "password": "x"}, {"name": "a", "password": "y"}], r"\[1\]\.name.*twice"),
        ([{"name": "a", "password": ""}], r"zot_htpasswd_users\[0\]\.password"),
        ([{"name": "a", "password": "x" * 73}], r"72-byte"),
        # A newline in a name would write a second line: "ci\nadmin" must not become admin.
        ([{"name": "ci\nadmin", "password": "x"}], r"zot_htpasswd_users\[0\]\.name: .*control"),
        ([{"name": "c i", "password": "x"}], r"zot_htpasswd_users\[0\]\.name"),
        ([{"name": 42, "password": "x"}], r"zot_htpasswd_users\[0\]\.name"),
        ([{"name": "a", "password": "x\n"}], r"zot_htpasswd_users\[0\]\.password: contains a newline.*\|-"),
        ([{"name": "a", "password": 123456}], r"zot_htpasswd_users\[0\]\.password: must be a string"),
        ([{"name": "a"}], r"zot_htpasswd_users\[0\]\.password: must be a string"),
    ],
)
def test_bad_users_are_named(users, field):
    with pytest.raises(htpasswd.HtpasswdError, match=field):
        htpasswd.render_htpasswd(users)


@pytest.mark.parametrize("cost", [4, 9, 32, 100, "ten", True, -1])
def test_cost_outside_10_to_31_refused(cost):
    with pytest.raises(
        htpasswd.HtpasswdError, match="zot_htpasswd_bcrypt_cost: must be a whole number from 10 to 31"
    ):
        htpasswd.render_htpasswd(USERS, cost=cost)


def test_secret_not_in_error_messages():
    with pytest.raises(htpasswd.HtpasswdError) as err:
        htpasswd.render_htpasswd([{"name": "a", "password": "p" * 80}])
    assert "ppp" not in str(err.value)


def test_no_users_no_content():
    assert htpasswd.render_htpasswd([]) == ""


def test_missing_bcrypt_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(htpasswd, "bcrypt", None)
    with pytest.raises(htpasswd.HtpasswdError, match="bcrypt is required"):
        htpasswd.render_htpasswd(USERS)


# Machine identities: generated secrets hashed at bcrypt's minimum cost.
TOKEN = "Yh3kQ9vLr2XwT7pBnM4cZ8sDf6GjKa1eUo5iRt0yWq9"  # 43 alphanumeric characters, as generated
HEX = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"  # openssl rand -hex 32


def test_machine_user_is_hashed_at_the_machine_cost():
    users = [{"name": "ci", "password": TOKEN, "machine": True}, USERS[1]]
    entries = htpasswd.parse_htpasswd(htpasswd.render_htpasswd(users))
    assert entries["ci"].startswith("$2y$04$")
    assert entries["admin"].startswith("$2y$10$")
    assert htpasswd.password_matches(TOKEN, entries["ci"])


def test_generated_secret_fills_a_machine_user_without_password():
    users = [{"name": "ci", "machine": True, "groups": ["artifact-workloads"]}]
    assert htpasswd.generated_secret_users(users) == ["ci"]
    content = htpasswd.render_htpasswd(users, generated={"ci": TOKEN})
    assert htpasswd.password_matches(TOKEN, htpasswd.parse_htpasswd(content)["ci"])
    assert htpasswd.render_htpasswd(users, content, generated={"ci": TOKEN}) == content


def test_changed_cost_rehashes_and_then_stays():
    people = htpasswd.render_htpasswd([{"name": "ci", "password": HEX}])
    machine = [{"name": "ci", "password": HEX, "machine": True}]
    moved = htpasswd.render_htpasswd(machine, people)
    assert htpasswd.parse_htpasswd(moved)["ci"].startswith("$2y$04$")
    assert htpasswd.render_htpasswd(machine, moved) == moved


@pytest.mark.parametrize(
    "password",
    ["ci-Secret-7f3a91", "a" * 72, "correct horse battery staple and more words", HEX[:32], "ab" * 36],
)
def test_low_cost_for_a_secret_that_is_not_generated_is_refused(password):
    users = [{"name": "ci", "password": password, "machine": True}]
    with pytest.raises(htpasswd.HtpasswdError, match=r"users\[0\]\.password: user 'ci' is a machine"):
        htpasswd.check_users(users)
    # The same secret at a people's cost is the operator's choice.
    htpasswd.check_users(users, machine_cost=10)


@pytest.mark.parametrize(
    "secret, enough", [(TOKEN, True), (HEX, True), ("ci-Secret-7f3a91", False), ("x" * 64, False)]
)
def test_estimated_bits(secret, enough):
    assert (htpasswd.estimated_bits(secret) >= htpasswd.MACHINE_MIN_BITS) is enough


def test_machine_flag_must_be_a_bool():
    with pytest.raises(htpasswd.HtpasswdError, match=r"zot_htpasswd_users\[0\]\.machine"):
        htpasswd.check_users([{"name": "ci", "password": TOKEN, "machine": "yes"}])


def test_missing_generated_secret_is_named():
    with pytest.raises(htpasswd.HtpasswdError, match="no generated secret for user 'ci'"):
        htpasswd.render_htpasswd([{"name": "ci", "machine": True}])


@pytest.mark.parametrize("cost", [3, 32, "four", True])
def test_machine_cost_outside_4_to_31_refused(cost):
    with pytest.raises(htpasswd.HtpasswdError, match="zot_htpasswd_machine_bcrypt_cost: .* from 4 to 31"):
        htpasswd.check_users(USERS, machine_cost=cost)
