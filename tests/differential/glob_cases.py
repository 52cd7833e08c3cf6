# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Seeded glob/name pairs for the differential test against doublestar (glob_oracle/).

Each glob is built from random pieces together with a name it should match (literals,
separators, `*`, `**`, `?`, classes with ranges, negation and escapes, nested `{..}`
alternatives, escapes, unicode), and the name is then often mutated (a character dropped,
changed or added, cut at a separator, a segment appended) so that near misses are as common
as matches. A few globs are invalid on purpose (unclosed classes and braces, stray `}`, a
trailing backslash), and some names are long.
"""

import random

LETTERS = "abcxyz"
EXOTIC = "AZ09-._é日ß"
NAME_ALPHABET = "abcxyz-._/é日AZ09*?[]{}\\,!^"
SPECIAL = "*?[]{}\\,"


def _literal(rng):
    char = rng.choice(LETTERS) if rng.random() < 0.8 else rng.choice(EXOTIC)
    return char, char


def _escape(rng):
    char = rng.choice("*?[]{}\\,-/a日")
    return "\\" + char, char


def _star(rng):
    return "*", "".join(rng.choice(LETTERS) for _unused in range(rng.randrange(4)))


def _doublestar(rng):
    segments = [
        "".join(rng.choice(LETTERS) for _unused in range(rng.randrange(1, 3)))
        for _ in range(rng.randrange(3))
    ]
    return "**", "/".join(segments)


def _one(rng):
    char = rng.choice(LETTERS + "-é")
    return "?", char


def _class(rng):
    members = []
    chars = []
    for _unused in range(rng.randrange(1, 4)):
        kind = rng.random()
        if kind < 0.45:
            char = rng.choice(LETTERS + "-é/")
            members.append(char)
            chars.append(char)
        elif kind < 0.75:
            low, high = sorted(rng.sample("abcxyz", 2))
            if rng.random() < 0.15:
                low, high = high, low  # an empty range
            members.append(f"{low}-{high}")
            chars.extend([low, high])
        elif kind < 0.85:
            members.append("à-ÿ" if rng.random() < 0.5 else "一-龥")
            chars.append("é" if members[-1][0] == "à" else "日")
        else:
            char = rng.choice("-]\\[^!a")
            members.append("\\" + char)
            chars.append(char)
    body = "".join(members)
    if body[0] in "!^" and rng.random() < 0.5:
        body = "\\" + body
    negate = rng.random() < 0.25
    prefix = rng.choice("!^") if negate else ""
    sample = rng.choice(chars) if chars and not negate else rng.choice(LETTERS)
    return f"[{prefix}{body}]", sample


def _brace(rng, depth):
    alternatives = []
    for _unused in range(rng.randrange(1, 4)):
        if rng.random() < 0.15:
            alternatives.append(("", ""))
        else:
            alternatives.append(_sequence(rng, depth + 1, rng.randrange(1, 4)))
    pattern = "{" + ",".join(p for p, _name in alternatives) + "}"
    return pattern, rng.choice(alternatives)[1]


def _piece(rng, depth):
    roll = rng.random()
    if roll < 0.30:
        return _literal(rng)
    if roll < 0.42:
        return "/", "/"
    if roll < 0.55:
        return _star(rng)
    if roll < 0.65:
        return _doublestar(rng)
    if roll < 0.70:
        return _one(rng)
    if roll < 0.80:
        return _class(rng)
    if roll < 0.88 and depth < 3:
        return _brace(rng, depth)
    if roll < 0.93:
        return _escape(rng)
    tail = rng.choice(["/**", "**/", "/**/", "/*", "*/**"])
    return tail, ""


def _sequence(rng, depth, count):
    pieces = [_piece(rng, depth) for _unused in range(count)]
    return "".join(p for p, _name in pieces), "".join(n for _p, n in pieces)


def _break(rng, pattern):
    damage = rng.choice(["[", "{", "}", "\\", "[]", "[!]", "{a,", "a}"])
    position = rng.randrange(len(pattern) + 1)
    return pattern[:position] + damage + pattern[position:]


def _mutate(rng, name):
    roll = rng.random()
    if roll < 0.35 or not name:
        return name
    if roll < 0.5:
        position = rng.randrange(len(name))
        return name[:position] + name[position + 1 :]
    if roll < 0.62:
        position = rng.randrange(len(name))
        return name[:position] + rng.choice(NAME_ALPHABET) + name[position + 1 :]
    if roll < 0.74:
        position = rng.randrange(len(name) + 1)
        return name[:position] + rng.choice(NAME_ALPHABET) + name[position:]
    if roll < 0.84 and "/" in name:
        return name[: name.rindex("/")]
    if roll < 0.92:
        return name + "/" + rng.choice(LETTERS)
    return "".join(rng.choice(NAME_ALPHABET) for _unused in range(rng.randrange(8)))


def glob_pairs(seed: int, count: int):
    """`count` (glob, name) pairs, the same ones for the same seed."""
    rng = random.Random(seed)
    pairs = []
    while len(pairs) < count:
        pattern, name = _sequence(rng, 0, rng.randrange(1, 7))
        if rng.random() < 0.03:
            # Long globs and names.
            extra_pattern, extra_name = _sequence(rng, 0, rng.randrange(20, 60))
            pattern, name = pattern + extra_pattern, name + extra_name
        if rng.random() < 0.05:
            pattern = _break(rng, pattern)
        names = {name}
        names.update(_mutate(rng, name) for _unused in range(rng.randrange(1, 6)))
        for candidate in sorted(names):
            pairs.append((pattern, candidate))
    return pairs[:count]
