# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""A test double of Authentik's REST API (``/api/v3``) - NOT Authentik.

It serves, on 127.0.0.1 only and with state kept in memory, exactly the endpoints the
collection's authentik_* modules use:

  GET   /admin/version/
  GET   /flows/instances/?slug=            GET /crypto/certificatekeypairs/?name=
  GET   /propertymappings/provider/scope/?managed=
  GET   /providers/oauth2/?name=           POST /providers/oauth2/   PATCH /providers/oauth2/<pk>/
  GET   /core/applications/?slug=          POST /core/applications/  PATCH /core/applications/<slug>/
  GET   /core/groups/?name=                POST /core/groups/        PATCH /core/groups/<uuid>/
  POST  /core/groups/<uuid>/add_user/
  GET   /core/users/?username=             POST /core/users/service_account/

What it validates, on EVERY request:
- ``Authorization: Bearer <token>`` equals the configured token; otherwise 403 with
  Authentik's detail and no ``WWW-Authenticate`` challenge (Authentik's token authentication
  names no challenge, so Django REST framework answers 403, not 401).
- Every request body against the strict pydantic request models of the PyPI package
  ``authentik-client`` (``OAuth2ProviderRequest``, ``PatchedOAuth2ProviderRequest``,
  ``ApplicationRequest``, ``GroupRequest``, ``UserServiceAccountRequest``,
  ``UserAccountRequest``, ...): types, required fields, enums, lengths -> 400 naming the field.
- What Authentik's serializers add on top: unique provider/group names and application
  slugs, slug characters, references (flows, keys, scope mappings, providers, users) that must
  exist, a provider used by one application only, compilable regex redirect URIs.
- Stricter than Authentik on purpose: unknown body fields and unknown query filters are
  rejected with 400 (Authentik silently ignores them, which would hide a module bug).
Its own responses are checked against the package's response models.

``--version`` picks the Authentik release to imitate. Before 2024.10 the provider's
``redirect_uris`` is a newline-separated string and ``invalidation_flow`` does not exist;
the double then validates the rest of the body with the same models. Before 2026.5 redirect
URI objects have no ``redirect_uri_type`` (refused, as an unknown field); from 2026.5 an entry
without one is stored as ``authorization``, the default.

Run: ``python authentik_double.py --port 0 --token T --port-file F`` (prints the port).
"""

import argparse
import json
import re
import secrets
import sys
import threading
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pydantic
from authentik_client.models import (
    Application,
    ApplicationRequest,
    Group,
    GroupRequest,
    OAuth2Provider,
    OAuth2ProviderRequest,
    PatchedApplicationRequest,
    PatchedGroupRequest,
    PatchedOAuth2ProviderRequest,
    User,
    UserAccountRequest,
    UserServiceAccountRequest,
    UserServiceAccountResponse,
)

REDIRECT_URI_OBJECTS_SINCE = (2024, 10)
REDIRECT_URI_TYPES_SINCE = (2026, 5)
# Authentik's own wording (Django REST framework's field messages) for the pattern rules the
# authentik-client models check with a generated "must validate the regular expression".
PATTERN_MESSAGES = {
    "slug": 'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.',
}
DUMMY_UUID = "00000000-0000-0000-0000-000000000000"
# Query parameters that select how much is returned rather than which objects.
NON_FILTER_PARAMS = {"include_users", "include_groups", "page", "page_size", "ordering"}


class BadRequest(Exception):
    """A 400 with Authentik's error body shape: {field: [message, ...]}."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


def _now():
    return datetime.now(timezone.utc).isoformat()


def validate_body(model, body):
    """Check ``body`` against an authentik-client request model; BadRequest names the fields.

    Messages never echo the submitted values (they may be secrets).
    """
    if not isinstance(body, dict):
        raise BadRequest({"non_field_errors": ["Invalid data. Expected a dictionary."]})
    unknown = sorted(set(body) - set(model.model_fields))
    if unknown:
        raise BadRequest({key: ["unknown field"] for key in unknown})
    try:
        model.model_validate(body)
    except pydantic.ValidationError as exc:
        errors = {}
        for err in exc.errors():
            loc = [str(part) for part in err["loc"]]
            message = ".".join(loc[1:] + [err["msg"]])
            if loc[0] in PATTERN_MESSAGES and "regular expression" in err["msg"]:
                message = PATTERN_MESSAGES[loc[0]]
            errors.setdefault(loc[0], []).append(message)
        raise BadRequest(errors) from None


