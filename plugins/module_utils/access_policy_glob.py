"""Repository globs as zot matches them (github.com/bmatcuk/doublestar/v4 `Match`).

zot picks the policy of the single longest glob that matches a repository name, so the
collection must match globs exactly like doublestar does:

- `*` matches any run of characters except `/`; `?` one character except `/`;
- `**` is "any depth" only as a whole path segment (`a/**`, `**/b`, `a/**/b`); anywhere else
  (`a**`) it behaves like `*`;
- a pattern ending in `/**` also matches its parent (`ci/**` matches `ci`);
- `[abc]`, `[a-z]`, `[!a]`/`[^a]` classes, `{x,y}` alternatives (nestable), `\\` escapes.

Globs are compiled into tokens. An NFA over them answers "can two globs match the same repo"
(needed to report equal-length overlaps, where zot's choice depends on Go's random map order);
"does this glob match that repo" is answered by a regular expression translated from the same
tokens once per glob, because it is asked for every glob of a policy and many repositories.
"""

from __future__ import annotations

import bisect
import functools
import re

SEPARATOR = "/"

# Token kinds of a compiled glob.
_LITERAL = "literal"  # one exact character
_ONE = "one"  # `?`
_CLASS = "class"  # `[...]`
_STAR = "star"  # `*`: zero or more non-separator characters
_SEGMENTS = "segments"  # `**/`: zero or more whole path segments
_REST = "rest"  # trailing `**` at a segment start: anything, separators included
_MAY_END = "may_end"  # before a trailing `/**`: the name may stop here


class GlobError(ValueError):
    """A glob zot refuses at start-up (doublestar.ValidatePattern fails)."""


def is_valid_glob(pattern: str) -> bool:
    """Mirror doublestar.ValidatePattern: escapes complete, classes closed, braces balanced."""
    depth = 0
    index = 0
    length = len(pattern)
    while index < length:
        char = pattern[index]
        if char == "\\":
            index += 1
            if index >= length:
                return False
        elif char == "[":
            index += 1
            if index < length and pattern[index] in "!^":
                index += 1
            if index >= length or pattern[index] == "]":
                return False
            while index < length and pattern[index] != "]":
                if pattern[index] == "\\":
                    index += 1
                index += 1
            if index >= length:
                return False
        elif char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return False
            depth -= 1
        index += 1
    return depth == 0


def _closing_brace(pattern: str, start: int) -> int:
    """Index of the `}` closing the `{` at `start` (nested braces and escapes skipped)."""
    depth = 0
    index = start
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 1
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    raise GlobError(f"unclosed '{{' in {pattern!r}")


def _split_alternatives(body: str) -> list[str]:
    """Split the inside of `{...}` on top-level commas."""
    parts, depth, current, index = [], 0, [], 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            current.append(body[index : index + 2])
            index += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            index += 1
            continue
        current.append(char)
        index += 1
    parts.append("".join(current))
    return parts


def expand_alternatives(pattern: str) -> list[str]:
    """Expand `{x,y}` into brace-free patterns, as doublestar tries each alternative in turn."""
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            # Braces inside a class are literal characters.
            index = _class_end(pattern, index) + 1
            continue
        if char == "{":
            end = _closing_brace(pattern, index)
            head, tail = pattern[:index], pattern[end + 1 :]
            expanded = []
            for alternative in _split_alternatives(pattern[index + 1 : end]):
                expanded.extend(expand_alternatives(head + alternative + tail))
            return expanded
        index += 1
    return [pattern]


def _class_end(pattern: str, start: int) -> int:
    index = start + 1
    if index < len(pattern) and pattern[index] in "!^":
        index += 1
    index += 1  # a `]` right after `[` (or `[!`) is not allowed, so skip one character
    while index < len(pattern) and pattern[index] != "]":
        if pattern[index] == "\\":
            index += 1
        index += 1
    if index >= len(pattern):
        raise GlobError(f"unclosed '[' in {pattern!r}")
    return index


