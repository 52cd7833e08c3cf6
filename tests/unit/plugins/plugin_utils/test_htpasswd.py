"""htpasswd rendering: bcrypt hashes zot accepts, stable across runs."""

import bcrypt
import pytest

from ansible_collections.zotops.registry.plugins.plugin_utils import htpasswd

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
