"""How each policy pattern runs: on RE2 (linear time) when RE2 can say the same thing, on
the ``regex`` module (backtracking, with a timeout) only when it cannot.

A pattern is parsed with Python's own parser (the syntax the ``regex`` module's VERSION0
shares) and written out again in RE2 syntax, keeping its meaning exactly:

* ``\\w``, ``\\d``, ``\\s`` and their complements become explicit Unicode classes read off
  the ``regex`` module (RE2's are ASCII-only); ``$`` without MULTILINE keeps "or before a
  final newline".
* A lookbehind of one character at the very start (``(?<![\\w-])``), a lookahead of one
  character at the very end (``(?![A-Za-z0-9_-])``), and ``\\b`` next to a word character
  there, are matched as one consumed character in a group of their own; the matcher takes
  the span of the pattern without it and resumes where the pattern proper ended, so spans,
  groups and successive matches are those of the backtracking engine.
* ``\\b``/``\\B`` elsewhere are ASCII in RE2: such a pattern runs on RE2 for texts without
  non-ASCII letters or digits (nearly every text), on the ``regex`` module otherwise.

Anything else RE2 lacks (other lookarounds, backreferences, possessive and atomic groups,
conditionals, syntax only the ``regex`` module knows) keeps the pattern on the backtracking
engine, with the reason, which ``policy validate`` reports.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from chatdlp.policy.charsets import (
    Ranges,
    category_ranges,
    complement,
    overlap,
    set_ranges,
    sre_constants,
    sre_parse,
    without_surrogates,
)
from chatdlp.policy.keywords import derive_keywords

RE2_MAX_REPEAT = 1000
_C = sre_constants


@dataclass(frozen=True)
class Edge:
    """A one-character assertion at an end of the pattern, matched as a consumed character."""

    klass: str  # an RE2 class: the character that must (not) be there
    at_text_end: bool  # the assertion also holds at the end (start) of the text


@dataclass(frozen=True)
class Translation:
    """A pattern in RE2 syntax: its core and the edges matched as consumed characters."""

    core: str
    lead: Edge | None = None
    trail: Edge | None = None


@dataclass(frozen=True)
class PatternPlan:
    pattern: str
    ignorecase: bool
    re2: Translation | None  # for every text; None: the backtracking engine
    reason: str = ""  # why the backtracking engine ("" on RE2)
    # For texts without non-ASCII word characters (nearly all): \w and \d as ASCII classes,
    # a far smaller automaton; None: such texts use ``re2`` too.
    re2_plain: Translation | None = None
    ascii_boundaries: bool = False  # \b/\B inside: RE2 only on texts without non-ASCII word chars
    keywords: tuple[str, ...] = ()  # literals (lowercase) one of which every match contains

    @property
    def on_re2(self) -> bool:
        return self.re2 is not None or self.re2_plain is not None


class _Unsupported(Exception):
    pass


def parse(pattern: str, flags: int = 0) -> Any:
    """Python's parse of ``pattern``; ValueError when only the regex module can read it."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "possible nested set": regex reads [[:alpha:]] otherwise
        try:
            return sre_parse.parse(pattern, flags)
        except (re.error, FutureWarning, DeprecationWarning, OverflowError, RecursionError) as exc:
            raise ValueError(str(exc)) from None


@lru_cache(maxsize=4096)
def plan_pattern(pattern: str, ignorecase: bool = False, multiline: bool = True) -> PatternPlan:
    """The plan of one pattern compiled with MULTILINE (rule patterns) or IGNORECASE (allow)."""
    flags = (re.MULTILINE if multiline else 0) | (re.IGNORECASE if ignorecase else 0)
    try:
        parsed = parse(pattern, flags)
    except ValueError:
        return PatternPlan(pattern, ignorecase, None, "it uses syntax only the regex module reads")
    keywords = derive_keywords(parsed)
    try:
        full, boundaries = _translate(parsed, plain=False)
        compact, _ = _translate(parsed, plain=True)
    except _Unsupported as exc:
        return PatternPlan(pattern, ignorecase, None, str(exc), keywords=keywords)
    if not _compiles(compact):
        return PatternPlan(pattern, ignorecase, None, "RE2 cannot compile its translation (too large)",
                           keywords=keywords)
    # The Unicode translation is compiled when a text first needs it (the matcher runs the
    # regex module on such texts if RE2 refuses it as too large).
    return PatternPlan(pattern, ignorecase, full, "", compact if compact != full else None,
                       boundaries, keywords)


def _translate(parsed: Any, plain: bool) -> tuple[Translation, bool]:
    writer = _Writer(parsed.state.flags, parsed.state.groupdict, plain)
    core, lead, trail = writer.top(list(parsed))
    return Translation(core, lead, trail), writer.boundaries


def _compiles(translation: Translation) -> bool:
    import re2

    try:
        compile_re2(assemble(translation)[0], max_mem=RE2_PLAIN_MAX_MEM)
    except re2.error:
        return False
    return True


RE2_MAX_MEM = 64 << 20  # per pattern: the Unicode classes make large automata
RE2_PLAIN_MAX_MEM = 8 << 20  # RE2's default


