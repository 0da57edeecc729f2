"""Character sets of parsed patterns as code point ranges, exactly as the ``regex`` module
(the backtracking engine) defines them: ``\\w``, ``\\d``, ``\\s`` and their complements are
read off the ``regex`` module itself, so a translation to RE2 keeps their Unicode meaning.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import regex

try:  # Python 3.11+
    import re._constants as sre_constants
    import re._parser as sre_parse
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants  # type: ignore[no-redef,unused-ignore]
    import sre_parse  # type: ignore[no-redef,unused-ignore]

__all__ = ["Ranges", "category_ranges", "complement", "item_ranges", "overlap", "sre_constants", "sre_parse"]

Ranges = tuple[tuple[int, int], ...]
MAX_CODE_POINT = 0x10FFFF
SURROGATES = (0xD800, 0xDFFF)

_CATEGORY_REGEX = {
    "CATEGORY_DIGIT": r"\d+", "CATEGORY_NOT_DIGIT": r"\D+",
    "CATEGORY_WORD": r"\w+", "CATEGORY_NOT_WORD": r"\W+",
    "CATEGORY_SPACE": r"\s+", "CATEGORY_NOT_SPACE": r"\S+",
}


@lru_cache(maxsize=1)
def _every_character() -> str:
    below = "".join(map(chr, range(SURROGATES[0])))
    return below + "".join(map(chr, range(SURROGATES[1] + 1, MAX_CODE_POINT + 1)))


@lru_cache(maxsize=16)
def category_ranges(name: str, ascii_only: bool = False) -> Ranges:
    """The code points ``\\w`` (``CATEGORY_WORD``) and friends match in the regex module."""
    flags = regex.ASCII if ascii_only else 0
    text = _every_character()
    found = []
    for match in regex.finditer(_CATEGORY_REGEX[name], text, flags=flags | regex.VERSION0):
        found.append((ord(text[match.start()]), ord(text[match.end() - 1])))
    return _merge(found)


def _merge(ranges: list[tuple[int, int]]) -> Ranges:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return tuple(merged)


def complement(ranges: Ranges) -> Ranges:
    out = []
    next_low = 0
    for low, high in ranges:
        if low > next_low:
            out.append((next_low, low - 1))
        next_low = high + 1
    if next_low <= MAX_CODE_POINT:
        out.append((next_low, MAX_CODE_POINT))
    return tuple(out)


def without_surrogates(ranges: Ranges) -> Ranges:
    out = []
    for low, high in ranges:
        if high < SURROGATES[0] or low > SURROGATES[1]:
            out.append((low, high))
            continue
        if low < SURROGATES[0]:
            out.append((low, SURROGATES[0] - 1))
        if high > SURROGATES[1]:
            out.append((SURROGATES[1] + 1, high))
    return tuple(out)


_SPACES = ("CATEGORY_SPACE", "CATEGORY_NOT_SPACE")


def set_ranges(members: Any, ascii_only: bool = False, plain: bool = False) -> tuple[Ranges, bool]:
    """An ``IN`` node's members as ranges, and whether the set is negated. ``plain``: for
    texts without non-ASCII word characters, where ``\\w``/``\\d`` need only ASCII (``\\s``
    keeps its Unicode spaces, which such texts can have)."""
    negate = False
    found: list[tuple[int, int]] = []
    for op, value in members:
        if op == sre_constants.NEGATE:
            negate = True
        elif op == sre_constants.LITERAL:
            found.append((value, value))
        elif op == sre_constants.RANGE:
            found.append((value[0], value[1]))
        elif op == sre_constants.CATEGORY:
            name = str(value)
            if name not in _CATEGORY_REGEX:
                raise ValueError(f"unsupported class {name}")
            found.extend(category_ranges(name, ascii_only or (plain and name not in _SPACES)))
        else:
            raise ValueError(f"unsupported set member {op}")
    return _merge(found), negate


def _case_closed(ranges: Ranges) -> Ranges:
    """ASCII letters in both cases (enough to compare sets under IGNORECASE conservatively)."""
    extra = []
    for low, high in ranges:
        for char in range(max(low, 65), min(high, 122) + 1):
            if chr(char).isalpha():
                extra.append((ord(chr(char).swapcase()), ord(chr(char).swapcase())))
    return _merge([*ranges, *extra]) if extra else ranges


def item_ranges(item: Any, ignorecase: bool = False) -> Ranges | None:
    """The characters one single-character item can match; None when it is not one."""
    op, value = item
    ranges: Ranges
    if op == sre_constants.LITERAL:
        ranges = ((value, value),)
    elif op == sre_constants.NOT_LITERAL:
        ranges = complement(((value, value),))
    elif op == sre_constants.ANY:
        ranges = complement(((10, 10),))
    elif op == sre_constants.IN:
        try:
            members, negate = set_ranges(value)
        except ValueError:
            return None
        ranges = complement(members) if negate else members
    else:
        return None
    return _case_closed(ranges) if ignorecase else ranges


def overlap(first: Ranges, second: Ranges) -> bool:
    i = j = 0
    while i < len(first) and j < len(second):
        if first[i][1] < second[j][0]:
            i += 1
        elif second[j][1] < first[i][0]:
            j += 1
        else:
            return True
    return False