class AuthentikState:
    """In-memory objects with the seed data a fresh Authentik has."""

    def __init__(self, version):
        self.version = version
        self.version_tuple = tuple(int(p) for p in version.split(".")[:2])
        self.lock = threading.Lock()
        self.flows = {}
        for slug, designation in (
            ("default-provider-authorization-implicit-consent", "authorization"),
            ("default-provider-authorization-explicit-consent", "authorization"),
            ("default-provider-invalidation-flow", "invalidation"),
        ):
            pk = str(uuid.uuid4())
            self.flows[pk] = {"pk": pk, "slug": slug, "name": slug, "designation": designation}
        key_pk = str(uuid.uuid4())
        self.keypairs = {key_pk: {"pk": key_pk, "name": "authentik Self-signed Certificate"}}
        self.scope_mappings = {}
        for scope in ("openid", "email", "profile", "offline_access"):
            pk = str(uuid.uuid4())
            self.scope_mappings[pk] = {
                "pk": pk,
                "managed": "goauthentik.io/providers/oauth2/scope-" + scope,
                "name": "authentik default OAuth Mapping: " + scope,
                "scope_name": scope,
            }
        self.providers = {}
        self.applications = {}
        self.groups = {}
        self.users = {}
        self.next_pk = 1
        self.add_user("akadmin", "internal")

    @property
    def legacy_redirect_uris(self):
        return self.version_tuple < REDIRECT_URI_OBJECTS_SINCE

    @property
    def redirect_uri_types(self):
        return self.version_tuple >= REDIRECT_URI_TYPES_SINCE

    def new_pk(self):
        self.next_pk += 1
        return self.next_pk

    def add_user(self, username, user_type):
        user = {
            "pk": self.new_pk(),
            "username": username,
            "name": username,
            "type": user_type,
            "uuid": str(uuid.uuid4()),
            "groups": [],
            "date_joined": _now(),
        }
        self.users[user["pk"]] = user
        return user


class Handler(BaseHTTPRequestHandler):
    server_version = "authentik-double"
    state = None
    token = None

    def log_message(self, fmt, *args):  # keep test output quiet
        pass

    # --- plumbing -----------------------------------------------------------------------
    def _reply(self, status, payload=None):
        body = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _dispatch(self, method):
        authorization = self.headers.get("Authorization") or ""
        if not authorization:
            return self._reply(403, {"detail": "Authentication credentials were not provided."})
        if authorization != "Bearer " + self.token:
            return self._reply(403, {"detail": "Token invalid/expired"})
        url = urlsplit(self.path)
        if not url.path.startswith("/api/v3/"):
            return self._reply(404, {"detail": "Not found."})
        path = url.path[len("/api/v3") :]
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        body = None
        length = int(self.headers.get("Content-Length") or 0)
        if method in ("POST", "PATCH"):
            if "application/json" not in (self.headers.get("Content-Type") or ""):
                return self._reply(415, {"detail": "Unsupported media type."})
            try:
                body = json.loads(self.rfile.read(length) or b"null")
            except ValueError:
                return self._reply(400, {"detail": "JSON parse error"})
        with self.state.lock:
            try:
                status, payload = route(self.state, method, path, query, body)
            except BadRequest as exc:
                status, payload = 400, exc.errors
        return self._reply(status, payload)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PATCH(self):
        self._dispatch("PATCH")


def listing(objects, query, filters, render):
    """A paginated list of the objects whose ``filters`` fields equal the query values."""
    unknown = sorted(set(query) - set(filters) - NON_FILTER_PARAMS)
    if unknown:
        raise BadRequest({key: ["filter not implemented by the double"] for key in unknown})
    found = [o for o in objects if all(str(o.get(f)) == query[f] for f in filters if f in query)]
    count = len(found)
    return 200, {
        "pagination": {
            "next": 0,
            "previous": 0,
            "count": count,
            "current": 1,
            "total_pages": 1,
            "start_index": 1 if count else 0,
            "end_index": count,
        },
        "results": [render(o) for o in found],
    }


