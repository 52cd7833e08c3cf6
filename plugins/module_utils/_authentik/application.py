# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""Desired state of an Authentik application, for the authentik_application module."""

from ansible_collections.zotops.registry.plugins.module_utils._authentik.api import (
    AuthentikError,
    ensure_object,
)

APPLICATIONS_PATH = "/core/applications/"
PROVIDERS_PATH = "/providers/oauth2/"

MANAGED_FIELDS = ("name", "slug", "provider", "meta_launch_url", "policy_engine_mode")


def issuer_url(base_url, slug):
    """The OpenID issuer of an OAuth2 provider served through application ``slug``."""
    return "%s/application/o/%s/" % (base_url.rstrip("/"), slug)


def desired_application(params, provider_pk):
    body = {"name": params["name"], "slug": params["slug"], "provider": provider_pk}
    for key in ("meta_launch_url", "policy_engine_mode"):
        if params.get(key) is not None:
            body[key] = params[key]
    return body


def ensure_application(api, params, check_mode):
    """(changed, before, after) for the application with ``params['slug']``.

    In check mode a provider that does not exist yet (it would be created by an earlier
    task of the same run) means the application would change; it is not an error.
    """
    provider_pk = None
    if params.get("provider"):
        provider = api.find_one(PROVIDERS_PATH, name=params["provider"])
        if provider is None and not check_mode:
            raise AuthentikError("provider: no OAuth2 provider named %r" % params["provider"])
        if provider is None:
            app = api.find_one(APPLICATIONS_PATH, slug=params["slug"])
            return True, app, dict(app or {}, **desired_application(params, None))
        provider_pk = provider["pk"]
    return ensure_object(
        api,
        APPLICATIONS_PATH,
        {"slug": params["slug"]},
        desired_application(params, provider_pk),
        detail_key="slug",
        check_mode=check_mode,
    )
