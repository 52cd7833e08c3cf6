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
    redirect_uris_for_server,
    scope_mapping_key,
)


class ScriptedAPI(AuthentikAPI):
    """Answers calls from a dict {(method, path): response} and records them."""

    def __init__(self, answers, version="2026.8.5"):
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


def test_too_old_server_is_refused(monkeypatch):
    api = AuthentikAPI("https://auth.example.test", "token")
    monkeypatch.setattr(api, "call", lambda *a, **k: {"version_current": "2024.6.1"})
    with pytest.raises(AuthentikError, match="2024.6.1 is older than 2024.8"):
        api.version()


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


def test_redirect_uris_in_both_server_formats():
    entries = redirect_uri_entries([{"url": "https://zot/cb", "matching_mode": None}])
    assert redirect_uris_for_server(entries, True) == [{"matching_mode": "strict", "url": "https://zot/cb"}]
    assert redirect_uris_for_server(entries, False) == "https://zot/cb"
    regex = redirect_uri_entries([{"url": "https://.*", "matching_mode": "regex"}])
    with pytest.raises(AuthentikError, match=r"redirect_uris\[0\]: .*2024.10"):
        redirect_uris_for_server(regex, False)
    # Both formats compare equal when they say the same thing.
    assert canonical_redirect_uris("https://zot/cb\n") == canonical_redirect_uris(
        [{"matching_mode": "strict", "url": "https://zot/cb", "redirect_uri_type": "authorization"}]
    )
    assert canonical_redirect_uris("https://zot/cb") != canonical_redirect_uris(regex)


def test_logout_redirect_uris_reach_only_servers_with_redirect_uri_types():
    entries = redirect_uri_entries(
        [
            {"url": "https://zot/cb", "matching_mode": "strict", "type": "authorization"},
            {"url": "https://zot/login", "matching_mode": "strict", "type": "logout"},
        ]
    )
    assert redirect_uris_for_server(entries, True, True) == [
        {"matching_mode": "strict", "url": "https://zot/cb", "redirect_uri_type": "authorization"},
        {"matching_mode": "strict", "url": "https://zot/login", "redirect_uri_type": "logout"},
    ]
    # 2024.10 to 2026.2: objects without types; the logout URI must not become an authorization one.
    assert redirect_uris_for_server(entries, True, False) == [
        {"matching_mode": "strict", "url": "https://zot/cb"}
    ]
    assert redirect_uris_for_server(entries, False, False) == "https://zot/cb"
    # What an older server holds compares equal to the request it was sent.
    sent = redirect_uris_for_server(entries, True, False)
    assert canonical_redirect_uris(sent) == canonical_redirect_uris("https://zot/cb")
    assert canonical_redirect_uris(sent) != canonical_redirect_uris(
        redirect_uris_for_server(entries, True, True)
    )


def test_scope_mapping_keys_and_issuer():
    assert scope_mapping_key("email") == "goauthentik.io/providers/oauth2/scope-email"
    assert scope_mapping_key("example.com/custom") == "example.com/custom"
    assert issuer_url("https://auth.example.test/", "zot") == ("https://auth.example.test/application/o/zot/")
