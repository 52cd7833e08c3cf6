# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""zot's CEL policy conditions (`policies[].conditions`, zot >= v2.1.17), compiled and
evaluated with Google's C++ CEL implementation (PyPI `cel-expr-python`).

zot v2.1.20 (pkg/api/authz.go CompileAccessControl, pkg/cel/expression.go) compiles every
condition at start with a type-checked environment: one variable `req` of type
map(string, dyn), the strings, sets, encoders and optional-types extensions, no output type.
An expression that does not compile makes zot refuse the config (zot verify too). At request
time the conditions of an entry must all evaluate to the bool true; false, an error or a
value of another type make the entry not grant. `req` holds exactly REQUEST_KEYS
(evalRequest.data()).

Known differences from cel-go: `1 < 2.0` (mixed numeric comparison) compiles in zot but not
here, and `[1, "a"]` (mixed list literal) compiles here but not in zot.
"""

from __future__ import annotations

import datetime
import functools

REQUIREMENT = "cel-expr-python==0.1.3"
MIN_VERSION = (2, 1, 17)
# evalRequest.data() in pkg/api/authz.go: every key zot fills for each request.
REQUEST_KEYS = (
    "time",
    "method",
    "userAgent",
    "action",
    "repository",
    "reference",
    "referenceType",
    "tag",
    "digest",
    "user",
    "auth",
    "client",
    "tls",
    "claims",
)


class CelUnavailable(RuntimeError):
    """The CEL library is not installed where the engine runs."""


def _cel():
    try:
        from cel_expr_python import cel
        from cel_expr_python.ext import ext_bindings, ext_encoders, ext_optional, ext_strings
    except ImportError as exc:
        raise CelUnavailable(
            f"CEL conditions need the Python package {REQUIREMENT} on the controller "
            f"(pip install {REQUIREMENT}): {exc}"
        ) from exc
    return cel, (ext_strings, ext_optional, ext_encoders, ext_bindings)


@functools.cache
def available() -> bool:
    """Whether the CEL library is installed here (a managed host often lacks it); asked
    once per process, not per decision."""
    try:
        _cel()
    except CelUnavailable:
        return False
    return True


def _sets_extension(cel):
    # cel-go's ext.Sets, which zot loads and the Python binding does not ship.
    items = cel.Type.List(cel.Type.DYN)

    def declare(name, impl):
        overload = cel.Overload(f"list_sets_{name}_list", cel.Type.BOOL, [items, items], impl=impl)
        return cel.FunctionDecl(f"sets.{name}", [overload])

    return cel.CelExtension(
        "sets",
        [
            declare("contains", lambda a, b: all(x in a for x in b)),
            declare("equivalent", lambda a, b: all(x in b for x in a) and all(x in a for x in b)),
            declare("intersects", lambda a, b: any(x in b for x in a)),
        ],
    )


@functools.cache
def _environment(with_time: bool):
    cel, (strings, optional, encoders, bindings) = _cel()
    variables = {"req": cel.Type.Map(cel.Type.STRING, cel.Type.DYN)}
    if with_time:
        # The binding cannot pass a timestamp nested in a map; evaluation binds `req`
        # inside CEL from these two variables instead.
        variables = {"zotops_req": variables["req"], "zotops_time": cel.Type.TIMESTAMP}
    extensions = [
        strings.ExtStrings(),
        optional.ExtOptional(),
        encoders.ExtEncoders(),
        bindings.ExtBindings(),
        _sets_extension(cel),
    ]
    return cel.NewEnv(variables=variables, extensions=extensions)


@functools.lru_cache(maxsize=4096)
def compile_error(expression: str) -> str | None:
    """Why zot would refuse `expression` at start, or None when it compiles."""
    try:
        _environment(False).compile(str(expression))
    except RuntimeError as exc:
        if isinstance(exc, CelUnavailable):
            raise
        return str(exc).replace("INVALID_ARGUMENT: ", "", 1).strip()
    return None


def result_type(expression: str) -> str:
    """The checked result type of a compiling expression, e.g. BOOL, DYN, INT."""
    return _environment(False).compile(str(expression)).return_type().name()


@functools.lru_cache(maxsize=4096)
def _program(expression: str, keys: tuple[str, ...] | None):
    if keys is None:
        return _environment(False).compile(expression)
    entries = ", ".join(f'"{key}": dyn(zotops_req.{key})' for key in keys)
    wrapped = f'cel.bind(req, {{{entries}, "time": dyn(zotops_time)}}, {expression})'
    return _environment(True).compile(wrapped)


def evaluate(expression: str, attributes: dict) -> bool | None:
    """True/False as zot evaluates `expression` for a request with these `req` attributes
    (some of REQUEST_KEYS); None when the answer depends on attributes not given.

    A missing attribute makes the parts reading it an error, which CEL's && and || absorb
    when the other side decides; an error or a non-bool result is false for zot.
    """
    expression = str(expression)
    data = {key: _plain(value) for key, value in attributes.items() if key != "time"}
    if "time" in attributes:
        program = _program(expression, tuple(sorted(data)))
        value = program.eval(data={"zotops_req": data, "zotops_time": attributes["time"]})
    else:
        value = _program(expression, None).eval(data={"req": data})
    kind = value.type().name()
    if kind == "BOOL":
        return bool(value.value())
    if kind == "ERROR" and set(REQUEST_KEYS) - set(attributes):
        return None
    return False


def _plain(value):
    # The binding accepts only exact built-in types, not subclasses such as the tagged
    # strings Ansible passes module arguments as.
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    for kind in (bool, int, float, str, bytes):
        if isinstance(value, kind):
            return kind(value)
    return value


def parse_time(text, where: str) -> datetime.datetime:
    """An RFC 3339 time such as 2026-01-31T12:00:00Z (UTC when no offset is given)."""
    if isinstance(text, datetime.datetime):
        moment = text
    else:
        try:
            moment = datetime.datetime.fromisoformat(str(text))
        except ValueError as exc:
            raise ValueError(f'{where}: cannot parse "{text}" as a time (e.g. 2026-01-31T12:00:00Z)') from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment


# A query's `request` keys, and the `req` keys each one fills.
REQUEST_FIELDS = {
    "reference": ("reference", "referenceType", "tag", "digest"),
    "tag": ("reference", "referenceType", "tag", "digest"),
    "digest": ("reference", "referenceType", "tag", "digest"),
    "method": ("method",),
    "user_agent": ("userAgent",),
    "client_ip": ("client",),
    "forwarded_for": ("client",),
    "tls": ("tls",),
    "tls_version": ("tls",),
    "time": ("time",),
    "claims": ("claims",),
}


def request_attributes(request: dict | None, where: str) -> dict:
    """The `req` attributes a query's `request` gives, as zot's evalRequest.data() fills them.

    reference (or tag, or digest): the route's reference; zot calls one with a ":" a digest.
    An empty reference is a route without one (blob uploads, tag lists). client_ip without
    forwarded_for means no X-Forwarded-For header; tls_version implies tls.
    """
    if not request:
        return {}
    if not isinstance(request, dict):
        raise ValueError(f"{where}: must be a dict of request attributes")
    unknown = sorted(set(request) - set(REQUEST_FIELDS))
    if unknown:
        allowed = ", ".join(REQUEST_FIELDS)
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {allowed})")
    given = [key for key in ("reference", "tag", "digest") if key in request]
    if len(given) > 1:
        raise ValueError(f"{where}: give one of reference, tag and digest")
    for key, value in request.items():
        if key in ("tls", "time", "claims", "forwarded_for"):
            continue
        if not isinstance(value, str):
            raise ValueError(f"{where}.{key}: must be a string")
    attributes = {}
    if given:
        reference = request[given[0]]
        kind = "digest" if ":" in reference else ("tag" if reference else "")
        attributes.update(
            reference=reference,
            referenceType=kind,
            tag=reference if kind == "tag" else "",
            digest=reference if kind == "digest" else "",
        )
    if "method" in request:
        attributes["method"] = request["method"].upper()
    if "user_agent" in request:
        attributes["userAgent"] = request["user_agent"]
    if "client_ip" in request or "forwarded_for" in request:
        forwarded = request.get("forwarded_for") or []
        if not isinstance(forwarded, list) or not all(isinstance(ip, str) for ip in forwarded):
            raise ValueError(f"{where}.forwarded_for: must be a list of addresses")
        attributes["client"] = {"ip": request.get("client_ip", ""), "forwardedFor": list(forwarded)}
    if "tls" in request or "tls_version" in request:
        enabled = bool(request.get("tls", "tls_version" in request))
        attributes["tls"] = {"enabled": enabled, "version": request.get("tls_version", "") if enabled else ""}
    if "time" in request:
        attributes["time"] = parse_time(request["time"], f"{where}.time")
    if "claims" in request:
        if not isinstance(request["claims"], dict):
            raise ValueError(f"{where}.claims: must be a dict")
        attributes["claims"] = request["claims"]
    return attributes
