# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""Render an htpasswd file for zot from vault-sourced users, on the controller.

bcrypt salts every hash, so naively re-hashing rewrites the file (and restarts zot) on
every run. A user's existing hash is kept while it still matches the password at the cost
the user should have.

zot runs bcrypt on every request that carries basic auth. Machine identities (`machine:
true`: CI, services) therefore get a generated secret of 256 bits, for which bcrypt's work
factor adds nothing against guessing, hashed at MACHINE_MIN_COST; passwords people choose
keep MIN_COST or more.
"""

import collections
import math
import re

try:
    import bcrypt
except ImportError:  # only rendering htpasswd needs it; the collection's other filters do not
    bcrypt = None

# zot accepts bcrypt and SHA-crypt; bcrypt's $2y$ prefix is what htpasswd -B writes.
BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
MIN_COST = 10
MACHINE_MIN_COST = 4  # bcrypt's own minimum
MAX_COST = 31  # bcrypt's own limit
# A secret at a cost below MIN_COST must be a generated token: no guessing at any speed
# reaches 2**128.
MACHINE_MIN_BITS = 128
# Characters of generated tokens (hex, base64, base64url, alphanumeric).
_TOKEN = re.compile(r"^[A-Za-z0-9+/=_-]+$")
_COST = re.compile(r"^\$2[aby]\$(\d\d)\$")
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


def hash_cost(hashed):
    """The bcrypt cost of a hash, None when it is not a bcrypt hash."""
    match = _COST.match(hashed)
    return int(match.group(1)) if match else None


def estimated_bits(secret):
    """Entropy estimate of a generated token: its length times the empirical Shannon entropy
    of its characters (0 for anything that is not a token). A guard against a person's
    password being marked as a machine secret by mistake, not a proof of randomness."""
    if not _TOKEN.match(secret):
        return 0.0
    counts = collections.Counter(secret)
    per_char = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values())
    return per_char * len(secret)


def hash_password(password, cost):
    hashed = bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=cost))
    return "$2y$" + hashed.decode("ascii")[4:]


def _check_cost(cost, variable, lowest):
    if isinstance(cost, bool) or not str(cost).isdigit() or not lowest <= int(cost) <= MAX_COST:
        raise HtpasswdError("%s: must be a whole number from %d to %d" % (variable, lowest, MAX_COST))


def check_users(users, cost=MIN_COST, machine_cost=MACHINE_MIN_COST):
    """Raise HtpasswdError naming the first bad field of `users` or a cost. The message never
    holds a password, so the role can show it from a task that is not no_log.

    A machine user without a password is fine here: the role fills in its generated secret
    (with_generated_secrets) before rendering."""
    _check_cost(cost, "zot_htpasswd_bcrypt_cost", MIN_COST)
    _check_cost(machine_cost, "zot_htpasswd_machine_bcrypt_cost", MACHINE_MIN_COST)
    seen = set()
    for index, user in enumerate(users or []):
        field = "zot_htpasswd_users[%d]" % index
        if not isinstance(user, dict):
            raise HtpasswdError("%s: must be a dict {name, password, groups, machine}" % field)
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
        machine = user.get("machine", False)
        if not isinstance(machine, bool):
            raise HtpasswdError("%s.machine: must be true or false (user %r)" % (field, name))
        if machine and "password" not in user:
            continue
        _check_password(password, field, name)
        if machine and int(machine_cost) < MIN_COST and estimated_bits(password) < MACHINE_MIN_BITS:
            raise HtpasswdError(
                "%s.password: user %r is a machine identity, hashed at bcrypt cost %d "
                "(zot_htpasswd_machine_bcrypt_cost), but its secret is not a generated token of "
                "at least %d bits: leave the password out so the collection generates one, or "
                "use `openssl rand -hex 32`" % (field, name, int(machine_cost), MACHINE_MIN_BITS)
            )


def _check_password(password, field, name):
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


def generated_secret_users(users):
    """Names of the machine users whose secret the collection generates (no password given)."""
    return [user["name"] for user in users or [] if user.get("machine") and "password" not in user]


def with_generated_secrets(users, generated):
    """`users` with each generated secret ({name: secret}) filled in as the password."""
    filled = []
    for user in users or []:
        if user.get("machine") and "password" not in user:
            if user["name"] not in generated:
                raise HtpasswdError("zot_htpasswd_users: no generated secret for user %r" % user["name"])
            user = dict(user, password=generated[user["name"]])
        filled.append(user)
    return filled


def render_htpasswd(users, existing_content="", cost=MIN_COST, machine_cost=MACHINE_MIN_COST, generated=None):
    """htpasswd text for `users` ([{name, password, groups, machine}]), reusing still-valid
    hashes. `generated`: {name: secret} of the machine users given without a password."""
    if bcrypt is None and users:
        raise HtpasswdError("zot_htpasswd_users: the Python package bcrypt is required on the controller")
    check_users(users, cost, machine_cost)
    users = with_generated_secrets(users, generated or {})
    check_users(users, cost, machine_cost)  # the generated secrets too
    existing = parse_htpasswd(existing_content)
    lines = []
    for user in users:
        name, password = user["name"], user["password"]
        wanted = int(machine_cost if user.get("machine") else cost)
        hashed = existing.get(name, "")
        # A changed cost rehashes too: moving a user to machine makes its requests cheap.
        if hash_cost(hashed) != wanted or not password_matches(password, hashed):
            hashed = hash_password(password, wanted)
        lines.append("%s:%s" % (name, hashed))
    return "\n".join(lines) + "\n" if lines else ""