def compile_re2(pattern: str, max_mem: int = RE2_PLAIN_MAX_MEM) -> Any:
    """An RE2 regexp over UTF-8 bytes, quiet (RE2 logs to stderr by default)."""
    import re2

    options = re2.Options()
    options.log_errors = False
    options.max_mem = max_mem
    return re2.compile(pattern.encode(), options)


def assemble(translation: Translation) -> tuple[str, str]:
    """The RE2 patterns for the first search of a text and for the following ones: the core
    in group 1, the edges around it (a lead edge may be the start of the text only at 0)."""
    trail = ""
    if translation.trail is not None:
        klass = translation.trail.klass
        trail = f"(?:{klass}|\\z)" if translation.trail.at_text_end else klass
    lead_first = lead_next = ""
    if translation.lead is not None:
        lead_next = translation.lead.klass
        lead_first = f"(?:\\A|{lead_next})" if translation.lead.at_text_end else lead_next
    core = f"({translation.core})"
    return f"{lead_first}{core}{trail}", f"{lead_next}{core}{trail}"


def _char(code: int) -> str:
    char = chr(code)
    return char if char.isascii() and char.isalnum() else f"\\x{{{code:x}}}"


def ranges_class(ranges: Ranges, negate: bool = False) -> str:
    ranges = without_surrogates(ranges)
    if not ranges:
        return "[^\\x00-\\x{10ffff}]" if not negate else "[\\x00-\\x{10ffff}]"
    body = "".join(_char(lo) if lo == hi else f"{_char(lo)}-{_char(hi)}" for lo, hi in ranges)
    return f"[{'^' if negate else ''}{body}]"


def word_class(negate: bool = False) -> str:
    return ranges_class(category_ranges("CATEGORY_WORD"), negate)


class _Writer:
    """Writes a parsed pattern in RE2 syntax (see the module docstring)."""

    def __init__(self, flags: int, groupdict: dict[str, int], plain: bool = False):
        self.flags = flags
        self.plain = plain
        self.names = {number: name for name, number in groupdict.items()}
        self.boundaries = False

    def top(self, items: list[Any]) -> tuple[str, Edge | None, Edge | None]:
        if self.flags & (re.LOCALE | re.TEMPLATE if hasattr(re, "TEMPLATE") else re.LOCALE):
            raise _Unsupported("it uses the LOCALE flag")
        ascii_only = bool(self.flags & re.ASCII)
        lead = trail = None
        if items and (edge := self._edge(items, 0, ascii_only)) is not None:
            lead, items = edge, items[1:]
        if items and (edge := self._edge(items, -1, ascii_only)) is not None:
            trail, items = edge, items[:-1]
        prefix = "".join(f for f, bit in (("i", re.I), ("m", re.M), ("s", re.S)) if self.flags & bit)
        body = self.seq(items, ascii_only, bool(self.flags & re.MULTILINE))
        return (f"(?{prefix})" if prefix else "") + body, lead, trail

    def _edge(self, items: list[Any], index: int, ascii_only: bool) -> Edge | None:
        op, value = items[index]
        direction = -1 if index == 0 else 1
        if op in (_C.ASSERT, _C.ASSERT_NOT) and value[0] == direction and len(value[1]) == 1:
            klass = self._one_char_class(value[1][0], ascii_only)
            if klass is None:
                return None
            if op == _C.ASSERT:
                return Edge(klass, at_text_end=False)
            return Edge(_negated(klass), at_text_end=True)
        if op == _C.AT and value == _C.AT_BOUNDARY and len(items) > 1:
            neighbour = items[1] if index == 0 else items[-2]
            if _always_word(neighbour, index == 0):
                return Edge(_negated(word_class_for(ascii_only or self.plain)), at_text_end=True)
        if op == _C.AT and value == _C.AT_END and index == -1 and not self.flags & re.MULTILINE:
            return Edge("\\n\\z", at_text_end=True)  # "$": at the end or before a final newline
        return None

    def _one_char_class(self, item: Any, ascii_only: bool) -> str | None:
        if self.flags & re.IGNORECASE:
            return None  # a folded one-character class: keep it simple, backtracking engine
        op, value = item
        if op == _C.LITERAL:
            return ranges_class(((value, value),))
        if op == _C.NOT_LITERAL:
            return ranges_class(((value, value),), negate=True)
        if op == _C.IN:
            try:
                members, negate = set_ranges(value, ascii_only, self.plain)
            except ValueError:
                return None
            return ranges_class(members, negate)
        return None

    def seq(self, items: Any, ascii_only: bool, multiline: bool) -> str:
        return "".join(self.item(item, ascii_only, multiline) for item in items)

    def item(self, item: Any, ascii_only: bool, multiline: bool) -> str:
        op, value = item
        if op == _C.LITERAL:
            return _char(value)
        if op == _C.NOT_LITERAL:
            return ranges_class(((value, value),), negate=True)
        if op == _C.ANY:
            return "."
        if op == _C.IN:
            try:
                members, negate = set_ranges(value, ascii_only, self.plain)
            except ValueError as exc:
                raise _Unsupported(str(exc)) from None
            return ranges_class(members, negate)
        if op == _C.BRANCH:
            return "(?:" + "|".join(self.seq(alt, ascii_only, multiline) for alt in value[1]) + ")"
        if op == _C.SUBPATTERN:
            return self._group(value, ascii_only, multiline)
        if op in (_C.MAX_REPEAT, _C.MIN_REPEAT):
            return self._repeat(op, value, ascii_only, multiline)
        if op == _C.AT:
            return self._at(value, multiline)
        if op == _C.CATEGORY:  # pragma: no cover - the parser wraps categories in IN
            return ranges_class(category_ranges(str(value), ascii_only or self.plain))
        raise _Unsupported(_WHY.get(str(op), f"it uses {op}, which RE2 lacks"))

    def _group(self, value: Any, ascii_only: bool, multiline: bool) -> str:
        group, add, remove, body = value
        if (add | remove) & ~(re.I | re.M | re.S | re.A | re.U | re.X):
            raise _Unsupported("it sets an inline flag RE2 lacks")
        ascii_only = (ascii_only or bool(add & re.A)) and not add & re.U
        multiline = (multiline or bool(add & re.M)) and not remove & re.M
        on = "".join(f for f, bit in (("i", re.I), ("m", re.M), ("s", re.S)) if add & bit)
        off = "".join(f for f, bit in (("i", re.I), ("m", re.M), ("s", re.S)) if remove & bit)
        inner = self.seq(body, ascii_only, multiline)
        if on or off:
            inner = f"(?{on}{'-' + off if off else ''}:{inner})"
        if group is None:
            return f"(?:{inner})"
        name = self.names.get(group)
        return f"(?P<{name}>{inner})" if name else f"({inner})"

    def _repeat(self, op: Any, value: Any, ascii_only: bool, multiline: bool) -> str:
        low, high, body = value
        unbounded = high == _C.MAXREPEAT
        if low > RE2_MAX_REPEAT or (not unbounded and high > RE2_MAX_REPEAT):
            raise _Unsupported(f"it repeats more than {RE2_MAX_REPEAT} times, RE2's limit")
        count = (
            "*" if (low, unbounded) == (0, True) else "+" if (low, unbounded) == (1, True)
            else "?" if (low, high) == (0, 1) else f"{{{low},}}" if unbounded
            else f"{{{low}}}" if low == high else f"{{{low},{high}}}"
        )
        lazy = "?" if op == _C.MIN_REPEAT else ""
        return f"(?:{self.seq(body, ascii_only, multiline)}){count}{lazy}"

    def _at(self, value: Any, multiline: bool) -> str:
        if value == _C.AT_BEGINNING:
            return "^"
        if value == _C.AT_BEGINNING_STRING:
            return "\\A"
        if value == _C.AT_END_STRING:
            return "\\z"
        if value == _C.AT_END:
            if multiline:
                return "$"
            raise _Unsupported("'$' without MULTILINE inside the pattern (also before a final newline)")
        if value in (_C.AT_BOUNDARY, _C.AT_NON_BOUNDARY):
            self.boundaries = True
            return "\\b" if value == _C.AT_BOUNDARY else "\\B"
        raise _Unsupported(f"it uses the anchor {value}")


