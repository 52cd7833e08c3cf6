# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""One identity name, one identity source.

zot v2.1.20 keys every privilege by the bare identity name, whatever source produced it
(pkg/api/authn.go, authz.go): a basic-auth login is tried against htpasswd, then LDAP, then
API keys; htpasswd and LDAP users both get `accessControl.groups` by name; an OpenID login's
name is the `claimMapping.username` claim (`email` by default, and `email` again when the
configured claim is empty); and an API key carries the groups zot last stored for its
owner's name, whichever source logged that name in. A local user's name is therefore a
privilege for anyone another source lets log in under that name. The role keeps the names
apart: LDAP is never asked about a local name, and an OpenID claim that could produce one
is refused.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# zot's default and fallback OpenID username claim (getOpenIDClaimMapping, extractOpenIDIdentity).
OIDC_DEFAULT_USERNAME_CLAIM = "email"

# RFC 4515 escapes for a value inside an LDAP filter; the backslash first.
_LDAP_FILTER_ESCAPES = (("\\", r"\5c"), ("*", r"\2a"), ("(", r"\28"), (")", r"\29"), ("\x00", r"\00"))


class IdentityNameError(ValueError):
    """A local user's name could also come from another identity source; the message names it."""


def _ldap_escape(value):
    for char, escaped in _LDAP_FILTER_ESCAPES:
        value = value.replace(char, escaped)
    return value


def ldap_user_filter(ldap, local_names):
    """zot's `userFilter` for `zot_ldap`: the directory's own `user_filter` (if any) and no
    entry whose user attribute is a local user's name, so a directory person named like a
    local user cannot log in as that name (zot's LDAP step then finds no entry: 401).

    zot v2.1.20 searches `(&((<userAttribute>=<name>))(<userFilter>))` (pkg/api/ldap.go).
    """
    own = (ldap.get("user_filter") or "").strip()
    attribute = ldap.get("user_attribute")
    # Without a user attribute zot's search matches nobody, so no name can collide.
    if not (local_names and attribute):
        return own or None
    parts = [own if own.startswith("(") else "(%s)" % own] if own else []
    parts += ["(!(%s=%s))" % (attribute, _ldap_escape(name)) for name in sorted(set(local_names))]
    return "&" + "".join(parts)


def check_oidc_names(local_names, claim_username):
    """Refuse a local user name an OpenID login could also produce.

    With the `email` claim (zot's default, and its fallback when another claim is empty) an
    OpenID name is an e-mail address, so a local name without `@` never equals one. Any other
    claim (`preferred_username`, `sub`, `name`, ...) can hold any name the IdP issues, which
    the role cannot know.
    """
    claim = claim_username or OIDC_DEFAULT_USERNAME_CLAIM
    for index, name in enumerate(local_names):
        if "@" in name:
            raise IdentityNameError(
                "zot_htpasswd_users[%d].name: %s could also be an OpenID user's e-mail address (zot's "
                "username claim is email, or falls back to it); local user names must not contain @"
                % (index, name)
            )
        if claim != OIDC_DEFAULT_USERNAME_CLAIM:
            raise IdentityNameError(
                "zot_htpasswd_users[%d].name: %s could also be an OpenID user's name, because "
                "zot_oidc_claim_username is %s, which the identity provider may set to any name; "
                "keep zot's default email claim next to local users (docs/security-model.md)"
                % (index, name, claim)
            )
