"""Time bounds for the recognizers chatdlp does not write itself: Presidio's predefined
recognizers (the phone matcher among them) and NER.

A Presidio recognizer reads a text whole, in time that grows with the text (and faster for
some: python-phonenumbers tries every digit group of a text in each of its eight regions, so
116 KB of digit-heavy JSON took it about 5 s). Here each one reads a long text in windows of
:data:`WINDOW_CHARS` characters that overlap by :data:`WINDOW_OVERLAP` (a value across a
window boundary is found whole in the next window; a result touching a cut edge is dropped
for that reason), and stops when a bound is reached:

- the phone matcher is handed at most :data:`PHONE_CANDIDATES` digit groups per message
  (digit-dense text such as a JSON dump of numbers is where its time goes);
- every recognizer stops when its :class:`~chatdlp.detect.matching.Budget` for the message
  is spent (checked between windows, so a window's time is the most it can overrun): the
  detector gives them the regex engine's message budget on an account of their own, with
  no run budget (their time is ordinary work, and must not starve the regex engine's).

A value of up to ``WINDOW_OVERLAP - 2 * EDGE`` (224) characters is found whole in some
window, away from its cut edges.

What a bound leaves unread is counted by rule id (:func:`chatdlp.records.cut_key`) in the same counter as the
regex timeouts: it reaches the summary and fails ``--strict``. NER's bound is
:data:`NER_MESSAGE_CHARS` characters per message
(:class:`~chatdlp.detect.nlp_engine.PreloadedSpacyNlpEngine`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from presidio_analyzer import RecognizerResult

from chatdlp.detect.chunks import split_text
from chatdlp.detect.matching import Budget
from chatdlp.records import cut_key

WINDOW_CHARS = 4096
WINDOW_OVERLAP = 256  # longer than any value a Presidio recognizer finds (an IBAN in groups: 42)
EDGE = 16  # a result this close to a cut edge may be cut or read its context wrong: the overlap has it
PHONE_CANDIDATES = 2000  # digit groups per message handed to the phone matcher (about 1 ms each)
NER_MESSAGE_CHARS = 200_000  # characters per message NER reads (the gate's kept runs, in order)

# A digit group the phone matcher may try: digits with at most two separators between them.
_DIGIT_GROUP = re.compile(r"\d(?:[ ().\-/]{0,2}\d)+")
_PHONE_DIGITS = 5  # the phone matcher tries no group with fewer digits in these regions

CUT_PHONE = "phone matching cut: digit groups over the per-message cap"
CUT_BUDGET = "recognizer stopped: its message budget spent"
CUT_NER = "NER text cut: characters over the per-message cap"


def phone_candidates(text: str) -> int:
    """Digit groups of ``text`` the phone matcher would try (at least five digits)."""
    return sum(1 for m in _DIGIT_GROUP.finditer(text) if sum(c.isdigit() for c in m.group()) >= _PHONE_DIGITS)


class RecognizerBounds:
    """The windows and bounds of one Presidio recognizer; what it read and what it cut."""

    def __init__(self, budget: Budget, rule_ids: Sequence[str], phone: bool = False) -> None:
        self.budget = budget
        self.rule_ids = tuple(rule_ids)
        self.phone = phone
        self.characters_read = 0  # characters handed to the recognizer (the work it was given)
        self.cuts = 0  # messages it read in part

    def run(self, text: str, analyze: Callable[[str], list[RecognizerResult]]) -> list[RecognizerResult]:
        pieces = split_text(text, WINDOW_CHARS, WINDOW_OVERLAP)
        found: dict[tuple[str, int, int], RecognizerResult] = {}
        candidates = 0
        self.budget.remaining(text)  # the message budget is this text's from here on
        for index, (offset, piece) in enumerate(pieces):
            if index and self.budget.remaining(text) <= 0:  # the first window always runs
                self._cut(CUT_BUDGET)
                break
            if self.phone:
                candidates += phone_candidates(piece[:-WINDOW_OVERLAP] if index + 1 < len(pieces) else piece)
                if candidates > PHONE_CANDIDATES:
                    self._cut(CUT_PHONE)
                    break
            began = time.perf_counter()
            try:
                results = analyze(piece)
            finally:
                self.budget.spend(time.perf_counter() - began)
                self.characters_read += len(piece)
            cut_start, cut_end = offset > 0, offset + len(piece) < len(text)
            for result in results:
                if (cut_start and result.start < EDGE) or (cut_end and result.end > len(piece) - EDGE):
                    continue  # the neighbouring window reads it whole
                result.start += offset
                result.end += offset
                key = (result.entity_type, result.start, result.end)
                if key not in found or found[key].score < result.score:
                    found[key] = result
        return sorted(found.values(), key=lambda r: (r.start, r.end, r.entity_type))

    def _cut(self, why: str) -> None:
        self.cuts += 1
        for rule_id in self.rule_ids:
            self.budget.timeouts[cut_key(rule_id, why)] += 1


class _Windowed:
    """Mixed in before a Presidio recognizer class: its ``analyze`` runs within ``bounds``."""

    bounds: RecognizerBounds

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None, *args: Any,
                **kwargs: Any) -> list[RecognizerResult]:
        parent: Any = super()
        return self.bounds.run(text, lambda piece: list(parent.analyze(piece, entities, nlp_artifacts,
                                                                       *args, **kwargs)))


_CLASSES: dict[type, type] = {}


def windowed_class(cls: type) -> type:
    """``cls`` with its ``analyze`` bounded. The class has a name of its own: Presidio finds
    its predefined recognizers by class name among every subclass of ``EntityRecognizer``,
    and a vanilla registry built later in the same process (``--baseline presidio``) must
    not get this one; :func:`~chatdlp.detect.recognizers.build_recognizer` gives the
    instance the original recognizer name."""
    if cls not in _CLASSES:
        _CLASSES[cls] = type(f"Bounded{cls.__name__}", (_Windowed, cls), {"__module__": __name__})
    return _CLASSES[cls]


def unwrapped(cls: type) -> type:
    """The Presidio class a :func:`windowed_class` bounds (``cls`` itself for any other)."""
    for original, windowed in _CLASSES.items():
        if windowed is cls:
            return original
    return cls