def _parse_class(pattern: str, start: int) -> tuple[tuple, int]:
    """Parse `[...]` at `start`; return ((negated, singles, ranges), index after `]`)."""
    end = _class_end(pattern, start)
    index = start + 1
    negated = pattern[index] in "!^"
    if negated:
        index += 1
    chars = []
    while index < end:
        if pattern[index] == "\\":
            index += 1
        chars.append(pattern[index])
        index += 1
    singles, ranges = set(), []
    position = 0
    while position < len(chars):
        if position + 2 < len(chars) and chars[position + 1] == "-":
            ranges.append((chars[position], chars[position + 2]))
            position += 3
        else:
            singles.add(chars[position])
            position += 1
    return (negated, frozenset(singles), tuple(ranges)), end + 1


def _tokenize(pattern: str) -> list[tuple]:
    """Compile one brace-free pattern into tokens (see the token kinds above)."""
    tokens: list[tuple] = []
    index = 0
    segment_start = True
    length = len(pattern)
    while index < length:
        char = pattern[index]
        if char == "*":
            if index + 1 < length and pattern[index + 1] == "*" and segment_start:
                after = index + 2
                if after >= length:
                    # `a/**` also matches `a`: let the name end before the separator.
                    if tokens and tokens[-1] == (_LITERAL, SEPARATOR):
                        tokens.insert(len(tokens) - 1, (_MAY_END,))
                    tokens.append((_REST,))
                    index = after
                    continue
                if pattern[after] == SEPARATOR:
                    if after + 1 >= length and tokens and tokens[-1] == (_LITERAL, SEPARATOR):
                        tokens.insert(len(tokens) - 1, (_MAY_END,))
                    tokens.append((_SEGMENTS,))
                    index = after + 1
                    segment_start = True
                    continue
            # `**` not forming a whole segment is a plain `*`.
            while index < length and pattern[index] == "*":
                index += 1
            tokens.append((_STAR,))
            segment_start = False
            continue
        if char == "?":
            tokens.append((_ONE,))
            index += 1
        elif char == "[":
            spec, index = _parse_class(pattern, index)
            tokens.append((_CLASS, spec))
        else:
            if char == "\\":
                index += 1
                char = pattern[index]
            tokens.append((_LITERAL, char))
            index += 1
            segment_start = char == SEPARATOR
            continue
        segment_start = False
    return tokens


def _class_matches(spec: tuple, char: str) -> bool:
    negated, singles, ranges = spec
    hit = char in singles or any(low <= char <= high for low, high in ranges)
    return hit != negated


class CompiledGlob:
    """A glob ready for matching; states are (alternative, token index, inside-segment)."""

    def __init__(self, pattern: str):
        if not is_valid_glob(pattern):
            raise GlobError(f"invalid glob {pattern!r}")
        self.pattern = pattern
        self.alternatives = [_tokenize(p) for p in expand_alternatives(pattern)]

    def initial(self) -> frozenset:
        return self._closure({(alt, 0, False) for alt in range(len(self.alternatives))})

    def _closure(self, states: set) -> frozenset:
        pending = list(states)
        seen = set(states)
        while pending:
            alt, position, inside = pending.pop()
            tokens = self.alternatives[alt]
            if position >= len(tokens) or inside:
                continue
            kind = tokens[position][0]
            following = []
            if kind in (_STAR, _SEGMENTS, _REST):
                following.append((alt, position + 1, False))
            elif kind == _MAY_END:
                following.extend([(alt, position + 1, False), (alt, len(tokens), False)])
            for state in following:
                if state not in seen:
                    seen.add(state)
                    pending.append(state)
        return frozenset(seen)

    def step(self, states: frozenset, char: str) -> frozenset:
        moved = set()
        for alt, position, _inside in states:
            tokens = self.alternatives[alt]
            if position >= len(tokens):
                continue
            token = tokens[position]
            kind = token[0]
            if kind == _LITERAL and token[1] == char:
                moved.add((alt, position + 1, False))
            elif kind == _ONE and char != SEPARATOR:
                moved.add((alt, position + 1, False))
            elif kind == _CLASS and _class_matches(token[1], char):
                moved.add((alt, position + 1, False))
            elif kind == _STAR and char != SEPARATOR:
                moved.add((alt, position, False))
            elif kind == _SEGMENTS:
                # Inside a segment until the next separator closes it.
                moved.add((alt, position, char != SEPARATOR))
            elif kind == _REST:
                moved.add((alt, position, False))
        return self._closure(moved)

    def accepts(self, states: frozenset) -> bool:
        return any(position >= len(self.alternatives[alt]) and not inside for alt, position, inside in states)

    def matches(self, name: str) -> bool:
        states = self.initial()
        for char in name:
            states = self.step(states, char)
            if not states:
                return False
        return self.accepts(states)

    def characters(self) -> set[str]:
        """Characters the pattern names explicitly (used to build overlap witnesses)."""
        found = set()
        for tokens in self.alternatives:
            for token in tokens:
                if token[0] == _LITERAL:
                    found.add(token[1])
                elif token[0] == _CLASS:
                    _negated, singles, ranges = token[1]
                    found.update(singles)
                    for low, high in ranges:
                        found.update((low, high))
        return found


