"""Finding regular expressions that can backtrack catastrophically.

Only patterns that may run on the backtracking engine (``regex_plan``: RE2 cannot express
them, or they use ``\\b`` and meet a text with non-ASCII letters) are at risk; on RE2 every
pattern runs in linear time. The shapes refused, each a way for one text to be matched in
exponentially (or polynomially) many ways:

* a repeat of a body that itself repeats with nothing disjoint required between
  iterations: ``(a+)+``, ``(\\w+\\s?)*``, ``(x+x+)+y``, ``(a?a?)+``, ``(a+){1,100}``;
* a repeat of alternatives that can start with the same character: ``(a|a)*``,
  ``(a|aa)+``, ``(\\w|\\d)+``;
* unbounded repeats of overlapping characters in a row: two side by side (``\\d+\\d+``),
  three with only optional items between (``\\d+\\d+\\d+$``, ``\\w+\\s*\\w*\\s*\\w+``);
* a backreference (``\\1``), which RE2 cannot run and which can be exponential.

A body with a required separator, such as ``([a-z]+\\.)+``, is safe. Every backtracking
run still has a timeout and budgets (``detect.matching``), which catch what this check
cannot.
"""

from __future__ import annotations

import re
from typing import Any

from chatdlp.policy.charsets import Ranges, item_ranges, overlap, sre_constants
from chatdlp.policy.regex_plan import parse

_C = sre_constants
_REPEATS = tuple(
    op for op in (_C.MAX_REPEAT, _C.MIN_REPEAT, getattr(_C, "POSSESSIVE_REPEAT", None)) if op is not None
)
OUTER_LIMIT = 10  # a repeat allowed more times than this multiplies the ways to match


def catastrophic(pattern: str, flags: int = re.MULTILINE) -> str:
    """Why ``pattern`` can backtrack catastrophically ("" when no known shape is found);
    ValueError when only the regex module can read it (nothing can be checked)."""
    parse(pattern, flags)  # ValueError when the parser cannot read the pattern as written
    parsed = parse(_unoptimized(pattern), flags)
    return _Checker(bool(parsed.state.flags & re.IGNORECASE)).sequence(list(parsed))


def nested_quantifier(pattern: str) -> bool:
    """True when ``pattern`` has a catastrophic shape (kept for callers of the first check)."""
    try:
        return bool(catastrophic(pattern))
    except ValueError:
        return False


def _variable(item: Any) -> bool:
    """A repeat that can match a varying number of times (unbounded or over the limit)."""
    if item[0] not in _REPEATS:
        return False
    low, high = item[1][0], item[1][1]
    return bool(high == _C.MAXREPEAT or high > low)


def _many(item: Any) -> bool:
    high = item[1][1]
    return bool(high == _C.MAXREPEAT or high > OUTER_LIMIT)


def _optional(item: Any) -> bool:
    return item[0] in _REPEATS and item[1][0] == 0


def _items(body: Any) -> list[Any]:
    items = list(body)
    while len(items) == 1 and items[0][0] == _C.SUBPATTERN:
        items = list(items[0][1][-1])
    return items


