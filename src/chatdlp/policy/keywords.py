"""Literals a pattern's every match must contain, for the keyword prefilter.

From the parsed pattern: in each sequence the literal runs and the required parts (groups,
repeats of at least one, alternations whose every branch requires something) are
candidates; the best one (longest shortest alternative) is kept. Keywords are compared
with the folded text (``detect.prefilter.fold``: lowercased, ``ſ`` read as ``s``, ``İ`` as
``i``), so only ASCII characters are used: every character IGNORECASE lets an ASCII letter
match folds to that letter (``K`` KELVIN SIGN lowercases to ``k``).
"""

from __future__ import annotations

import re
from typing import Any

from chatdlp.policy.charsets import set_ranges, sre_constants

_C = sre_constants
MIN_KEYWORD = 3  # shorter literals occur in nearly every text: no gain, only cost
MAX_ALTERNATIVES = 64

Keywords = frozenset[str]


def derive_keywords(parsed: Any) -> tuple[str, ...]:
    """Sorted lowercase literals, one of which is in every match; () when none is found."""
    found = _sequence(list(parsed), bool(parsed.state.flags & re.IGNORECASE))
    if not found or not _useful(found):
        return ()
    return tuple(sorted(found))


def _useful(candidate: Keywords) -> bool:
    return len(candidate) <= MAX_ALTERNATIVES and min(len(k) for k in candidate) >= MIN_KEYWORD


def _rank(candidate: Keywords) -> tuple[int, int]:
    return (min(len(k) for k in candidate), -len(candidate))


def _sequence(items: list[Any], ignorecase: bool) -> Keywords | None:
    candidates: list[Keywords] = []
    run: set[str] = {""}  # the literal strings that can stand at this point, contiguous
    for item in items:
        extended = _extend(run, item)
        if extended is not None:
            run, whole = extended
            if whole:
                continue
            candidates.append(frozenset(run))  # the run ends inside this item
            run = {""}
            continue
        if run != {""}:
            candidates.append(frozenset(run))
        run = {""}
        required = _required(item, ignorecase)
        if required:
            candidates.append(required)
    if run != {""}:
        candidates.append(frozenset(run))
    usable = [c for c in candidates if len(c) <= MAX_ALTERNATIVES and "" not in c]
    return max(usable, key=_rank) if usable else None


def _extend(run: set[str], item: Any) -> tuple[set[str], bool] | None:
    """The run continued by ``item`` (a character, a small set of them, a group or an
    alternation of literal beginnings), and whether ``item`` was taken whole; None when
    it cannot be."""
    chars = _chars(item)
    if chars is not None:
        grown = {r + c for r in run for c in chars}
        return (grown, True) if len(grown) <= MAX_ALTERNATIVES else None
    alternatives: list[Any]
    if item[0] == _C.BRANCH:
        alternatives = list(item[1][1])
    elif item[0] == _C.SUBPATTERN:
        alternatives = [item[1][-1]]
    else:
        return None
    grown, whole = set(), True
    for alternative in alternatives:
        begun = _begin(list(alternative))
        if begun is None:
            return None
        beginnings, taken = begun
        whole = whole and taken
        grown |= {r + b for r in run for b in beginnings}
        if len(grown) > MAX_ALTERNATIVES:
            return None
    return grown, whole


def _begin(items: list[Any]) -> tuple[set[str], bool] | None:
    """The literal strings a sequence starts with, and whether that is all of it."""
    run: set[str] = {""}
    for item in items:
        extended = _extend(run, item)
        if extended is None:
            return (run, False) if run != {""} else None
        run, whole = extended
        if not whole:
            return run, False
    return run, True


def _chars(item: Any) -> set[str] | None:
    """The lowercase ASCII characters one item matches (a few at most); None otherwise."""
    op, value = item
    if op == _C.LITERAL:
        codes = {value}
    elif op == _C.IN:
        try:
            ranges, negate = set_ranges(value)
        except ValueError:
            return None
        if negate or sum(hi - lo + 1 for lo, hi in ranges) > 12:
            return None
        codes = {code for lo, hi in ranges for code in range(lo, hi + 1)}
    else:
        return None
    if not all(code < 128 for code in codes):
        return None
    lowered = {chr(code).lower() for code in codes}
    return lowered if len(lowered) <= 6 else None


def _required(item: Any, ignorecase: bool) -> Keywords | None:
    op, value = item
    if op == _C.SUBPATTERN:
        add, remove = value[1], value[2]
        scoped = (ignorecase or bool(add & re.IGNORECASE)) and not remove & re.IGNORECASE
        return _sequence(list(value[-1]), scoped)
    if op in (_C.MAX_REPEAT, _C.MIN_REPEAT, getattr(_C, "POSSESSIVE_REPEAT", None)) and value[0] >= 1:
        return _sequence(list(value[2]), ignorecase)
    if op == getattr(_C, "ATOMIC_GROUP", None):
        return _sequence(list(value), ignorecase)
    if op == _C.BRANCH:
        union: set[str] = set()
        for alternative in value[1]:
            found = _sequence(list(alternative), ignorecase)
            if not found:
                return None
            union |= found
        return frozenset(union)
    return None