def _class_regex(spec: tuple) -> str:
    negated, singles, ranges = spec
    # A range whose ends are out of order matches nothing, as in _class_matches.
    items = [re.escape(char) for char in sorted(singles)]
    items += [f"{re.escape(low)}-{re.escape(high)}" for low, high in ranges if low <= high]
    if not items:
        return "(?s:.)" if negated else "(?!)"
    return "[" + ("^" if negated else "") + "".join(items) + "]"


def _tokens_regex(tokens: list[tuple]) -> str:
    parts = []
    for position, token in enumerate(tokens):
        kind = token[0]
        if kind == _LITERAL:
            parts.append(re.escape(token[1]))
        elif kind == _ONE:
            parts.append("[^/]")
        elif kind == _CLASS:
            parts.append(_class_regex(token[1]))
        elif kind == _STAR:
            parts.append("[^/]*")
        elif kind == _SEGMENTS:
            parts.append("(?:[^/]*/)*")
        elif kind == _REST:
            parts.append("(?s:.*)")
        else:  # _MAY_END: the rest of the pattern is optional
            parts.append("(?:" + _tokens_regex(tokens[position + 1 :]) + ")?")
            break
    return "".join(parts)


@functools.lru_cache(maxsize=65536)
def _glob_regex(pattern: str) -> re.Pattern | None:
    """The glob as a regular expression (None for an invalid glob), built once per pattern."""
    if not is_valid_glob(pattern):
        return None
    alternatives = [_tokens_regex(_tokenize(p)) for p in expand_alternatives(pattern)]
    return re.compile("|".join(f"(?:{regex})" for regex in alternatives))


def glob_matches(pattern: str, name: str) -> bool:
    """True when zot's glob `pattern` matches repository `name`; invalid globs match nothing."""
    regex = _glob_regex(pattern)
    return regex is not None and regex.fullmatch(name) is not None


@functools.lru_cache(maxsize=65536)
def literal_affixes(pattern: str) -> tuple[tuple[str, str], ...]:
    """(prefix, suffix) of plain characters of each `{...}` alternative of a valid glob.

    Every name an alternative matches starts with its prefix and ends with its suffix, so two
    globs whose alternatives disagree there can never match the same name, and a name is only
    matched by globs one of whose prefixes it starts with.
    """
    affixes = []
    for alternative in expand_alternatives(pattern):
        tokens = _tokenize(alternative)
        prefix = []
        for token in tokens:
            if token[0] != _LITERAL:
                break
            prefix.append(token[1])
        suffix = []
        # A pattern with _MAY_END ends in `**`, so its suffix is empty anyway.
        for token in reversed(tokens):
            if token[0] != _LITERAL:
                break
            suffix.append(token[1])
        affixes.append(("".join(prefix), "".join(reversed(suffix))))
    return tuple(affixes)


def overlap_example(first: str, second: str) -> str | None:
    """A repository name both globs match, or None when no name can match both.

    Breadth-first search over pairs of NFA states; the alphabet is every character either
    glob names plus the separator and one character neither names (what `*`/`?` match), so
    the search is complete for these globs. The shortest witness is returned.
    """
    left, right = CompiledGlob(first), CompiledGlob(second)
    named = left.characters() | right.characters() | {SEPARATOR}
    filler = next(c for c in "xqz0123456789abcdefghijklmnoprstuvwy" if c not in named)
    alphabet = sorted(named | {filler})
    start = (left.initial(), right.initial())
    queue = [(start, "")]
    seen = {start}
    while queue:
        next_queue = []
        for (left_states, right_states), name in queue:
            if left.accepts(left_states) and right.accepts(right_states) and name:
                return name
            for char in alphabet:
                pair = (left.step(left_states, char), right.step(right_states, char))
                if pair[0] and pair[1] and pair not in seen:
                    seen.add(pair)
                    next_queue.append((pair, name + char))
        queue = next_queue
    return None