def route(state, method, path, query, body):
    parts = [p for p in path.split("/") if p]
    key = (method, "/".join(parts[:2]))
    if key == ("GET", "admin/version"):
        return 200, {
            "version_current": state.version,
            "version_latest": state.version,
            "version_latest_valid": True,
            "build_hash": "",
            "outdated": False,
            "outpost_outdated": False,
        }
    if key == ("GET", "flows/instances"):
        return listing(state.flows.values(), query, ["slug"], dict)
    if key == ("GET", "crypto/certificatekeypairs"):
        return listing(state.keypairs.values(), query, ["name"], dict)
    if method == "GET" and parts == ["propertymappings", "provider", "scope"]:
        return listing(state.scope_mappings.values(), query, ["managed"], dict)
    if key[1] == "providers/oauth2":
        return providers(state, method, parts[2:], query, body)
    if key[1] == "core/applications":
        return applications(state, method, parts[2:], query, body)
    if key[1] == "core/groups":
        return groups(state, method, parts[2:], query, body)
    if key[1] == "core/users":
        return users(state, method, parts[2:], query, body)
    return 404, {"detail": "Not found."}


# --- OAuth2 providers ------------------------------------------------------------------
def _check_provider(state, body, pk):
    if state.legacy_redirect_uris:
        if "invalidation_flow" in body:
            raise BadRequest({"invalidation_flow": ["unknown field"]})
        uris = body.get("redirect_uris")
        if uris is not None and not isinstance(uris, str):
            raise BadRequest({"redirect_uris": ["Not a valid string."]})
        # Validate everything else with the current models.
        body = dict(body, invalidation_flow=DUMMY_UUID)
        if uris is not None:
            body["redirect_uris"] = [{"matching_mode": "strict", "url": u} for u in uris.splitlines() if u]
    elif not state.redirect_uri_types:
        for index, entry in enumerate(body.get("redirect_uris") or []):
            if isinstance(entry, dict) and "redirect_uri_type" in entry:
                raise BadRequest({"redirect_uris": ["%d.redirect_uri_type: unknown field" % index]})
    validate_body(PatchedOAuth2ProviderRequest if pk else OAuth2ProviderRequest, body)
    errors = {}
    for field, table in (
        ("authorization_flow", state.flows),
        ("invalidation_flow", state.flows),
        ("signing_key", state.keypairs),
    ):
        if body.get(field) not in (None, DUMMY_UUID) and body[field] not in table:
            errors[field] = ['Invalid pk "%s" - object does not exist.' % body[field]]
    for ref in body.get("property_mappings") or []:
        if ref not in state.scope_mappings:
            errors["property_mappings"] = ['Invalid pk "%s" - object does not exist.' % ref]
    for entry in body.get("redirect_uris") or []:
        if entry["matching_mode"] == "regex":
            try:
                re.compile(entry["url"])
            except re.error:
                errors["redirect_uris"] = ["Invalid regex"]
    clash = [p for p in state.providers.values() if p["name"] == body.get("name") and p["pk"] != pk]
    if clash:
        errors["name"] = ["Provider with this name already exists."]
    if errors:
        raise BadRequest(errors)


def _with_default_uri_types(state, body):
    """``body`` as stored: from 2026.5 a redirect URI without a type is an authorization URI."""
    uris = body.get("redirect_uris")
    if not state.redirect_uri_types or not isinstance(uris, list):
        return body
    return dict(body, redirect_uris=[dict({"redirect_uri_type": "authorization"}, **u) for u in uris])


def render_provider(state, provider):
    app = next((a for a in state.applications.values() if a["provider"] == provider["pk"]), None)
    out = dict(
        provider,
        authentication_flow=None,
        component="ak-provider-oauth2-form",
        assigned_application_slug=app["slug"] if app else None,
        assigned_application_name=app["name"] if app else None,
        assigned_backchannel_application_slug=None,
        assigned_backchannel_application_name=None,
        verbose_name="OAuth2/OpenID Provider",
        verbose_name_plural="OAuth2/OpenID Providers",
        meta_model_name="authentik_providers_oauth2.oauth2provider",
    )
    if not state.legacy_redirect_uris:
        OAuth2Provider.model_validate(out)
    return out


