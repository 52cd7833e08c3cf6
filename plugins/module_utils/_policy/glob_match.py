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

Finding a name two globs both match is glob_overlap.py's job.
"""

from __future__ import annotations

import functools

SEPARATOR = "/"
MAX_RUNE = 0x10FFFF
_RUNE_ERROR = "\ufffd"
# What the rest of a glob may be when the name has run out (besides "{..." alternatives).
ZERO_LENGTH_RESTS = frozenset(("", "*", "**", "/**", "**/", "/**/"))


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


def alternative_spans(text: str, start: int) -> tuple[list[tuple[int, int]], int]:
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
    if rest in ZERO_LENGTH_RESTS:
        return True, False
    if rest[0] == "{":
        spans, closing = alternative_spans(rest, 1)
        if closing < 0:
            return False, True
        for start, end in spans:
            matched, error = _zero_length(rest[start:end] + rest[closing + 1 :])
            if matched or error:
                return matched, error
        return False, False
    return False, not is_valid_glob(rest)


def class_step(pattern: str, index: int, char: str) -> tuple[bool | None, int]:
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
    last = MAX_RUNE
    while index < length and pattern[index] != "]":
        member = pattern[index]
        index += 1
        if last < MAX_RUNE and member == "-" and index < length and pattern[index] != "]":
            if pattern[index] == "\\":
                index += 1
            high = pattern[index] if index < length else _RUNE_ERROR
            index += 1 if index < length else 0
            if last <= code <= ord(high):
                matched = True
                break
            last = MAX_RUNE
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
                matched, after = class_step(pattern, index + 1, name[position])
                if matched is None:
                    return False, True
                if matched:
                    index = after
                    position += 1
                    continue
                index = after
            elif char == "{":
                segment_start = False
                spans, closing = alternative_spans(pattern, index + 1)
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