def example_name(pattern: str) -> str:
    """A short repository name the glob matches (for the who-can-do-what table)."""
    tokens = _tokenize(expand_alternatives(pattern)[0])
    parts = []
    for token in tokens:
        kind = token[0]
        if kind == _LITERAL:
            parts.append(token[1])
        elif kind in (_ONE, _STAR):
            parts.append("x")
        elif kind == _CLASS:
            negated, singles, ranges = token[1]
            candidates = sorted(singles) + [low for low, _high in ranges]
            parts.append("x" if negated or not candidates else candidates[0])
        elif kind == _SEGMENTS:
            parts.append("x/")
        elif kind == _REST:
            parts.append("x")
    name = "".join(parts)
    return name if glob_matches(pattern, name) else pattern


def _may_overlap(first: tuple, second: tuple) -> bool:
    """False when the literal affixes of two globs prove no name matches both."""
    return any(
        (p1.startswith(p2) or p2.startswith(p1)) and (s1.endswith(s2) or s2.endswith(s1))
        for p1, s1 in first
        for p2, s2 in second
    )


class _AffixIndex:
    """Globs by one literal affix of each alternative (suffixes are indexed reversed), to find
    the globs whose affix is compatible with a given one (one is a prefix of the other)."""

    def __init__(self, keyed: list[tuple[str, int]]):
        self.by_key: dict[str, list[int]] = {}
        for key, number in keyed:
            self.by_key.setdefault(key, []).append(number)
        self.sorted_keys = sorted(self.by_key)
        self.counts = [0]
        for key in self.sorted_keys:
            self.counts.append(self.counts[-1] + len(self.by_key[key]))

    def _shorter_keys(self, text: str) -> list[str]:
        # Keys that are a proper prefix of `text`.
        return [text[:end] for end in range(len(text)) if text[:end] in self.by_key]

    def _longer_range(self, text: str) -> tuple[int, int]:
        # Keys starting with `text` (itself included) sort from `text` up to, excluding, the
        # smallest string greater than all of them: `text` with its last character raised.
        start = bisect.bisect_left(self.sorted_keys, text)
        stem = text.rstrip(chr(0x10FFFF))
        if not stem:
            return start, len(self.sorted_keys)
        bound = stem[:-1] + chr(ord(stem[-1]) + 1)
        return start, bisect.bisect_left(self.sorted_keys, bound)

    def count(self, text: str) -> int:
        start, end = self._longer_range(text)
        shorter = sum(len(self.by_key[key]) for key in self._shorter_keys(text))
        return shorter + self.counts[end] - self.counts[start]

    def compatible(self, text: str) -> set[int]:
        start, end = self._longer_range(text)
        found = set()
        for key in self._shorter_keys(text) + self.sorted_keys[start:end]:
            found.update(self.by_key[key])
        return found


def overlapping_pairs(patterns: list[str]) -> list[tuple[str, str, str]]:
    """(first, second, witness) for every pair of valid globs, in list order, that some
    repository name matches both (witness: such a name, from `overlap_example`).

    Same answer as calling `overlap_example` on every pair, but a pair is searched only when
    the globs' literal prefixes and suffixes are compatible, and those candidates are found
    through indexes, so many globs with distinct literal parts cost little.
    """
    affixes = [literal_affixes(pattern) for pattern in patterns]
    prefixes = _AffixIndex([(p, n) for n, alts in enumerate(affixes) for p, _s in alts])
    suffixes = _AffixIndex([(s[::-1], n) for n, alts in enumerate(affixes) for _p, s in alts])
    found = []
    for number, alternatives in enumerate(affixes):
        candidates = set()
        for prefix, suffix in alternatives:
            # Either index yields a superset of the partners; list the smaller one.
            if prefixes.count(prefix) <= suffixes.count(suffix[::-1]):
                candidates |= prefixes.compatible(prefix)
            else:
                candidates |= suffixes.compatible(suffix[::-1])
        for other in sorted(c for c in candidates if c > number):
            if not _may_overlap(alternatives, affixes[other]):
                continue
            witness = overlap_example(patterns[number], patterns[other])
            if witness:
                found.append((patterns[number], patterns[other], witness))
    return found
