"""Presidio recognizers compiled from policy rules: patterns (with validators) and terms.

Each rule becomes one recognizer whose name is the rule id, so every result is
traced back to the rule that produced it. Context words, ``near``, ``allow``
and thresholds are applied afterwards by the detector (Presidio has one global
threshold and token-based context; chatdlp's are per rule and by characters).
"""

from __future__ import annotations

from typing import Any

import ahocorasick
import regex
from presidio_analyzer import EntityRecognizer, RecognizerResult

from chatdlp.policy.model import Rule
from chatdlp.policy.validators import VALIDATORS

# Upper bound for one pattern on one text; a pattern that runs longer is skipped
# for that text (and counted) instead of stalling the scan.
REGEX_TIMEOUT_SECONDS = 1.0
TERM_SCORE = 1.0


def lowercase_same_length(text: str) -> str:
    """``text.lower()`` with the guarantee that offsets stay valid."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


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


class RuleRecognizer(EntityRecognizer):
    """The recognizer of one policy rule with patterns and/or terms."""

    def __init__(self, rule: Rule, language: str = "en") -> None:
        self.rule = rule
        self._patterns = [
            (p.name, regex.compile(p.regex, flags=regex.MULTILINE | regex.VERSION0), p.score)
            for p in rule.patterns
        ]
        self._validators = [VALIDATORS[name] for name in rule.validators]
        self._terms = TermMatcher(rule.terms)
        self.timeouts = 0
        super().__init__(
            supported_entities=[rule.entity],
            name=rule.id,
            supported_language=language,
            context=[],
        )

    def load(self) -> None:  # nothing to load: compiled in __init__
        return None

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: Any = None
    ) -> list[RecognizerResult]:
        results = []
        for name, compiled, score in self._patterns:
            try:
                matches = list(compiled.finditer(text, timeout=REGEX_TIMEOUT_SECONDS))
            except TimeoutError:
                self.timeouts += 1
                continue
            for match in matches:
                # A named group "value" marks the sensitive part (password=(?P<value>...)).
                group = "value" if "value" in compiled.groupindex else 0
                start, end = match.span(group)
                if end <= start:
                    continue
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
