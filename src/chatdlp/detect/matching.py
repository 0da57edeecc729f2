"""Running one policy pattern on a text: RE2 when its plan says so, else the ``regex`` module
under a time budget (see ``chatdlp.policy.regex_plan`` for the choice).

Budgets bound the backtracking engine: a timeout per pattern run, a budget per message and
one per run (process). A run that times out is retried on bounded windows of the text
(its lines, long lines in overlapping pieces), each with a small timeout, so the matches
outside the pathological part are still found: appending junk to a text does not hide a
value from a rule. Every timeout is counted by rule id.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import re2
import regex

from chatdlp.policy.regex_plan import (
    RE2_MAX_MEM,
    RE2_PLAIN_MAX_MEM,
    PatternPlan,
    Translation,
    assemble,
    compile_re2,
    plan_pattern,
)

_NON_ASCII_WORD = regex.compile(r"(?![\x00-\x7f])\w")
WINDOW_CHARS = 2000
WINDOW_OVERLAP = 200
MIN_PIECE = 32
Span = tuple[int, int]


def _seconds(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


@dataclass
class Budget:
    """Seconds the backtracking engine may spend: per pattern run, per message, per run.

    Defaults: 1 s, 5 s and 600 s; ``CHATDLP_REGEX_TIMEOUT``, ``CHATDLP_REGEX_MESSAGE_BUDGET``
    and ``CHATDLP_REGEX_RUN_BUDGET`` (seconds) change them. The run budget is per detecting
    process (each worker has its own).
    """

    pattern_timeout: float = 1.0
    message_budget: float = 5.0
    run_budget: float = 600.0
    window_timeout: float = 0.05
    spent_run: float = 0.0
    spent_message: float = 0.0
    message: int = -1  # id() of the text the message budget is being spent on
    timeouts: Counter[str] = field(default_factory=Counter)

    @classmethod
    def from_environment(cls) -> Budget:
        return cls(
            pattern_timeout=_seconds("CHATDLP_REGEX_TIMEOUT", 1.0),
            message_budget=_seconds("CHATDLP_REGEX_MESSAGE_BUDGET", 5.0),
            run_budget=_seconds("CHATDLP_REGEX_RUN_BUDGET", 600.0),
        )

    def left(self, text: str) -> float:
        if id(text) != self.message:
            self.message, self.spent_message = id(text), 0.0
        return min(self.pattern_timeout, self.message_budget - self.spent_message,
                   self.run_budget - self.spent_run)

    def remaining(self, text: str) -> float:
        """Seconds left for ``text`` of the message and run budgets (for work that is not one
        pattern run: Presidio's recognizers, :mod:`chatdlp.detect.bounded`)."""
        if id(text) != self.message:
            self.message, self.spent_message = id(text), 0.0
        return min(self.message_budget - self.spent_message, self.run_budget - self.spent_run)

    def spend(self, seconds: float) -> None:
        self.spent_message += seconds
        self.spent_run += seconds


class TextView:
    """A text as RE2 reads it: UTF-8 bytes, byte -> character offsets, whether RE2's ASCII
    ``\\b`` means what the regex module's does on it."""

    __slots__ = ("_starts", "data", "plain", "text")

    def __init__(self, text: str):
        self.text = text
        self._starts: list[int] | None = None
        try:
            self.data: bytes | None = text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: only the regex module reads it
            self.data = None
        self.plain = text.isascii() or _NON_ASCII_WORD.search(text) is None

    def char(self, byte: int) -> int:
        if self.data is None or len(self.data) == len(self.text):
            return byte
        if self._starts is None:
            self._starts = [i for i, b in enumerate(self.data) if b & 0xC0 != 0x80]
        from bisect import bisect_left

        return bisect_left(self._starts, byte)

    def byte(self, char: int) -> int:
        if self.data is None or len(self.data) == len(self.text):
            return char
        return len(self.text[:char].encode("utf-8"))


class _Compiled:
    """One RE2 translation compiled: the first and the following searches' regexps."""

    def __init__(self, translation: Translation, group: str | int, max_mem: int):
        first, following = assemble(translation)
        self.first = compile_re2(first, max_mem)
        self.following = self.first if following == first else compile_re2(following, max_mem)
        self.lead = translation.lead is not None
        self.group = 1
        if group:
            names = {(k.decode() if isinstance(k, bytes) else k): v for k, v in self.first.groupindex.items()}
            self.group = names[group]

    def matches(self, data: bytes) -> Iterator[Any]:
        pos, end = 0, len(data)
        compiled = self.first
        while pos <= end:
            match = compiled.search(data, pos - 1 if pos > 0 and self.lead else pos)
            if match is None:
                return
            yield match
            core_start, core_end = match.span(1)
            pos = core_end if core_end > core_start else core_end + _char_len(data, core_end)
            compiled = self.following


class Matcher:
    """One pattern, compiled for its engine (the RE2 translations when first needed)."""

    def __init__(self, pattern: str, ignorecase: bool = False, multiline: bool = True):
        self.plan: PatternPlan = plan_pattern(pattern, ignorecase, multiline)
        flags = (regex.MULTILINE if multiline else 0) | (regex.IGNORECASE if ignorecase else 0)
        self.fallback = regex.compile(pattern, flags=flags | regex.VERSION0)
        self.group: str | int = "value" if "value" in self.fallback.groupindex else 0
        self._compiled: dict[bool, _Compiled | None] = {}

    @property
    def on_re2(self) -> bool:
        return self.plan.on_re2

    def _re2(self, view: TextView) -> _Compiled | None:
        """The RE2 regexps for this text; None: the regex module reads it."""
        if view.data is None or not self.plan.on_re2:
            return None
        plain = view.plain
        if not plain and self.plan.ascii_boundaries:
            return None
        if plain not in self._compiled:
            translation = (self.plan.re2_plain or self.plan.re2) if plain else self.plan.re2
            unicode_classes = translation is self.plan.re2 and self.plan.re2_plain is not None
            try:
                self._compiled[plain] = _Compiled(
                    translation, self.group, RE2_MAX_MEM if unicode_classes else RE2_PLAIN_MAX_MEM,
                ) if translation else None
            except re2.error:  # too large with its Unicode classes: the regex module reads such texts
                self._compiled[plain] = None
        return self._compiled[plain]

    def spans(self, view: TextView, budget: Budget, rule_id: str) -> list[Span]:
        """Spans of the value group (or whole match) of every match, in order, empty ones dropped."""
        compiled = self._re2(view)
        if compiled is not None:
            assert view.data is not None
            found = []
            for match in compiled.matches(view.data):
                start, end = match.span(compiled.group)
                if end > start:
                    found.append((view.char(start), view.char(end)))
            return found
        return [s for s in self._fallback_spans(view.text, budget, rule_id) if s[1] > s[0]]

    def search(self, value: str, budget: Budget, rule_id: str) -> bool:
        view = TextView(value)
        compiled = self._re2(view)
        if compiled is not None:
            assert view.data is not None
            return next(compiled.matches(view.data), None) is not None
        return bool(self._fallback_spans(value, budget, rule_id, first_only=True))

    # -- the backtracking engine ------------------------------------------------------

    def _fallback_spans(
        self, text: str, budget: Budget, rule_id: str, first_only: bool = False
    ) -> list[Span]:
        spans: dict[Span, None] = {}
        left = budget.left(text)
        if left <= 0:
            budget.timeouts[rule_id] += 1
            return []
        if self._collect(text, 0, len(text), left, budget, spans, first_only):
            return list(spans)
        budget.timeouts[rule_id] += 1
        # Retry on the lines (pieces of long ones); a piece that times out is halved (with
        # overlap), down to MIN_PIECE characters, so the junk costs its own pieces only.
        pending = [w for w in windows(text) if w != (0, len(text))] or _halves(0, len(text))
        while pending and not (first_only and spans):
            start, end = pending.pop(0)
            left = min(budget.window_timeout, budget.left(text))
            if left <= 0:
                break
            if not self._collect(text, start, end, left, budget, spans, first_only):
                pending += _halves(start, end)  # widest pieces first
        return sorted(spans)

    def _collect(
        self, text: str, pos: int, endpos: int, timeout: float, budget: Budget,
        spans: dict[Span, None], first_only: bool,
    ) -> bool:
        """Adds the spans of the matches in ``text[pos:endpos]``, the ones found before a
        timeout included; False on a timeout."""
        # A piece's edge inside a line is no edge of the text: "$", a word boundary or a lookaround would
        # match there and nowhere in the text itself, so a match touching it is not taken
        # (the overlap of the pieces finds the real ones).
        cut_start = pos > 0 and text[pos - 1] != "\n"
        cut_end = endpos < len(text) and text[endpos] != "\n"
        began = time.perf_counter()
        try:
            for match in self.fallback.finditer(text, pos, endpos, timeout=timeout):
                if (cut_start and match.start() == pos) or (cut_end and match.end() == endpos):
                    continue
                spans[match.span(self.group)] = None
                if first_only:
                    break
            return True
        except TimeoutError:
            return False
        finally:
            budget.spend(time.perf_counter() - began)


def _halves(start: int, end: int) -> list[Span]:
    """Two overlapping halves of a piece that timed out (none under MIN_PIECE characters)."""
    if end - start <= MIN_PIECE:
        return []
    middle, overlap = (start + end) // 2, min(WINDOW_OVERLAP, (end - start) // 4)
    return [(start, middle + overlap), (middle - overlap, end)]


def _char_len(data: bytes, at: int) -> int:
    if at >= len(data):
        return 1
    lead = data[at]
    return 1 if lead < 0x80 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4


def windows(text: str) -> Iterator[Span]:
    """The text's lines, lines over WINDOW_CHARS in pieces overlapping by WINDOW_OVERLAP."""
    start = 0
    length = len(text)
    while start < length:
        newline = text.find("\n", start)
        line_end = length if newline < 0 else newline
        piece = start
        while True:
            piece_end = min(line_end, piece + WINDOW_CHARS)
            yield piece, piece_end
            if piece_end >= line_end:
                break
            piece = piece_end - WINDOW_OVERLAP
        start = line_end + 1
