# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Authentik module logic against a scripted API (no HTTP): lookups, diffs, versions."""

import pytest
from ansible_collections.zotops.registry.plugins.module_utils._authentik.api import (
    AuthentikAPI,
    AuthentikError,
    blank_secrets,
    changed_fields,
    ensure_object,
    object_diff,
    parse_version,
)
from ansible_collections.zotops.registry.plugins.module_utils._authentik.application import (
    issuer_url,
)
from ansible_collections.zotops.registry.plugins.module_utils._authentik.oauth2_provider import (
    NORMALIZE,
    canonical_redirect_uris,
    redirect_uri_entries,
    scope_mapping_key,
)


class ScriptedAPI(AuthentikAPI):
    """Answers calls from a dict {(method, path): response} and records them."""

    def __init__(self, answers, version="2025.12.4"):
        super().__init__("https://auth.example.test", "token")
        self.answers = answers
        self.calls = []
        self._version = parse_version(version)

    def call(self, method, path, params=None, body=None, expected=None):
        self.calls.append((method, path, params, body))
        return self.answers[(method, path)]


def page(*results):
    return {"pagination": {"count": len(results)}, "results": list(results)}


def test_parse_version():
    assert parse_version("2024.10.2") == (2024, 10, 2)
    assert parse_version("2025.2") == (2025, 2, 0)
    with pytest.raises(AuthentikError, match="cannot read Authentik version"):
        parse_version("latest")


@pytest.mark.parametrize("release", ["2025.10.3", "2026.2.0", "2024.8.4"])
def test_a_release_other_than_2025_12_is_refused_with_its_version(monkeypatch, release):
    api = AuthentikAPI("https://auth.example.test", "token")
    monkeypatch.setattr(api, "call", lambda *a, **k: {"version_current": release})
    with pytest.raises(AuthentikError, match="Authentik %s is not supported: .* 2025.12 only" % release):
        api.version()


def test_every_2025_12_patch_release_is_accepted(monkeypatch):
    api = AuthentikAPI("https://auth.example.test", "token")
    monkeypatch.setattr(api, "call", lambda *a, **k: {"version_current": "2025.12.9"})
    assert api.version() == (2025, 12, 9)


def test_find_one_refuses_several_matches_naming_the_filter():
    api = ScriptedAPI({("GET", "/core/groups/"): page({"pk": "a"}, {"pk": "b"})})
    with pytest.raises(AuthentikError, match=r"/core/groups/\?name=ci matched 2 objects"):
        api.find_one("/core/groups/", name="ci")


def test_require_one_names_what_is_missing():
    api = ScriptedAPI({("GET", "/flows/instances/"): page()})
    with pytest.raises(AuthentikError, match=r"no flow found at /flows/instances/\?slug=x"):
        api.require_one("/flows/instances/", "flow", slug="x")


def test_ensure_object_creates_when_missing():
    api = ScriptedAPI(
        {("GET", "/core/groups/"): page(), ("POST", "/core/groups/"): {"pk": "g", "name": "ci"}}
    )
    changed, before, after = ensure_object(api, "/core/groups/", {"name": "ci"}, {"name": "ci"}, "pk", False)
    assert (changed, before, after) == (True, None, {"pk": "g", "name": "ci"})
    assert api.calls[-1] == ("POST", "/core/groups/", None, {"name": "ci"})


def test_ensure_object_patches_only_what_differs():
    existing = {"pk": "g", "name": "ci", "is_superuser": True, "attributes": {"a": 1}}
    api = ScriptedAPI(
        {
            ("GET", "/core/groups/"): page(existing),
            ("PATCH", "/core/groups/g/"): dict(existing, is_superuser=False),
        }
    )
    desired = {"name": "ci", "is_superuser": False, "attributes": {"a": 1}}
    changed, _unused, after = ensure_object(api, "/core/groups/", {"name": "ci"}, desired, "pk", False)
    assert changed and after["is_superuser"] is False
    assert api.calls[-1] == ("PATCH", "/core/groups/g/", None, {"is_superuser": False})


def test_ensure_object_check_mode_sends_nothing_and_predicts():
    existing = {"pk": "g", "name": "ci", "is_superuser": True}
    api = ScriptedAPI({("GET", "/core/groups/"): page(existing)})
    changed, _unused, after = ensure_object(
        api, "/core/groups/", {"name": "ci"}, {"name": "ci", "is_superuser": False}, "pk", True
    )
    assert changed and after == dict(existing, is_superuser=False)
    assert [c[0] for c in api.calls] == ["GET"]


def test_ensure_object_unchanged():
    existing = {"pk": 3, "name": "zot", "property_mappings": ["b", "a"]}
    api = ScriptedAPI({("GET", "/providers/oauth2/"): page(existing)})
    desired = {"name": "zot", "property_mappings": ["a", "b"]}
    changed, _unused, _unused = ensure_object(
        api, "/providers/oauth2/", {"name": "zot"}, desired, "pk", False, NORMALIZE
    )
    assert changed is False


def test_changed_fields_treats_missing_fields_as_different():
    assert changed_fields({"a": 1, "b": 2}, {"a": 1}) == {"b": 2}


def test_secrets_are_blanked_and_a_changed_secret_is_marked():
    before = {"name": "zot", "client_secret": "old-secret"}
    after = {"name": "zot", "client_secret": "new-secret"}
    diff = object_diff(before, after, ("name", "client_secret"), ("client_secret",))
    assert diff == {
        "before": {"name": "zot", "client_secret": "********"},
        "after": {"name": "zot", "client_secret": "******** (changed)"},
    }
    assert blank_secrets([{"token": "t"}, {"token": ""}], {"token"}) == [
        {"token": "********"},
        {"token": ""},
    ]


def test_redirect_uris_default_to_strict_and_compare_in_any_order():
    entries = redirect_uri_entries(
        [{"url": "https://zot/cb", "matching_mode": None}, {"url": "https://.*", "matching_mode": "regex"}]
    )
    assert entries == [
        {"matching_mode": "strict", "url": "https://zot/cb"},
        {"matching_mode": "regex", "url": "https://.*"},
    ]
    assert canonical_redirect_uris(entries) == canonical_redirect_uris(entries[::-1])
    assert canonical_redirect_uris(entries[:1]) != canonical_redirect_uris(entries[1:])


def test_scope_mapping_keys_and_issuer():
    assert scope_mapping_key("email") == "goauthentik.io/providers/oauth2/scope-email"
    assert scope_mapping_key("example.com/custom") == "example.com/custom"
    assert issuer_url("https://auth.example.test/", "zot") == ("https://auth.example.test/application/o/zot/")