class _Checker:
    def __init__(self, ignorecase: bool):
        self.ignorecase = ignorecase

    def chars(self, item: Any) -> Ranges | None:
        """Characters every match of ``item`` is made of, when it is a repeat of one
        character set (or the set itself)."""
        if item[0] in _REPEATS:
            body = _items(item[1][2])
            return self.chars(body[0]) if len(body) == 1 else None
        if item[0] == _C.SUBPATTERN:
            body = _items([item])
            return self.chars(body[0]) if len(body) == 1 else None
        return item_ranges(item, self.ignorecase)

    def first(self, items: list[Any], backwards: bool = False) -> Ranges | None:
        """Characters a match of the sequence can start (or, ``backwards`` over the reversed
        items, end) with; None: unknown, assume any."""
        found: list[tuple[int, int]] = []
        for item in items:
            op, value = item
            if op == _C.AT or _marker(item) or op in (_C.ASSERT, _C.ASSERT_NOT):
                continue
            if op in _REPEATS:
                ranges = self._inner(list(value[2]), backwards)
            elif op == _C.SUBPATTERN:
                ranges = self._inner(list(value[-1]), backwards)
            elif op == _C.BRANCH:
                ranges = ()
                for alternative in value[1]:
                    part = self._inner(list(alternative), backwards)
                    if part is None:
                        return None
                    ranges = tuple(sorted((*ranges, *part)))
            else:
                ranges = item_ranges(item, self.ignorecase)
            if ranges is None:
                return None
            found.extend(ranges)
            if not (_optional(item) or (op == _C.SUBPATTERN and not list(value[-1]))):
                return tuple(sorted(found))
        return None  # everything is optional: a match can start anywhere after it

    def _inner(self, items: list[Any], backwards: bool) -> Ranges | None:
        return self.first(items[::-1] if backwards else items, backwards)

    def sequence(self, items: list[Any]) -> str:
        for item in items:
            reason = self.item(item)
            if reason:
                return reason
        return self.adjacent(items)

    def adjacent(self, items: list[Any], variable_only: bool = False) -> str:
        """Unbounded repeats of overlapping characters in a row: two side by side, or three
        with only optional items between (a text can be split between them in n^2 or n^3 ways)."""
        chain: list[Ranges] = []
        touching = False  # the last item was an unbounded repeat
        for item in items:
            if item[0] == _C.AT or _marker(item):
                continue
            counted = _variable(item) if variable_only else (
                item[0] in _REPEATS and item[1][1] == _C.MAXREPEAT)
            ranges = self.chars(item) if counted else None
            if ranges is not None:
                if chain and overlap(chain[-1], ranges):
                    chain.append(ranges)
                    if touching or len(chain) >= 3 or variable_only:
                        return ("unbounded repeats of overlapping characters in a row (like \\d+\\d+ "
                                "or \\d+\\d*\\d+)")
                elif _optional(item) and chain:
                    touching = False  # an optional repeat of other characters: \w+\s*\w+
                    continue
                else:
                    chain = [ranges]
                touching = True
                continue
            touching = False
            if not _optional(item):
                chain = []
        return ""

    def item(self, item: Any) -> str:
        op, value = item
        if op in (_C.GROUPREF, getattr(_C, "GROUPREF_EXISTS", None)):
            return "a backreference (RE2 cannot run it, and it can take exponential time)"
        if op in _REPEATS:
            body = list(value[2])
            if _many(item):
                reason = self.repeated_body(body)
                if reason:
                    return reason
            return self.sequence(body)
        if op == _C.SUBPATTERN:
            add, remove = value[1], value[2]
            scoped = (self.ignorecase or bool(add & re.IGNORECASE)) and not remove & re.IGNORECASE
            checker = self if scoped == self.ignorecase else _Checker(scoped)
            return checker.sequence(list(value[-1]))
        if op == getattr(_C, "ATOMIC_GROUP", None):
            return self.sequence(list(value))
        if op == _C.BRANCH:
            for alternative in value[1]:
                reason = self.sequence(list(alternative))
                if reason:
                    return reason
        if op in (_C.ASSERT, _C.ASSERT_NOT):
            return self.sequence(list(value[1]))
        return ""

    def repeated_body(self, body: list[Any]) -> str:
        items = [i for i in _items(body) if not _marker(i) and i[0] != _C.AT]
        if len(items) == 1 and items[0][0] == _C.BRANCH:
            return self.overlapping_branches(items[0][1][1])
        variable = [i for i in items if _variable(i)]
        if not variable:
            return ""
        required = [i for i in items if not _optional(i)]
        if len(required) <= 1 and all(i in variable for i in required):
            return ("a repeated group whose body is one repeat with nothing else required "
                    "(like (a+)+, (a?a?)+, (a+){1,100} or (\\w+\\s?)*)")
        if self.adjacent(items, variable_only=True):
            return "a repeated group with overlapping repeats side by side inside (like (x+x+)+y)"
        first, last = self.first(items), self.first(items[::-1], backwards=True)
        if first is None or last is None or overlap(first, last):
            return ("a repeated group whose end can be the start of the next repetition, around "
                    "a repeat (like (a+a)+ or (\\d+,?)+)")
        return ""

    def overlapping_branches(self, alternatives: list[Any]) -> str:
        starts = [self.first(list(a)) for a in alternatives]
        for index, first in enumerate(starts):
            for other in starts[index + 1:]:
                if first is None or other is None or overlap(first, other):
                    return ("a repeated alternation whose alternatives can start with the same "
                            "character (like (a|aa)+ or (\\w|\\d)+)")
        return ""


def _marker(item: Any) -> bool:
    """The empty lookahead :func:`_unoptimized` puts after each ``|``."""
    return bool(item[0] == _C.ASSERT and item[1][0] == 1 and not list(item[1][1]))


def _unoptimized(pattern: str) -> str:
    """``pattern`` with an empty lookahead after each ``|``, so the parser keeps alternations as
    written (it turns ``a|a`` into ``[a]`` and ``a|aa`` into ``a(?:|a)``; the regex module,
    which runs the pattern, does not)."""
    out = []
    in_class = escaped = False
    for index, char in enumerate(pattern):
        out.append(char)
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]" or pattern[index - 1] == "["
        elif char == "[":
            in_class = True
        elif char == "|":
            out.append("(?=)")
    return "".join(out)
