"""The keyword prefilter: one Aho-Corasick pass over a text tells which patterns can match.

Each pattern has keywords (a rule's declared ``keywords:``, else the literals derived from
the pattern, ``chatdlp.policy.keywords``), one of which every match contains; a pattern
without keywords always runs. Keywords are found in the lowercased text, with ``ſ`` read as
``s`` and ``İ`` as ``i`` (IGNORECASE lets ``s`` and ``i`` match them), anywhere (not only
as whole words).
"""

from __future__ import annotations

from collections.abc import Iterable

import ahocorasick

from chatdlp.detect.matching import TextView


def lowercase_same_length(text: str) -> str:
    """``text.lower()`` with the guarantee that offsets stay valid."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


# Characters IGNORECASE lets an ASCII letter match that do not lowercase to it (a test
# checks every code point).
_FOLDS = str.maketrans({"ſ": "s", "İ": "i"})


def fold(text: str) -> str:
    """The text keywords are looked up in (same length, same offsets)."""
    return lowercase_same_length(text).translate(_FOLDS)


class Prefilter:
    """Which keywords occur in a text; the last text's answer is kept, since every rule's
    recognizer asks about the same text in turn."""

    def __init__(self, keywords: Iterable[str] = ()):
        self._automaton = ahocorasick.Automaton()
        self._words: dict[str, int] = {}
        for word in keywords:
            key = fold(word)
            if key and key not in self._words:
                self._words[key] = len(self._words)
                self._automaton.add_word(key, self._words[key])
        if self._words:
            self._automaton.make_automaton()
        self._last: str | None = None
        self._found: frozenset[int] = frozenset()
        self.texts = 0  # texts scanned (for tests and benches)
        self._view: TextView | None = None

    def ids(self, keywords: Iterable[str]) -> frozenset[int]:
        return frozenset(self._words[fold(k)] for k in keywords if fold(k) in self._words)

    def found(self, text: str) -> frozenset[int]:
        if text is self._last:
            return self._found
        self.texts += 1
        self._last = text
        if not self._words:
            self._found = frozenset()
        else:
            self._found = frozenset(value for _end, value in self._automaton.iter(fold(text)))
        return self._found

    def view(self, text: str) -> TextView:
        """The text as RE2 reads it (encoded once for every rule)."""
        if self._view is None or self._view.text is not text:
            self._view = TextView(text)
        return self._view
