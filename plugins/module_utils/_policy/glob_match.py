# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""Repository globs as zot v2.1.20 matches them: github.com/bmatcuk/doublestar/v4 v4.10.0.

zot refuses to start when `doublestar.ValidatePattern(glob)` is false, and applies a glob to
a repository when `doublestar.Match(glob, repository)` returns (true, nil); an error from
Match counts as "does not match". `glob_matches` answers exactly that, by running the same
backtracking procedure doublestar runs (written from its documentation and behaviour, and
checked pair by pair against the library itself in tests/differential/). The procedure is
not a plain regular-expression match, and these of its rules surprise:

- `*` matches a run of characters without `/`, `?` one character other than `/`; the
  matcher backtracks only to the most recent `*` and the most recent `**/`;
- `**` is "any number of segments" only at the start of a segment and followed by `/` or
  the end of the glob; a trailing `**` there matches everything that is left. Elsewhere
  (`a**`) it is a `*`;
- when the name runs out, the rest of the glob must be exactly one of ``""``, `*`, `**`,
  `/**`, `**/`, `/**/`, or start with `{` and have an alternative that is: so `ci/**` and
  `ci/**/` match `ci`, `team**/` matches `team`, but `team*/**` does not match `team` and
  `a*{,b}` does not match `a`;
- `{x,y}` tries each alternative in turn, textually: the alternative replaces the braces and
  matching goes on as if a new segment started there (`a{**}` matches `a/b/c`). Commas and
  braces inside `[...]` still split alternatives; an alternative that leaves a broken class
  behind raises an error, which ends the match as "no match";
- in a class `[...]`, `lo-hi` is a range, an escaped `\\-` is a literal `-` (`[a\\-c]` is
  {a, -, c}), `!`/`^` negates, and a class may match `/`.