def providers(state, method, rest, query, body):
    def render(provider):
        return render_provider(state, provider)

    if method == "GET" and not rest:
        return listing(state.providers.values(), query, ["name", "client_id"], render)
    if method == "POST" and not rest:
        _check_provider(state, body, None)
        provider = {
            "pk": state.new_pk(),
            "client_type": "confidential",
            "client_id": secrets.token_hex(20),
            "client_secret": secrets.token_urlsafe(96)[:128],
            "property_mappings": [],
            "signing_key": None,
            "encryption_key": None,
            "access_code_validity": "minutes=1",
            "access_token_validity": "hours=1",
            "refresh_token_validity": "days=30",
            "include_claims_in_id_token": True,
            "sub_mode": "hashed_user_id",
            "issuer_mode": "per_provider",
            "logout_uri": "",
            "logout_method": "backchannel",
            "jwt_federation_sources": [],
            "jwt_federation_providers": [],
        }
        provider.update(_with_default_uri_types(state, body))
        state.providers[provider["pk"]] = provider
        return 201, render(provider)
    if method == "PATCH" and len(rest) == 1:
        provider = state.providers.get(int(rest[0]) if rest[0].isdigit() else None)
        if provider is None:
            return 404, {"detail": "No OAuth2Provider matches the given query."}
        _check_provider(state, body, provider["pk"])
        provider.update(_with_default_uri_types(state, body))
        return 200, render(provider)
    return 405, {"detail": 'Method "%s" not allowed.' % method}


# --- applications ----------------------------------------------------------------------
def render_application(state, app):
    provider = state.providers.get(app["provider"])
    provider_obj = None
    if provider is not None:
        full = render_provider(state, provider)
        provider_obj = {
            k: full[k]
            for k in (
                "pk",
                "name",
                "authentication_flow",
                "authorization_flow",
                "property_mappings",
                "component",
                "assigned_application_slug",
                "assigned_application_name",
                "assigned_backchannel_application_slug",
                "assigned_backchannel_application_name",
                "verbose_name",
                "verbose_name_plural",
                "meta_model_name",
            )
        }
    out = dict(
        app,
        provider_obj=provider_obj,
        backchannel_providers=[],
        backchannel_providers_obj=[],
        launch_url=app.get("meta_launch_url") or None,
        meta_icon_url=None,
        meta_icon_themed_urls=None,
    )
    Application.model_validate(out)
    return out


def _check_application(state, body, current):
    validate_body(PatchedApplicationRequest if current else ApplicationRequest, body)
    errors = {}
    if any(a["slug"] == body.get("slug") and a is not current for a in state.applications.values()):
        errors["slug"] = ["Application with this slug already exists."]
    provider = body.get("provider")
    if provider is not None:
        if provider not in state.providers:
            errors["provider"] = ['Invalid pk "%s" - object does not exist.' % provider]
        elif any(a["provider"] == provider and a is not current for a in state.applications.values()):
            errors["provider"] = ["Application with this provider already exists."]
    if errors:
        raise BadRequest(errors)


def applications(state, method, rest, query, body):
    def render(application):
        return render_application(state, application)

    if method == "GET" and not rest:
        return listing(state.applications.values(), query, ["slug", "name"], render)
    if method == "POST" and not rest:
        _check_application(state, body, None)
        app = {
            "pk": str(uuid.uuid4()),
            "provider": None,
            "open_in_new_tab": False,
            "meta_launch_url": "",
            "meta_icon": None,
            "meta_description": "",
            "meta_publisher": "",
            "policy_engine_mode": "any",
            "group": "",
            "meta_hide": False,
        }
        app.update(body)
        app["pbm_uuid"] = app["pk"]
        state.applications[app["slug"]] = app
        return 201, render(app)
    if method == "PATCH" and len(rest) == 1:
        app = state.applications.get(rest[0])
        if app is None:
            return 404, {"detail": "No Application matches the given query."}
        _check_application(state, body, app)
        del state.applications[app["slug"]]
        app.update(body)
        state.applications[app["slug"]] = app
        return 200, render(app)
    return 405, {"detail": 'Method "%s" not allowed.' % method}


