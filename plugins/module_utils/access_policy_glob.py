"""Repository globs as zot matches them (github.com/bmatcuk/doublestar/v4 `Match`).

zot picks the policy of the single longest glob that matches a repository name, so the
collection must match globs exactly like doublestar does:

- `*` matches any run of characters except `/`; `?` one character except `/`;
- `**` is "any depth" only as a whole path segment (`a/**`, `**/b`, `a/**/b`); anywhere else
  (`a**`) it behaves like `*`;
- a pattern ending in `/**` also matches its parent (`ci/**` matches `ci`);
- `[abc]`, `[a-z]`, `[!a]`/`[^a]` classes, `{x,y}` alternatives (nestable), `\\` escapes.

Globs are compiled into a small NFA, which answers both "does this glob match that repo"
and "can two globs match the same repo" (needed to report equal-length overlaps, where zot's
choice depends on Go's random map order).
"""

from __future__ import annotations

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


def glob_matches(pattern: str, name: str) -> bool:
    """True when zot's glob `pattern` matches repository `name`; invalid globs match nothing."""
    try:
        return CompiledGlob(pattern).matches(name)
    except GlobError:
        return False


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