For validation the module also compiles globs into tokens for an NFA that finds a repository
name two globs both match (equal-length overlaps are where zot's choice is random). The NFA
follows the same rules closely but not in every corner; every witness it reports is
confirmed with `glob_matches`, so a reported overlap is always real.
"""

from __future__ import annotations

import bisect
import functools

SEPARATOR = "/"
_MAX_RUNE = 0x10FFFF
_RUNE_ERROR = "\ufffd"
# What the rest of a glob may be when the name has run out (besides "{..." alternatives).
_ZERO_LENGTH = frozenset(("", "*", "**", "/**", "**/", "/**/"))

# Token kinds of a compiled glob.
_LITERAL = "literal"  # one exact character
_ONE = "one"  # `?`
_CLASS = "class"  # `[...]`
_STAR = "star"  # `*`: zero or more non-separator characters
_SEGMENTS = "segments"  # `**/`: zero or more whole path segments
_REST = "rest"  # trailing `**` at a segment start: anything, separators included
_MAY_END = "may_end"  # before a trailing `/**`: the name may stop here


class GlobError(ValueError):
    """A glob zot refuses at start-up, or one the NFA cannot compile."""


def is_valid_glob(pattern: str) -> bool:
    """doublestar.ValidatePattern: escapes complete, classes closed and non-empty, braces
    balanced (braces inside a class do not count)."""
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


# --------------------------------------------------------------------------- exact matching


def _closing_alternative(text: str, start: int) -> int:
    """Index of the `}` closing a `{` just before `start`, or -1. Escapes are skipped,
    classes are not (as in doublestar)."""
    depth = 1
    index = start
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 1
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return -1


def _next_comma(text: str, start: int, end: int) -> int:
    """Index of the next top-level `,` in text[start:end], or -1."""
    depth = 1
    index = start
    while index < end:
        char = text[index]
        if char == "\\":
            index += 1
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == "," and depth == 1:
            return index
        index += 1
    return -1


def _alternatives(text: str, start: int) -> tuple[list[tuple[int, int]], int]:
    """(start, end) of each alternative of the `{` at text[start - 1], and the index of its
    closing `}` (-1 when there is none)."""
    closing = _closing_alternative(text, start)
    if closing < 0:
        return [], -1
    spans = []
    while True:
        comma = _next_comma(text, start, closing)
        if comma < 0:
            spans.append((start, closing))
            return spans, closing
        spans.append((start, comma))
        start = comma + 1


def _zero_length(rest: str) -> tuple[bool, bool]:
    """(matches, error) when the name has run out and `rest` of the glob is left."""
    if rest in _ZERO_LENGTH:
        return True, False
    if rest[0] == "{":
        spans, closing = _alternatives(rest, 1)
        if closing < 0:
            return False, True
        for start, end in spans:
            matched, error = _zero_length(rest[start:end] + rest[closing + 1 :])
            if matched or error:
                return matched, error
        return False, False
    return False, not is_valid_glob(rest)


def _class_step(pattern: str, index: int, char: str) -> tuple[bool | None, int]:
    """Match `char` against the class whose `[` is at pattern[index - 1].

    Returns (matched, index after the class), (False, index) when `char` is not in it, or
    (None, 0) for a broken class (an error)."""
    length = len(pattern)
    if index >= length:
        return None, 0
    negate = pattern[index] in "!^"
    if negate:
        index += 1
    if index >= length or pattern[index] == "]":
        return None, 0
    code = ord(char)
    matched = False
    last = _MAX_RUNE
    while index < length and pattern[index] != "]":
        member = pattern[index]
        index += 1
        if last < _MAX_RUNE and member == "-" and index < length and pattern[index] != "]":
            if pattern[index] == "\\":
                index += 1
            high = pattern[index] if index < length else _RUNE_ERROR
            index += 1 if index < length else 0
            if last <= code <= ord(high):
                matched = True
                break
            last = _MAX_RUNE
            continue
        if member == "\\":
            member = pattern[index] if index < length else _RUNE_ERROR
            index += 1 if index < length else 0
        if member == char:
            matched = True
            break
        last = ord(member)
    if matched == negate:
        if index >= length:
            return None, 0
        return False, index
    # Skip to the class's closing `]` (escapes skipped).
    while index < length and pattern[index] != "]":
        if pattern[index] == "\\":
            index += 1
        index += 1
    if index >= length:
        return None, 0
    return True, index + 1


def _match(pattern, name, segments_at, segments_name, star_at, star_name, index, position):
    """doublestar's procedure from pattern[index:] and name[position:]; (matched, error)."""
    length = len(pattern)
    name_length = len(name)
    segment_start = True
    while position < name_length:
        if index < length:
            char = pattern[index]
            if char == "*":
                index += 1
                if index < length and pattern[index] == "*":
                    index += 1
                    if segment_start:
                        if index >= length:
                            return True, False
                        if pattern[index] == SEPARATOR:
                            index += 1
                            segments_at, segments_name = index, position
                            star_at = star_name = -1
                            continue
                segment_start = False
                star_at, star_name = index, position
                continue
            if char == "?":
                segment_start = False
                if name[position] != SEPARATOR:
                    index += 1
                    position += 1
                    continue
            elif char == "[":
                segment_start = False
                matched, after = _class_step(pattern, index + 1, name[position])
                if matched is None:
                    return False, True
                if matched:
                    index = after
                    position += 1
                    continue
                index = after
            elif char == "{":
                segment_start = False
                spans, closing = _alternatives(pattern, index + 1)
                if closing < 0:
                    return False, True
                head, tail = pattern[:index], pattern[closing + 1 :]
                for start, end in spans:
                    result = _match(
                        head + pattern[start:end] + tail,
                        name,
                        segments_at,
                        segments_name,
                        star_at,
                        star_name,
                        index,
                        position,
                    )
                    if result[0] or result[1]:
                        return result
                return False, False
            else:
                escaped = char == "\\"
                if escaped:
                    index += 1
                    if index >= length:
                        return False, True
                    char = pattern[index]
                if char == name[position]:
                    index += 1
                    position += 1
                    segment_start = char == SEPARATOR
                    continue
                if index > 0 and pattern[index - 1] == "\\":
                    index -= 1
        # The name's character did not match here: backtrack.
        if star_at >= 0 and name[star_name] != SEPARATOR:
            star_name += 1
            index, position = star_at, star_name
            segment_start = False
            continue
        if segments_at >= 0:
            separator = name.find(SEPARATOR, segments_name)
            if separator >= 0:
                segments_name = position = separator + 1
                index = segments_at
                segment_start = True
                continue
        if index < length and not is_valid_glob(pattern[index:]):
            return False, True
        return False, False
    return _zero_length(pattern[index:])


def doublestar_match(pattern: str, name: str) -> tuple[bool, bool]:
    """doublestar.Match(pattern, name) as (matched, error)."""
    return _match(pattern, name, -1, -1, -1, -1, 0, 0)


@functools.lru_cache(maxsize=131072)
def glob_matches(pattern: str, name: str) -> bool:
    """True when zot applies glob `pattern` to repository `name`: Match says true without an
    error. Invalid globs (which zot refuses at start) match nothing."""
    if not is_valid_glob(pattern):
        return False
    matched, error = doublestar_match(pattern, name)
    return matched and not error


# --------------------------------------------------------------------------- NFA (overlaps)

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
        spans, closing = _alternatives(text, index + 1)
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
    may_end = [text[start:] in _ZERO_LENGTH and last_point <= start for start in starts]
    return tokens, may_end


def _class_matches(spec: str, char: str) -> bool:
    matched, _after = _class_step(spec, 1, char)
    return bool(matched)


def _class_characters(spec: str) -> set[str]:
    found = set(spec[1:-1]) - {"\\", "!", "^"}
    # Range ends and their neighbours, so `*`-like witnesses can step in and out of a range.
    for char in list(found):
        for neighbour in (ord(char) - 1, ord(char) + 1):
            if 0 < neighbour <= _MAX_RUNE and not 0xD800 <= neighbour <= 0xDFFF:
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
