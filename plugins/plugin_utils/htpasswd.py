# -*- coding: utf-8 -*-
# Copyright: zotops.registry contributors
# Apache License 2.0 (see LICENSE)
"""Render an htpasswd file for zot from vault-sourced users, on the controller.

bcrypt salts every hash, so naively re-hashing rewrites the file (and restarts zot) on
every run. A user's existing hash is kept whenever it still matches the password.
"""

import re

try:
    import bcrypt
except ImportError:  # only rendering htpasswd needs it; the collection's other filters do not
    bcrypt = None

# zot accepts bcrypt and SHA-crypt; bcrypt's $2y$ prefix is what htpasswd -B writes.
BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
MIN_COST = 10
MAX_COST = 31  # bcrypt's own limit
_NAME = re.compile(r"^[^\s:\x00-\x1f\x7f]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class HtpasswdError(ValueError):
    """A user entry cannot be rendered; the message names the field."""


def parse_htpasswd(content):
    """{user: hash} from htpasswd text (blank lines and comments ignored)."""
    entries = {}
    for line in (content or "").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or ":" not in line:
            continue
        name, _unused, hashed = line.partition(":")
        entries[name] = hashed
    return entries


def password_matches(password, hashed):
    if not hashed.startswith(BCRYPT_PREFIXES):
        return False
    try:
        return bcrypt.checkpw(password.encode("utf-8"), hashed.encode("ascii"))
    except ValueError:
        return False


def hash_password(password, cost):
    hashed = bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=cost))
    return "$2y$" + hashed.decode("ascii")[4:]


def check_users(users, cost=MIN_COST):
    """Raise HtpasswdError naming the first bad field of `users` or `cost`. The message never
    holds a password, so the role can show it from a task that is not no_log."""
    if isinstance(cost, bool) or not str(cost).isdigit() or not MIN_COST <= int(cost) <= MAX_COST:
        raise HtpasswdError(
            "zot_htpasswd_bcrypt_cost: must be a whole number from %d to %d" % (MIN_COST, MAX_COST)
        )
    seen = set()
    for index, user in enumerate(users or []):
        field = "zot_htpasswd_users[%d]" % index
        if not isinstance(user, dict):
            raise HtpasswdError("%s: must be a dict {name, password, groups}" % field)
        name = user.get("name") or ""
        password = user.get("password")
        # One line per user: a newline in a name would write a second, forged entry.
        if not isinstance(name, str) or not _NAME.match(name):
            raise HtpasswdError(
                "%s.name: must be a non-empty string without ':', spaces or control characters" % field
            )
        if name in seen:
            raise HtpasswdError("%s.name: user %r is listed twice" % (field, name))
        seen.add(name)
        if not isinstance(password, str):
            raise HtpasswdError("%s.password: must be a string; quote it in YAML (user %r)" % (field, name))
        if not password:
            raise HtpasswdError("%s.password: must not be empty (user %r)" % (field, name))
        if _CONTROL.search(password):
            raise HtpasswdError(
                "%s.password: contains a newline or another control character (user %r); a vault "
                "block scalar (|) ends with a newline, use |- or a quoted string" % (field, name)
            )
        # bcrypt only looks at the first 72 bytes; a longer secret would be silently cut.
        if len(password.encode("utf-8")) > 72:
            raise HtpasswdError("%s.password: longer than bcrypt's 72-byte limit (user %r)" % (field, name))


def render_htpasswd(users, existing_content="", cost=MIN_COST):
    """htpasswd text for `users` ([{name, password, ...}]), reusing still-valid hashes."""
    if bcrypt is None and users:
        raise HtpasswdError("zot_htpasswd_users: the Python package bcrypt is required on the controller")
    check_users(users, cost)
    existing = parse_htpasswd(existing_content)
    lines = []
    for user in users or []:
        name, password = user["name"], user["password"]
        hashed = existing.get(name, "")
        if not password_matches(password, hashed):
            hashed = hash_password(password, int(cost))
        lines.append("%s:%s" % (name, hashed))
    return "\n".join(lines) + "\n" if lines else ""
