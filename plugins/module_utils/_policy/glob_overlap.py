# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""A repository name two globs both match, for the policy's validation (equal-length
overlaps are where zot's choice is random), and example names a glob governs.

Globs compile into tokens for an NFA that follows zot's matching rules (glob_match.py)
closely but not in every corner; every witness it reports is confirmed with
`glob_matches`, so a reported overlap is always real.
"""

from __future__ import annotations

import bisect
import functools

from ansible_collections.zotops.registry.plugins.module_utils._policy.glob_match import (
    MAX_RUNE,
    SEPARATOR,
    ZERO_LENGTH_RESTS,
    GlobError,
    alternative_spans,
    class_step,
    glob_matches,
    is_valid_glob,
)

# Token kinds of a compiled glob.
_LITERAL = "literal"  # one exact character
_ONE = "one"  # `?`
_CLASS = "class"  # `[...]`
_STAR = "star"  # `*`: zero or more non-separator characters
_SEGMENTS = "segments"  # `**/`: zero or more whole path segments
_REST = "rest"  # trailing `**` at a segment start: anything, separators included

# Expanding nested alternatives multiplies; past this many the NFA gives up on a glob.
_MAX_ALTERNATIVES = 1024


def _skip_class(text: str, index: int) -> int:
    """Index after the class whose `[` is at text[index]; GlobError when it is broken."""
    index += 1
    if index < len(text) and text[index] in "!^":
        index += 1
    if index >= len(text) or text[index] == "]":
        raise GlobError(f"broken class in {text!r}")
    while index < len(text) and text[index] != "]":
        if text[index] == "\\":
            index += 1
        index += 1
    if index >= len(text):
        raise GlobError(f"unclosed '[' in {text!r}")
    return index + 1


def expand_alternatives(pattern: str) -> list[tuple[str, frozenset[int]]]:
    """Every brace-free text doublestar may try for `pattern`, with the indexes where an
    alternative was put in (matching restarts a segment there). Alternatives are split as
    doublestar splits them (commas inside classes count). GlobError when a text has a broken
    class or there are more than _MAX_ALTERNATIVES."""
    done = []
    pending = [(pattern, 0, frozenset())]
    while pending:
        text, index, points = pending.pop()
        while index < len(text):
            char = text[index]
            if char == "\\":
                index += 2
            elif char == "[":
                index = _skip_class(text, index)
            elif char == "{":
                break
            else:
                index += 1
        if index >= len(text):
            done.append((text, points))
            if len(done) > _MAX_ALTERNATIVES:
                raise GlobError(f"too many alternatives in {pattern!r}")
            continue
        spans, closing = alternative_spans(text, index + 1)
        if closing < 0:
            raise GlobError(f"unclosed '{{' in {pattern!r}")
        for start, end in reversed(spans):
            expanded = text[:index] + text[start:end] + text[closing + 1 :]
            pending.append((expanded, index, points | {index}))
    return done


def _tokenize(text: str, points: frozenset[int]) -> tuple[list[tuple], list[bool]]:
    """Tokens of one expanded text, and for each token position (and the end) whether the
    name may run out there (doublestar's rule on the rest of the glob)."""
    tokens: list[tuple] = []
    starts: list[int] = []
    index = 0
    segment_start = True
    length = len(text)
    last_point = max(points, default=-1)
    while index < length:
        if index in points:
            segment_start = True
        starts.append(index)
        char = text[index]
        if char == "*":
            double = index + 1 < length and text[index + 1] == "*" and index + 1 not in points
            after = index + 2
            if double and segment_start:
                if after >= length and last_point < after:
                    tokens.append((_REST,))
                    index = after
                    continue
                if after < length and text[after] == SEPARATOR and after not in points:
                    tokens.append((_SEGMENTS,))
                    index = after + 1
                    segment_start = True
                    continue
            tokens.append((_STAR,))
            index = after if double else index + 1
            segment_start = False
            continue
        if char == "?":
            tokens.append((_ONE,))
            index += 1
        elif char == "[":
            end = _skip_class(text, index)
            tokens.append((_CLASS, text[index:end]))
            index = end
        else:
            if char == "\\":
                index += 1
                char = text[index]
            tokens.append((_LITERAL, char))
            index += 1
            segment_start = char == SEPARATOR
            continue
        segment_start = False
    starts.append(length)
    may_end = [text[start:] in ZERO_LENGTH_RESTS and last_point <= start for start in starts]
    return tokens, may_end


def _class_matches(spec: str, char: str) -> bool:
    matched, _after = class_step(spec, 1, char)
    return bool(matched)


def _class_characters(spec: str) -> set[str]:
    found = set(spec[1:-1]) - {"\\", "!", "^"}
    # Range ends and their neighbours, so `*`-like witnesses can step in and out of a range.
    for char in list(found):
        for neighbour in (ord(char) - 1, ord(char) + 1):
            if 0 < neighbour <= MAX_RUNE and not 0xD800 <= neighbour <= 0xDFFF:
                found.add(chr(neighbour))
    return found


class CompiledGlob:
    """A glob as an NFA for overlap search; states are (alternative, token index, inside a
    segment). Close to doublestar's matching, not exact: confirm results with glob_matches."""

    def __init__(self, pattern: str):
        if not is_valid_glob(pattern):
            raise GlobError(f"invalid glob {pattern!r}")
        self.pattern = pattern
        compiled = [_tokenize(text, points) for text, points in expand_alternatives(pattern)]
        self.alternatives = [tokens for tokens, _may_end in compiled]
        self.may_end = [may_end for _tokens, may_end in compiled]

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
            if tokens[position][0] in (_STAR, _SEGMENTS):
                state = (alt, position + 1, False)
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
        for alt, position, inside in states:
            if inside:
                continue
            tokens = self.alternatives[alt]
            if position < len(tokens) and tokens[position][0] == _REST:
                return True
            if self.may_end[alt][position]:
                return True
        return False

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
                    found.update(_class_characters(token[1]))
        return found


@functools.lru_cache(maxsize=65536)
def literal_affixes(pattern: str) -> tuple[tuple[str, str], ...]:
    """(prefix, suffix) of plain characters of each alternative of a valid glob.

    Every name the glob matches starts with one of the prefixes and ends with the suffix of
    the same alternative, so two globs whose affixes disagree never match the same name, and
    a name is only matched by globs one of whose prefixes it starts with. When the glob is
    too intricate to expand, its only affix is ("", "") (it may match anything).
    """
    try:
        expanded = expand_alternatives(pattern)
        affixes = []
        for text, points in expanded:
            tokens, may_end = _tokenize(text, points)
            prefix = []
            for position, token in enumerate(tokens):
                # The name may also stop where the rest may be left over (`ci/**` matches `ci`).
                if token[0] != _LITERAL or may_end[position]:
                    break
                prefix.append(token[1])
            suffix = []
            # The name may stop before a trailing literal only where the rest may be left
            # over (`x**/` matches `x`): then no suffix is certain.
            if not any(may_end[:-1]):
                for token in reversed(tokens):
                    if token[0] != _LITERAL:
                        break
                    suffix.append(token[1])
            affixes.append(("".join(prefix), "".join(reversed(suffix))))
        return tuple(affixes)
    except GlobError:
        return (("", ""),)


def overlap_example(first: str, second: str) -> str | None:
    """A repository name both globs match, or None when the search finds none.

    Breadth-first search over pairs of NFA states; the alphabet is every character either
    glob names plus the separator and one character neither names (what `*`/`?` match).
    Every candidate is confirmed with glob_matches; the shortest confirmed one is returned.
    """
    try:
        left, right = CompiledGlob(first), CompiledGlob(second)
    except GlobError:
        return None
    named = left.characters() | right.characters() | {SEPARATOR}
    filler = next(c for c in "xqz0123456789abcdefghijklmnoprstuvwy" if c not in named)
    alphabet = sorted(named | {filler})
    start = (left.initial(), right.initial())
    queue = [(start, "")]
    seen = {start}
    while queue:
        next_queue = []
        for (left_states, right_states), name in queue:
            if (
                name
                and left.accepts(left_states)
                and right.accepts(right_states)
                and glob_matches(first, name)
                and glob_matches(second, name)
            ):
                return name
            for char in alphabet:
                pair = (left.step(left_states, char), right.step(right_states, char))
                if pair[0] and pair[1] and pair not in seen:
                    seen.add(pair)
                    next_queue.append((pair, name + char))
        queue = next_queue
    return None


def example_name(pattern: str) -> str:
    """A short repository name the glob matches (for the who-can-do-what table); the glob
    itself when none is found."""
    try:
        compiled = CompiledGlob(pattern)
    except GlobError:
        return pattern
    for tokens in compiled.alternatives:
        parts = []
        for token in tokens:
            kind = token[0]
            if kind == _LITERAL:
                parts.append(token[1])
            elif kind in (_ONE, _STAR, _REST):
                parts.append("x")
            elif kind == _CLASS:
                candidates = sorted(
                    c for c in _class_characters(token[1]) | {"x"} if _class_matches(token[1], c)
                )
                parts.append(candidates[0] if candidates else "x")
            elif kind == _SEGMENTS:
                parts.append("x/")
        name = "".join(parts)
        if glob_matches(pattern, name):
            return name
    return pattern


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
