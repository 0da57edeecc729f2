"""What every match of a pattern needs in a text: a decimal digit, or a punctuation
character; proven on the pattern's syntax tree, so a text without it is known to hold no
match before any regex runs."""

from __future__ import annotations

import re
from functools import partial
from typing import Any

import regex

DIGIT = "digit"  # a decimal digit, as ``\d`` reads it
# Characters a pattern may need, in the order they are tried: punctuation, which no case
# folding maps another character onto (IGNORECASE leaves them alone).
_PUNCTUATION = "@:./-"
# Syntax the regex module reads otherwise than re does (POSIX classes, fuzzy matching,
# branch reset, version flags): nothing is proven for a pattern with it.
_OTHER_SYNTAX = regex.compile(r"\[:|\{[^}]*[<>=]|\(\?\||\(\?V|\(\?r|\(\?[a-zA-Z]*[befws]")


def pattern_needs(pattern: str) -> str | None:
    """Something every match of ``pattern`` holds (:data:`DIGIT`, else a character of
    :data:`_PUNCTUATION`), proven on its syntax tree: a class or literal that must occur
    (lookarounds and back-references prove nothing). None when nothing is proven or the
    pattern does not parse as Python's ``re`` reads it."""
    import re._parser as sre_parse  # the syntax tree of the re module

    if _OTHER_SYNTAX.search(pattern):
        return None
    try:
        tree = sre_parse.parse(pattern)
    except (re.error, OverflowError, RecursionError):
        return None
    if _must(tree, _is_digit_class):
        return DIGIT
    for char in _PUNCTUATION:
        if _must(tree, partial(_is_char, code=ord(char))):
            return char
    return None


def _is_digit_class(items: Any) -> bool:
    import re._constants as c

    return all(
        (o is c.LITERAL and 0x30 <= a <= 0x39) or (o is c.RANGE and 0x30 <= a[0] <= a[1] <= 0x39)
        or (o is c.CATEGORY and a is c.CATEGORY_DIGIT)
        for o, a in items
    )


def _is_char(items: Any, code: int) -> bool:
    import re._constants as c

    return all(o is c.LITERAL and a == code for o, a in items)


def _must(items: Any, is_needed: Any) -> bool:
    """Whether every match of the parsed ``items`` holds a character of a class that
    ``is_needed`` accepts (given a list of (op, argument) class items)."""
    import re._constants as c

    for op, av in items:
        if op in (c.LITERAL, c.CATEGORY) and is_needed([(op, av)]):
            return True
        if op is c.IN and av and is_needed(av):
            return True
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] >= 1 and _must(av[2], is_needed):
            return True
        if op is c.SUBPATTERN and _must(av[-1], is_needed):
            return True
        if op is c.ATOMIC_GROUP and _must(av, is_needed):
            return True
        if op is c.BRANCH and all(_must(branch, is_needed) for branch in av[1]):
            return True
    return False


_RE_DIGIT = re.compile(r"\d")
_REGEX_DIGIT = regex.compile(r"\d")


def has_digit(text: str) -> bool:
    """A decimal digit as ``re`` or ``regex`` reads ``\\d`` (their Unicode tables may differ)."""
    return _RE_DIGIT.search(text) is not None or _REGEX_DIGIT.search(text) is not None


def meets(text: str, needs: frozenset[str], digits: bool) -> bool:
    """Whether ``text`` (``digits``: it holds a digit) has one of ``needs``."""
    return any(digits if need == DIGIT else need in text for need in needs)
