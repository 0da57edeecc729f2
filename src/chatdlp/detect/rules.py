"""Presidio recognizers compiled from policy rules: patterns (with validators) and terms.

Each rule becomes one recognizer whose name is the rule id, so every result is
traced back to the rule that produced it. Context words, ``near``, ``allow``
and thresholds are applied afterwards by the detector (Presidio has one global
threshold and token-based context; chatdlp's are per rule and by characters).

Patterns run on RE2 or, when RE2 cannot express them, on the ``regex`` module within the
detector's :class:`~chatdlp.detect.matching.Budget`; a pattern runs on a text only when the
keyword prefilter found one of its keywords there, or, without keywords, when the text holds
what every match of it needs (a digit, an "@": :mod:`chatdlp.detect.needs`), if anything.
"""

from __future__ import annotations

from typing import Any

import ahocorasick
from presidio_analyzer import EntityRecognizer, RecognizerResult

from chatdlp.detect.matching import Budget, Matcher
from chatdlp.detect.needs import DIGIT, has_digit, meets, pattern_needs
from chatdlp.detect.prefilter import Prefilter, lowercase_same_length
from chatdlp.policy.model import Rule
from chatdlp.policy.validators import VALIDATORS

__all__ = ["RuleRecognizer", "TermMatcher", "lowercase_same_length", "pattern_keywords", "whole_word"]

TERM_SCORE = 1.0


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def whole_word(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not _is_word_char(before) and not _is_word_char(after)


class TermMatcher:
    """Case-insensitive whole-word matching of any number of terms (Aho-Corasick)."""

    def __init__(self, terms: tuple[str, ...]) -> None:
        self._automaton = ahocorasick.Automaton()
        for term in terms:
            key = lowercase_same_length(term)
            self._automaton.add_word(key, len(key))
        self._empty = not terms
        if not self._empty:
            self._automaton.make_automaton()

    def find(self, text: str) -> list[tuple[int, int]]:
        if self._empty:
            return []
        lowered = lowercase_same_length(text)
        spans = []
        for end_index, length in self._automaton.iter(lowered):
            start, end = end_index - length + 1, end_index + 1
            if whole_word(lowered, start, end):
                spans.append((start, end))
        return spans


def pattern_keywords(rule: Rule, matcher: Matcher) -> tuple[str, ...]:
    """The keywords gating one pattern: the rule's declared ones, else the derived ones."""
    return rule.keywords or matcher.plan.keywords


class RuleRecognizer(EntityRecognizer):
    """The recognizer of one policy rule with patterns and/or terms."""

    def __init__(
        self, rule: Rule, language: str = "en", budget: Budget | None = None,
        prefilter: Prefilter | None = None, use_prefilter: bool = True,
    ) -> None:
        self.rule = rule
        self.budget = budget if budget is not None else Budget.from_environment()
        self._patterns = [(p.name, Matcher(p.regex), p.score) for p in rule.patterns]
        if prefilter is None:
            prefilter = Prefilter(k for _, m, _ in self._patterns for k in pattern_keywords(rule, m))
        self._prefilter = prefilter
        # Per pattern, the prefilter ids of its keywords; None: it runs on every text.
        self._gates: list[frozenset[int] | None] = [
            prefilter.ids(pattern_keywords(rule, m)) or None if use_prefilter else None
            for _, m, _ in self._patterns
        ]
        # Per pattern without keywords, what every match of it holds (a digit, "@", ...),
        # proven on its syntax (chatdlp.detect.needs); None: it runs on every text.
        self._needs: list[frozenset[str] | None] = [
            frozenset({need})
            if gate is None and use_prefilter and (need := pattern_needs(m.fallback.pattern))
            else None
            for (_, m, _), gate in zip(self._patterns, self._gates, strict=True)
        ]
        self._validators = [VALIDATORS[name] for name in rule.validators]
        self._terms = TermMatcher(rule.terms)
        # Runs on every text: terms, or a pattern with neither keywords nor a need.
        self._always = bool(rule.terms) or any(
            gate is None and need is None for gate, need in zip(self._gates, self._needs, strict=True)
        )
        self._any_keyword = frozenset().union(*(gate for gate in self._gates if gate is not None))
        self._any_need = tuple(need for need in self._needs if need is not None)
        super().__init__(
            supported_entities=[rule.entity],
            name=rule.id,
            supported_language=language,
            context=[],
        )

    @property
    def timeouts(self) -> int:
        return self.budget.timeouts[self.rule.id]

    def load(self) -> None:  # nothing to load: compiled in __init__
        return None

    def may_match(self, text: str) -> bool:
        """False when :meth:`analyze` is sure to find nothing in ``text``: the rule has no
        terms and the prefilter found none of its patterns' keywords there."""
        if self._always:
            return True
        if self._any_keyword and not self._any_keyword.isdisjoint(self._prefilter.found(text)):
            return True
        return any(self._meets(text, need) for need in self._any_need)

    def _meets(self, text: str, need: frozenset[str]) -> bool:
        return meets(text, need, DIGIT in need and has_digit(text))

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: Any = None
    ) -> list[RecognizerResult]:
        results = []
        found = self._prefilter.found(text) if any(g is not None for g in self._gates) else frozenset()
        view = None
        for (name, matcher, score), gate, need in zip(self._patterns, self._gates, self._needs, strict=True):
            if gate is not None and gate.isdisjoint(found):
                continue
            if need is not None and not self._meets(text, need):
                continue
            view = view or self._prefilter.view(text)
            for start, end in matcher.spans(view, self.budget, self.rule.id):
                checked = self._validate(text[start:end])
                if checked is False:
                    continue
                results.append(self._result(start, end, 1.0 if checked else score, name))
        for start, end in self._terms.find(text):
            results.append(self._result(start, end, TERM_SCORE, "term"))
        return results

    def _validate(self, value: str) -> bool | None:
        """False: a validator failed; True: a checksum passed; None: no proof either way."""
        proven = None
        for validator in self._validators:
            if not validator.check(value):
                return False
            if validator.checksum:
                proven = True
        return proven

    def _result(self, start: int, end: int, score: float, pattern: str) -> RecognizerResult:
        return RecognizerResult(
            entity_type=self.rule.entity,
            start=start,
            end=end,
            score=score,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.rule.id,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                "pattern": pattern,
            },
        )
