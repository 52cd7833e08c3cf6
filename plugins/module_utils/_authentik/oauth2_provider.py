# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""Desired state of an Authentik OAuth2/OpenID provider, for the authentik_oauth2_provider module.

Turns the module's human-readable references (flow slugs, certificate name, scope names)
into the primary keys Authentik wants.
"""

from ansible_collections.zotops.registry.plugins.module_utils._authentik.api import (
    AuthentikError,
    ensure_object,
)

PROVIDERS_PATH = "/providers/oauth2/"
FLOWS_PATH = "/flows/instances/"
KEYPAIRS_PATH = "/crypto/certificatekeypairs/"
SCOPE_MAPPINGS_PATH = "/propertymappings/provider/scope/"
# Managed scope mappings are named goauthentik.io/providers/oauth2/scope-<scope>.
MANAGED_SCOPE_PREFIX = "goauthentik.io/providers/oauth2/scope-"

# Fields the module manages; everything else on the provider is left alone.
MANAGED_FIELDS = (
    "name",
    "client_type",
    "client_id",
    "client_secret",
    "redirect_uris",
    "authorization_flow",
    "invalidation_flow",
    "property_mappings",
    "signing_key",
)
SECRET_FIELDS = ("client_secret",)


def redirect_uri_entries(items):
    """Module option entries -> Authentik's ``[{matching_mode, url}]``."""
    return [{"matching_mode": item.get("matching_mode") or "strict", "url": item["url"]} for item in items]


def canonical_redirect_uris(value):
    """Sorted (matching_mode, url) tuples, for comparing."""
    return sorted((entry.get("matching_mode") or "strict", entry["url"]) for entry in value or [])


def _ids(value):
    return sorted(str(item) for item in value or [])


def _optional_id(value):
    return None if value is None else str(value)


NORMALIZE = {
    "redirect_uris": canonical_redirect_uris,
    "property_mappings": _ids,
    "authorization_flow": _optional_id,
    "invalidation_flow": _optional_id,
    "signing_key": _optional_id,
}


def scope_mapping_key(scope):
    """``email`` -> the managed key of Authentik's built-in email mapping; keys pass through."""
    return scope if "/" in scope else MANAGED_SCOPE_PREFIX + scope


def resolve_references(api, params):
    """Primary keys for the flows, signing key and scope mappings the params name."""
    refs = {
        "authorization_flow": api.require_one(
            FLOWS_PATH, "authorization flow", slug=params["authorization_flow"]
        )["pk"],
        "property_mappings": [
            api.require_one(SCOPE_MAPPINGS_PATH, "scope mapping", managed=scope_mapping_key(s))["pk"]
            for s in params["scope_mappings"]
        ],
        "invalidation_flow": api.require_one(
            FLOWS_PATH, "invalidation flow", slug=params["invalidation_flow"]
        )["pk"],
    }
    if params.get("signing_key"):
        refs["signing_key"] = api.require_one(
            KEYPAIRS_PATH, "certificate-key pair", name=params["signing_key"]
        )["pk"]
    return refs


def desired_provider(params, refs):
    """The provider body to create, or to compare against an existing provider."""
    if params["client_type"] == "confidential" and params.get("client_secret") == "":
        raise AuthentikError("client_secret: must not be empty for a confidential client")
    body = {
        "name": params["name"],
        "client_type": params["client_type"],
        "client_id": params["client_id"],
        "redirect_uris": redirect_uri_entries(params["redirect_uris"]),
    }
    if params.get("client_secret") is not None:
        body["client_secret"] = params["client_secret"]
    body.update(refs)
    return body


def ensure_provider(api, params, check_mode):
    """(changed, before, after) for the provider named ``params['name']``."""
    refs = resolve_references(api, params)
    desired = desired_provider(params, refs)
    return ensure_object(
        api,
        PROVIDERS_PATH,
        {"name": params["name"]},
        desired,
        detail_key="pk",
        check_mode=check_mode,
        normalize=NORMALIZE,
    )
