"""Where NER can find something: the sentences worth sending through spaCy's NER.

NER is nine tenths of the scanning cost, and the entities it finds for our
rules (people, places, organisations) are written with capitals. A sentence
whose only capitalised word is an ordinary sentence opener ("The", "Please",
"Here") has no name in it for the model to find. The gate keeps the other
sentences (and the one before each, for context) and blanks the rest out with
spaces, so offsets stay exact; the kept runs then go through NER as documents
of their own.

Dates (DATE_TIME) are found in lower-case text too ("last Tuesday", "3 days
ago"); when a policy asks NER for dates, digits and date words open the gate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from spacy.lang.en.stop_words import STOP_WORDS

# Sentence pieces: split after . ! ? or at line breaks.
_SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?]+|\n|$)")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_OPENERS = frozenset(STOP_WORDS) | {
    "thanks", "thank", "please", "hello", "hi", "hey", "sure", "yes", "okay", "ok", "great",
    "sorry", "also", "note", "now", "let", "let's", "first", "second", "finally", "then", "next",
    "actually", "maybe", "perhaps", "can", "could", "would", "should", "will", "what", "how",
    "why", "when", "where", "which", "who", "is", "are", "do", "does", "did", "i", "i'm", "i've",
    "i'd", "i'll", "it's", "that's", "there's", "here's", "add", "make", "use", "write", "draft",
    "create", "check", "review", "summarise", "summarize", "explain", "update", "send", "give",
    "show", "tell", "find", "help", "try", "keep", "remove", "rewrite", "translate", "compare",
}
_DATE_WORDS = re.compile(
    r"\d|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun)"
    r"[a-z]*\b|\b(?:today|tomorrow|yesterday|tonight|ago|week|month|year|weekend|morning|"
    r"evening|night|noon|midnight|decade|century)s?\b",
    re.IGNORECASE,
)

_PRONOUNS = frozenset({"I", "I'm", "I've", "I'd", "I'll", "I’m", "I’ve", "I’d", "I’ll"})

_BLANK = re.compile(r"[^\n]")
_GAP = re.compile(r"\s{4,}")

# Entity types NER finds from capitalised words.
NAME_ENTITIES = frozenset({"PERSON", "LOCATION", "ORGANIZATION", "NRP"})


def _has_name_candidate(sentence: str) -> bool:
    words = _WORD.findall(sentence)
    for index, word in enumerate(words):
        if not word[0].isupper() or word in _PRONOUNS:
            continue
        if index == 0 and word.lower() in _OPENERS:
            continue
        return True
    return False


class NerGate:
    """Blanks out the sentences in which NER cannot find a wanted entity."""

    def __init__(self, ner_entities: Iterable[str]) -> None:
        wanted = frozenset(ner_entities)
        self.needs_ner = bool(wanted)
        self.dates = bool(wanted - NAME_ENTITIES)  # DATE_TIME or anything we cannot gate on names

    def keep(self, sentence: str) -> bool:
        if _has_name_candidate(sentence):
            return True
        return self.dates and bool(_DATE_WORDS.search(sentence))

    def mask(self, text: str) -> str | None:
        """``text`` with unpromising sentences blanked; None when nothing is left for NER.

        The sentence before a kept one is kept too: the model reads a name better
        with the words that lead up to it ("Discharge summary. Tobias ...").
        """
        if not self.needs_ner:
            return None
        sentences = [m.group() for m in _SENTENCE.finditer(text) if m.group()]
        wanted = [self.keep(sentence) for sentence in sentences]
        if not any(wanted):
            return None
        leading = [*wanted[1:], False]
        return "".join(
            sentence if keep or lead else _BLANK.sub(" ", sentence)
            for sentence, keep, lead in zip(sentences, wanted, leading, strict=True)
        )

    @staticmethod
    def segments(masked: str) -> list[tuple[int, str]]:
        """The runs of kept text in a masked text, with their offsets.

        Each run goes through NER as a document of its own: a long run of blank
        space in front of a name throws the model off, a fresh start does not.
        """
        runs: list[tuple[int, str]] = []
        position = 0
        for gap in _GAP.finditer(masked):
            if gap.start() > position:
                runs.append((position, masked[position : gap.start()]))
            position = gap.end()
        if masked[position:].strip():
            runs.append((position, masked[position:]))
        return runs