# --- groups and users ------------------------------------------------------------------
def render_group(state, group, include_users=True):
    members = [u for u in state.users.values() if group["pk"] in u["groups"]]
    out = dict(
        group,
        users=[u["pk"] for u in members],
        users_obj=None,
        parents_obj=[],
        roles_obj=[],
        inherited_roles_obj=None,
        children=[],
        children_obj=None,
    )
    if include_users:
        out["users_obj"] = [
            {
                "pk": u["pk"],
                "username": u["username"],
                "name": u["name"],
                "is_active": True,
                "last_login": None,
                "email": "",
                "attributes": {},
                "uid": u["uuid"],
            }
            for u in members
        ]
    Group.model_validate(out)
    return out


def render_user(state, user):
    out = dict(
        user,
        is_active=True,
        last_login=None,
        is_superuser=False,
        groups_obj=None,
        roles=[],
        roles_obj=None,
        email="",
        avatar="data:image/svg+xml;base64,",
        attributes={},
        uid=user["uuid"],
        path="goauthentik.io/service-accounts" if user["type"] == "service_account" else "users",
        password_change_date=user["date_joined"],
        last_updated=user["date_joined"],
    )
    User.model_validate(out)
    return out


def groups(state, method, rest, query, body):
    include_users = query.get("include_users", "true") == "true"

    def render(group):
        return render_group(state, group, include_users)

    if method == "GET" and not rest:
        return listing(state.groups.values(), query, ["name"], render)
    if body and "users" in body:
        raise BadRequest({"users": ["setting members this way is not implemented by the double"]})
    if method == "POST" and not rest:
        validate_body(GroupRequest, body)
        if any(g["name"] == body["name"] for g in state.groups.values()):
            raise BadRequest({"name": ["Group with this name already exists."]})
        pk = str(uuid.uuid4())
        group = {"pk": pk, "num_pk": state.new_pk(), "is_superuser": False, "parents": []}
        group.update({"attributes": {}, "roles": []}, **body)
        state.groups[pk] = group
        return 201, render(group)
    group = state.groups.get(rest[0]) if rest else None
    if group is None:
        return 404, {"detail": "No Group matches the given query."}
    if method == "PATCH" and len(rest) == 1:
        validate_body(PatchedGroupRequest, body)
        if any(g["name"] == body.get("name") and g is not group for g in state.groups.values()):
            raise BadRequest({"name": ["Group with this name already exists."]})
        group.update(body)
        return 200, render(group)
    if method == "POST" and rest[1:] == ["add_user"]:
        validate_body(UserAccountRequest, body)
        user = state.users.get(body["pk"])
        if user is None:
            raise BadRequest({"pk": ["User does not exist."]})
        if group["pk"] not in user["groups"]:
            user["groups"].append(group["pk"])
        return 204, None
    return 405, {"detail": 'Method "%s" not allowed.' % method}


def users(state, method, rest, query, body):
    if method == "GET" and not rest:
        return listing(state.users.values(), query, ["username"], lambda u: render_user(state, u))
    if method == "POST" and rest == ["service_account"]:
        validate_body(UserServiceAccountRequest, body)
        if any(u["username"] == body["name"] for u in state.users.values()):
            raise BadRequest({"name": ["A user with this username already exists."]})
        user = state.add_user(body["name"], "service_account")
        response = {
            "username": user["username"],
            "token": secrets.token_urlsafe(45),
            "user_uid": user["uuid"],
            "user_pk": user["pk"],
            "group_pk": None,
        }
        UserServiceAccountResponse.model_validate(response)
        return 200, response
    return 405, {"detail": 'Method "%s" not allowed.' % method}


def make_server(token, version="2026.8.5", port=0):
    """A ready (not yet serving) double on 127.0.0.1; ``server.server_port`` is its port."""
    handler = type("BoundHandler", (Handler,), {"state": AuthentikState(version), "token": token})
    return ThreadingHTTPServer(("127.0.0.1", port), handler)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", required=True)
    parser.add_argument("--version", default="2026.8.5", help="Authentik release to imitate")
    parser.add_argument("--port-file", help="write the bound port here once listening")
    args = parser.parse_args(argv)
    server = make_server(args.token, args.version, args.port)
    if args.port_file:
        with open(args.port_file, "w") as handle:
            handle.write(str(server.server_port))
    print(server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