_WHY = {
    "ASSERT": "it has a lookaround RE2 cannot express",
    "ASSERT_NOT": "it has a lookaround RE2 cannot express",
    "GROUPREF": "it has a backreference",
    "GROUPREF_EXISTS": "it has a conditional group",
    "POSSESSIVE_REPEAT": "it has a possessive repeat",
    "ATOMIC_GROUP": "it has an atomic group",
}


@lru_cache(maxsize=4)
def word_class_for(ascii_only: bool) -> str:
    return ranges_class(category_ranges("CATEGORY_WORD", ascii_only))


def _negated(klass: str) -> str:
    return "[" + klass[2:] if klass.startswith("[^") else "[^" + klass[1:]


def _always_word(item: Any, first: bool) -> bool:
    """Every character ``item`` starts (``first``) or ends with is a word character."""
    op, value = item
    word = category_ranges("CATEGORY_WORD")
    if op == _C.LITERAL:
        return _within(((value, value),), word)
    if op == _C.IN:
        try:
            members, negate = set_ranges(value)
        except ValueError:
            return False
        return not negate and _within(members, word)
    if op == _C.SUBPATTERN:
        body = list(value[-1])
        return bool(body) and _always_word(body[0] if first else body[-1], first) and not value[1] & re.I
    if op in (_C.MAX_REPEAT, _C.MIN_REPEAT):
        body = list(value[2])
        return value[0] >= 1 and bool(body) and _always_word(body[0] if first else body[-1], first)
    if op == _C.BRANCH:
        return all(alt and _always_word(alt[0] if first else alt[-1], first) for alt in value[1])
    return False


def _within(inner: Ranges, outer: Ranges) -> bool:
    return not overlap(inner, _complement(outer))


@lru_cache(maxsize=64)
def _complement(ranges: Ranges) -> Ranges:
    return complement(ranges)
