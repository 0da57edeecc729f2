"""What EDM compares: the kinds of cell values, their normalisation (the same for the
organisation's records and for candidates found in a message), dates in the notations
people write, and the candidate values of a text."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from datetime import date
from functools import lru_cache

import regex
from spacy.lang.en.stop_words import STOP_WORDS

KINDS = ("id", "email", "phone", "date", "name", "text")
_NAME_HINTS = ("name", "surname", "first", "last", "given", "family")
_HINTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("email", ("email", "e-mail", "mail")),
    ("phone", ("phone", "mobile", "tel", "cell", "fax")),
    ("date", ("dob", "birth", "date", "born")),
    ("name", _NAME_HINTS),
    ("id", ("id", "number", "no", "num", "code", "mrn", "ssn", "account", "iban", "nhs", "passport")),
)


class Kind:
    """Normalisation of one kind of value: the same for index cells and message candidates."""

    _NON_DIGITS = regex.compile(r"\D+")
    _NON_ALNUM = regex.compile(r"[^0-9A-Za-z]+")
    _NAME_JUNK = regex.compile(r"[^\p{L}\p{M}'\- ]+")
    _SPACES = regex.compile(r"\s+")

    @classmethod
    def normalise(cls, kind: str, value: str) -> list[str]:
        """The keys a value is stored (or looked up) under; empty when it is no value."""
        value = unicodedata.normalize("NFKC", value).strip()
        if not value:
            return []
        if kind == "email":
            return [value.casefold()] if "@" in value else []
        if kind == "phone":
            digits = cls._NON_DIGITS.sub("", value)
            if len(digits) > 10:
                digits = digits[-10:]
            return [digits] if len(digits) >= 7 else []
        if kind == "id":
            key = cls._NON_ALNUM.sub("", value).upper()
            return [key] if len(key) >= 4 else []
        if kind == "date":
            return sorted({d.isoformat() for d in parse_dates(value)})
        if kind == "name":
            name = cls._SPACES.sub(" ", cls._NAME_JUNK.sub(" ", value)).strip().casefold()
            return [name] if len(name) >= 2 else []
        return [cls._SPACES.sub(" ", value).casefold()]


_MONTHS = {
    name: number
    for number, names in enumerate(
        (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
         ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
         ("oct", "october"), ("nov", "november"), ("dec", "december")),
        start=1,
    )
    for name in names
}
_NUMERIC_DATE = regex.compile(r"^(\d{1,4})[-/.](\d{1,2})[-/.](\d{1,4})$")
_WORD_DATE = regex.compile(
    r"^(?:(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})|([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4}))$"
)


def _date(year: int, month: int, day: int) -> date | None:
    if year < 100:
        year += 1900 if year > 30 else 2000
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_dates(text: str) -> list[date]:
    """Every calendar date a written date can mean (03/04/1990 is 3 April or 4 March)."""
    text = text.strip().casefold()
    found: list[date | None] = []
    match = _NUMERIC_DATE.match(text)
    if match:
        a, b, c = (int(g) for g in match.groups())
        if len(match.group(1)) == 4:
            found.append(_date(a, b, c))
        else:
            found += [_date(c, a, b), _date(c, b, a)]
    match = _WORD_DATE.match(text)
    if match:
        if match.group(1):
            day, month_name, year = match.group(1), match.group(2), match.group(3)
        else:
            month_name, day, year = match.group(4), match.group(5), match.group(6)
        month = _MONTHS.get(month_name)
        if month:
            found.append(_date(int(year), month, int(day)))
    return sorted({d for d in found if d is not None})


def infer_kind(column: str, samples: Sequence[str]) -> str:
    """A column's kind from its name, else from what its cells look like."""
    words = [w for w in regex.split(r"[^a-z]+", column.casefold()) if w]
    for kind, hints in _HINTS:
        if any(word in hints for word in words):
            return kind
    values = [s for s in samples if s.strip()]
    if not values:
        return "text"
    if all("@" in v for v in values):
        return "email"
    if all(parse_dates(v) for v in values):
        return "date"
    if all(regex.fullmatch(r"[\p{L}\p{M}'\- .]+", v) for v in values):
        return "name"
    if all(regex.search(r"\d", v) for v in values):
        return "id"
    return "text"


_EMAIL = regex.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")
_NUMBER = regex.compile(r"(?<![\w])(?:\+?\(?\d[\d().\-/ ]{2,}\d|[A-Za-z]{0,4}\d[A-Za-z0-9\-]{2,})(?![\w])")
_DATE = regex.compile(
    r"\b(?:\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2}(?:st|nd|rd|th)?\s+\p{L}{3,9}\.?,?\s+\d{4}|"
    r"\p{L}{3,9}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})\b"
)
# Apostrophes other than ' are word breaks, as in the index ("O’Brien" is "o brien").
_WORD = regex.compile(r"\p{L}[\p{L}\p{M}'\-]*")
_MAX_NAME_WORDS = 3


def candidate_values(text: str) -> Iterator[tuple[str, int, int, str]]:
    """(kind, start, end, normalised key) for everything in ``text`` that could be a cell value."""
    for match in _EMAIL.finditer(text):
        for key in Kind.normalise("email", match.group()):
            yield "email", match.start(), match.end(), key
    for match in _DATE.finditer(text):
        for key in Kind.normalise("date", match.group()):
            yield "date", match.start(), match.end(), key
    for match in _NUMBER.finditer(text):
        value = match.group().strip()
        start = match.start() + (len(match.group()) - len(match.group().lstrip()))
        end = start + len(value)
        for kind in ("id", "phone"):
            for key in Kind.normalise(kind, value):
                yield kind, start, end, key
    words = [(m.start(), m.end(), _name_word(m.group())) for m in _WORD.finditer(text)]
    for i, (word_start, word_end, word) in enumerate(words):
        if word is None:
            continue
        yield "name", word_start, word_end, word
        joined, last_end = word, word_end
        for following_start, following_end, following in words[i + 1 : i + _MAX_NAME_WORDS]:
            # A name's words are separated by spaces only (not a line break or punctuation),
            # and hold no function words ("the", "for", "about").
            if following is None or text[last_end:following_start] not in (" ", "  "):
                break
            joined = f"{joined} {following}"
            yield "name", word_start, following_end, joined
            last_end = following_end


@lru_cache(maxsize=65_536)
def _name_word(word: str) -> str | None:
    """A word as a name's words are normalised (see ``Kind.normalise``), or None for a
    function word or a single letter."""
    key = (word if word.isascii() else unicodedata.normalize("NFKC", word)).casefold()
    if len(key) < 2 or key in STOP_WORDS:
        return None
    return key
