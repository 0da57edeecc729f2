"""Evidence that words are a person's name, beyond what the small NER model sees.

The model misses lone first names ("said Einar to Kristy"), names in lists, names
written in lower case and names next to pasted code. Three kinds of evidence
generalise across texts, and :class:`NameFinder` uses them together:

- the name lists: the US Census Bureau's 1990 first names and surnames (public
  domain, ``data/census_*.txt``), minus common English words unless other
  evidence agrees ("Mark", "Young", "Will" are names and words); and the given
  names and surnames frequent in other countries (``data/world_*.txt``, from
  ``names-dataset``, see ``bench/build_lexicons.py``), which hold no English word;
- the shape of name words: Titlecase, with the particles and joins surnames
  have (``McDonald``, ``O'Brien``, ``Delacroix-Boyd``, ``DeLuca``), not camelCase
  identifiers;
- cues: a title or relation before the name (``Dr``, ``Mrs.``, ``son``, ``nurse``,
  ``name is``), a reporting verb (``said Einar``), or a list in which other items
  are names ("Jan, Kristi, Stephen and Julie").

The finder runs on NER's view of a text (prose only, ALL-CAPS re-cased), returns
character spans, and adds nothing where that view is blank.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from importlib import resources
from typing import Any

import regex
from spacy.lang.en.stop_words import STOP_WORDS

from chatdlp.detect.segments import count_upper, is_mostly_upper

# A name word: Titlecase, with surname particles and hyphenated parts.
_PART = r"(?:(?:Mc|Mac|Fitz|De|Di|Da|Du|La|Le|Van|Von|Del|Della|O['’]|D['’])?\p{Lu}\p{Ll}+)"
NAME_WORD = regex.compile(rf"{_PART}(?:-{_PART})*")
_TITLE_SEQUENCE = regex.compile(
    rf"(?<![\w@./\\#$-])(?P<first>{_PART}(?:-{_PART})*)"
    rf"(?P<rest>(?:[ \t]+\p{{Lu}}\.?(?=[ \t]))?(?:[ \t]+{_PART}(?:-{_PART})*){{0,2}})(?![\w@/\\-])"
)
_LOWER_WORD = regex.compile(r"(?<![\w@./\\#$-])\p{Ll}{2,}(?:['’-]\p{Ll}+)?(?![\w@/\\-])")
# Cues that the next one or two words are a name, in any case (clinical notes are often
# all lower case or ALL CAPS: "dr healey", "son bill", "nurse leslie kiezulas").
_CUE = regex.compile(
    r"(?i:\b(?:mr|mrs|ms|mx|dr|prof|miss|sir|madam|name\s+is|named|maiden\s+name\s+is|last\s+name\s+is|"
    r"first\s+name\s+is|son|daughter|wife|husband|brother|sister|mother|father|mom|dad|niece|nephew|"
    r"grandson|granddaughter|nurse|np|rn|md|attending|said|says|asked|told|spoke\s+with|talked\s+to|"
    r"met\s+with|call|called|dear|hi|hello|hey|thanks|thank\s+you|cc)\.?[ \t]*[:,]?[ \t]*)$"
)
# Cues that are weaker: they make a listed first name a name, not an unknown word.
_STRONG_CUE = regex.compile(
    r"(?i:\b(?:mr|mrs|ms|mx|dr|prof|miss|name\s+is|name:|named|maiden\s+name\s+is|last\s+name\s+is|"
    r"first\s+name\s+is|son|daughter|wife|husband|brother|sister|mother|father|niece|nephew|grandson|"
    r"granddaughter|nurse|attending)\.?[ \t]*[:,]?[ \t]*)$"
)
# Words that end a place or an organisation, not a name ("Grant Street", "Harris Bank").
_NOT_NAME_ENDINGS = frozenset({
    "street", "st", "road", "rd", "avenue", "ave", "lane", "ln", "drive", "boulevard", "blvd", "way",
    "court", "place", "square", "park", "bridge", "hospital", "clinic", "center", "centre", "university",
    "college", "school", "bank", "inc", "ltd", "llc", "corp", "company", "group", "county", "city",
    "island", "islands", "river", "lake", "mountain", "valley", "hall", "house", "building", "tower",
    "station", "airport", "church", "memorial", "foundation", "institute", "association", "society",
    "team", "club", "press", "review", "times", "post", "news", "day", "week", "month", "year",
})
# A line that is only a name, right above an address line (a house number, a unit, a box):
# the addressee of a letter or a label.
_NAME_LINE = regex.compile(
    rf"(?m)^[ \t>]*(?:(?:Mr|Mrs|Ms|Mx|Dr|Miss|Prof)\.?[ \t]+)?(?P<name>{_PART}(?:[ \t]+\p{{Lu}}\.?)?"
    rf"(?:[ \t]+{_PART}(?:-{_PART})*){{1,2}})[ \t]*\r?\n(?:[ \t>]*\r?\n)?[ \t>]*"
    rf"(?=\d{{1,6}}[ \t]+\p{{L}}|(?i:apt|suite|unit|p\.?[ \t]?o\.?[ \t]?box|psc)\b)"
)
_ITEM = rf"{NAME_WORD.pattern}(?:[ \t]+{NAME_WORD.pattern})?"
_LIST = regex.compile(
    rf"(?<![\w-]){_ITEM}(?:(?:[ \t]*,[ \t]*{_ITEM}){{1,8}}(?:[ \t]*,?[ \t]+(?:and|or|&)[ \t]+{_ITEM})?"
    rf"|[ \t]+(?:and|&)[ \t]+{_ITEM})(?![\w-])"
)
_LIST_ITEM = regex.compile(rf"{NAME_WORD.pattern}(?:[ \t]+{NAME_WORD.pattern})?")
# A list of single words in text without capitals: "smit, zhang and edwards", "norberg and smith".
_LOWER_ITEM = r"\p{Ll}{2,}"
_LOWER_LIST = regex.compile(
    rf"(?<![\w-]){_LOWER_ITEM}(?:(?:[ \t]*,[ \t]*{_LOWER_ITEM}){{1,8}}"
    rf"[ \t]*,?[ \t]+(?:and|or|&)[ \t]+{_LOWER_ITEM}|[ \t]+and[ \t]+{_LOWER_ITEM})(?![\w-])"
)
_LIST_JOINS = frozenset({"and", "or"})
_MIDDLE_INITIAL = regex.compile(r"[ \t]\p{Ll}\.?[ \t]")


_INFLECTIONS = (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"),
                ("ly", ""), ("ily", "y"), ("er", ""))
# A person's titles: part of the name they precede, never a name themselves.
TITLES = frozenset({"mr", "mrs", "ms", "mx", "dr", "prof", "sir", "madam", "miss"})
# Relations and roles that the census lists as (rare) given names: never a name on their own.
_RELATIONS = frozenset({"son", "daughter", "wife", "husband", "mother", "father", "brother", "sister",
                        "nurse", "doctor", "patient", "baby", "girl", "boy", "man", "lady"})
_CALENDAR = frozenset({
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
})


def _load_words(name: str) -> frozenset[str]:
    raw = (resources.files("chatdlp.detect") / "data" / name).read_text(encoding="utf-8")
    return frozenset(word for line in raw.splitlines() if not line.startswith("#") for word in line.split())


def _name_lists() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """Given names and surnames (the census lists and the international ones), and the
    names that only the international lists hold."""
    census_first, census_last = _load_words("census_first_names.txt"), _load_words("census_surnames.txt")
    world_first, world_last = _load_words("world_first_names.txt"), _load_words("world_surnames.txt")
    world = (world_first | world_last) - census_first - census_last
    return census_first | world_first, census_last | world_last, world


@dataclass(frozen=True)
class NameLexicon:
    """First names and surnames, and the common words that some of them also are."""

    first: frozenset[str]
    last: frozenset[str]
    common: frozenset[str]
    # Every word of the lemmatizer's tables, names that are also nouns included ("son",
    # "tyler"): in text without capitals only a word outside it is evidence of a name.
    ordinary: frozenset[str] = frozenset()

    # Names only the international lists hold. They are built from what people call
    # themselves on a social network: good evidence where case marks a name ("Mette",
    # "Yefremova"), none in notes written without case, where they would match clinical
    # shorthand (abd, cath, rehab).
    world: frozenset[str] = frozenset()
    # Software and assistants named like people (data/software_names.txt), common words too.
    products: frozenset[str] = frozenset()

    @classmethod
    def load(cls, common_words: Iterable[str]) -> NameLexicon:
        first, last, world = _name_lists()
        return cls(first, last, frozenset(common_words), world=world)

    @cached_property
    def caseless(self) -> NameLexicon:
        """The lexicon for text whose case says nothing: the census lists only."""
        if not self.world:
            return self
        return replace(self, first=self.first - self.world, last=self.last - self.world, world=frozenset())

    def for_text(self, text: str) -> NameLexicon:
        """This lexicon, or :attr:`caseless` for text in ALL CAPS or without capitals."""
        return self.caseless if is_caseless(text) else self

    @classmethod
    def for_pipeline(cls, nlp: Any) -> NameLexicon:
        """Common words from the pipeline's lemmatizer tables: stop words, adverbs and verbs
        ("Mark", "Will", "Grant"), and nouns and adjectives that are on no name list (those
        tables also hold "patrick" and "pauline", which are not ordinary words)."""
        first, last, world = _name_lists()
        first, last = first - _RELATIONS, last - _RELATIONS
        # Software and assistants named like people ("Kafka", "Django", "Claude"): alone, the product.
        products = _load_words("software_names.txt")
        common: set[str] = set(STOP_WORDS) | _CALENDAR | _RELATIONS | products
        ordinary: set[str] = set()
        try:
            lookups = nlp.get_pipe("lemmatizer").lookups
            for table_name in ("lemma_index", "lemma_exc"):
                table = lookups.get_table(table_name)
                for pos in ("adj", "adv", "verb", "noun"):
                    if pos not in table:
                        continue
                    entries = table[pos]
                    listed = entries if isinstance(entries, list) else entries.keys()
                    words = {w for w in listed if w.isalpha()}
                    ordinary |= words
                    # WordNet's nouns and adjectives hold proper names ("patrick", "pauline")
                    common |= words - first - last if pos in ("noun", "adj") else words
        except (KeyError, ValueError, AttributeError):
            pass  # a pipeline without lookup tables: only stop words are common
        return cls(first, last, frozenset(common), frozenset(common | ordinary), world, products)

    def is_ordinary(self, word: str) -> bool:
        """An ordinary word, inflected forms included ("continues", "stating", "extubated")."""
        lower = word.lower()
        if lower in self.ordinary or self.is_common(word):
            return True
        for suffix, replacement in _INFLECTIONS:
            if lower.endswith(suffix) and len(lower) > len(suffix) + 2:
                stem = lower[: -len(suffix)] + replacement
                if stem in self.ordinary or stem in self.common:
                    return True
        return False

    def _parts(self, word: str) -> list[str]:
        return [p for p in _NAME_JOINS.split(word.lower()) if p]

    def is_first(self, word: str) -> bool:
        return word.lower() in self.first

    def is_last(self, word: str) -> bool:
        parts = self._parts(word)
        return bool(parts) and (word.lower() in self.last or all(p in self.last for p in parts if len(p) > 1))

    def is_product(self, word: str) -> bool:
        """Software or an assistant named like a person ("Kafka", "Django", "Claude")."""
        return word.lower() in self.products

    def is_world(self, word: str) -> bool:
        """On the international lists only."""
        return word.lower() in self.world

    def is_common(self, word: str) -> bool:
        return word.lower().strip(".") in self.common

    def is_name(self, word: str) -> bool:
        """On a name list and not also an ordinary word."""
        return (self.is_first(word) or self.is_last(word)) and not self.is_common(word)

    def could_be_name(self, value: str) -> bool:
        """No word of ``value`` is an ordinary word that is no name, nor an ALL-CAPS
        abbreviation ("REMAINS INTUBATED", "HTN", "TOL WELL" after "PT" in a note)."""
        words = [w.strip(".,;:'’") for w in value.split()]
        words = [w for w in words if len(w) > 1]
        if not words:
            return False
        any_listed = False
        for word in words:
            listed = self.is_first(word) or self.is_last(word)
            any_listed = any_listed or listed
            if not listed and (self.is_ordinary(word) or (word.isupper() and len(word) <= 4)
                               or word.lower().endswith(("ed", "ing"))):
                return False
            if listed and word.lower() in STOP_WORDS:
                return False
        # In ALL CAPS nothing marks a name: one word at least must be a listed name.
        return any_listed or not value.isupper()


@dataclass(frozen=True)
class NameSpan:
    start: int
    end: int
    strong: bool  # two kinds of evidence (a listed first name and surname, a cue, a list)


class NameFinder:
    """Person names in NER's view of a text, from the lexicon, name shapes and cues."""

    def __init__(self, lexicon: NameLexicon, is_place: Callable[[str], bool] | None = None) -> None:
        """``is_place``: a listed country or city ("Austin and Dallas" is no pair of names)."""
        self.lexicon = lexicon
        self.is_place = is_place or (lambda value: False)
        self._caseless = self if lexicon.caseless is lexicon else NameFinder(lexicon.caseless, is_place)

    def find(
        self, view: str, gated: str | None = None, caseless: bool | None = None, care: bool = False,
    ) -> list[NameSpan]:
        """Names in ``view``; capitalised ones only where ``gated`` (the view with the
        sentences NER skips blanked, same length) still has text, when it is given.
        ``caseless``: the text was written in ALL CAPS or without capitals (default: judged
        from ``view``), where only the census lists count. ``care``: the text holds clinical
        shorthand, where an unknown word after a first name is no surname."""
        if (is_caseless(view) if caseless is None else caseless) and self._caseless is not self:
            return self._caseless.find(view, gated, False, care)
        found: dict[tuple[int, int], NameSpan] = {}
        for match in _TITLE_SEQUENCE.finditer(view if gated is None else gated):
            span = self._judge_title(view, match)
            if span is not None:
                found[(span.start, span.end)] = span
        for match in _NAME_LINE.finditer(view) if "\n" in view else ():
            found.setdefault(match.span("name"), NameSpan(match.start("name"), match.end("name"), True))
        if _is_lower_case_writing(view):
            for span in (*self._lower_case(view, care), *self._lower_case_lists(view)):
                found.setdefault((span.start, span.end), span)
        return sorted(found.values(), key=lambda s: (s.start, s.end))

    def _judge_title(self, view: str, match: regex.Match[str]) -> NameSpan | None:
        """The sequence of Titlecase words, or its tail when a leading word is no name
        ("Yesterday Brandon", "Unlike Dratchev")."""
        words = [(match.start() + m.start(), match.start() + m.end(), m.group())
                 for m in _NON_SPACE.finditer(match.group())]
        for index in range(len(words)):
            if index and len(words[index][2].rstrip(".")) == 1:
                continue  # a middle initial does not start a name
            span = self._judge_words(view, words[index:])
            if span is not None:
                return span
        return None

    def _judge_words(self, view: str, tokens: list[tuple[int, int, str]]) -> NameSpan | None:
        lex = self.lexicon
        start, end = tokens[0][0], tokens[-1][1]
        words = [w for _, _, w in tokens if len(w.rstrip(".")) > 1]
        if len(words) > 1 and (
            words[-1].lower() in _NOT_NAME_ENDINGS or all(lex.is_common(w) for w in words)
        ):
            return None
        before = view[max(0, start - 24) : start]
        cue = bool(_CUE.search(before))
        strong_cue = bool(_STRONG_CUE.search(before))
        if len(words) == 1:
            word = words[0]
            if lex.is_name(word) and lex.is_first(word) and not (
                lex.is_world(word) and opens_sentence(view, start, end)
            ):
                return NameSpan(start, end, strong_cue)
            if strong_cue and (lex.is_first(word) or lex.is_last(word) or not lex.is_common(word)):
                return NameSpan(start, end, True)
            if cue and not _starts_sentence(view, start) and (lex.is_name(word) or not lex.is_common(word)):
                return NameSpan(start, end, False)
            return None
        first, last = words[0], words[-1]
        if lex.is_first(first) and lex.is_last(last):
            return NameSpan(start, end, not (lex.is_common(first) and lex.is_common(last)))
        if strong_cue:
            return NameSpan(start, end, True)
        if lex.is_name(first) and lex.is_first(first) and not lex.is_common(last):
            return NameSpan(start, end, False)
        if lex.is_name(last) and lex.is_last(last) and not lex.is_common(first) and cue:
            return NameSpan(start, end, False)
        return None

    def in_lists(
        self, view: str, persons: Sequence[tuple[int, int]], caseless: bool | None = None
    ) -> list[NameSpan]:
        """The items of a list or pair of Titlecase words in which other items are names
        ("Hermansen and Lowery", "Jan, Kristi, Stephen and Julie"): an item that is an
        ordinary word stays out unless most of the list are names."""
        if (is_caseless(view) if caseless is None else caseless) and self._caseless is not self:
            return self._caseless.in_lists(view, persons, False)
        out: list[NameSpan] = []
        for match in _LIST.finditer(view):
            items = [(match.start() + m.start(), match.start() + m.end())
                     for m in _LIST_ITEM.finditer(match.group())]
            named = [any(s < e and b < t for s, t in persons) for b, e in items]
            if not any(named):
                # No item read as a person: a list of listed names all the same ("Becker and
                # Vasquez"), none of them a place or an ordinary word.
                if all(all(self.lexicon.is_name(w) for w in view[b:e].split())
                       and not self.is_place(view[b:e]) for b, e in items):
                    out.extend(NameSpan(b, e, False) for b, e in items)
                continue
            # With one person in it, listed names count as names: "Schulz, Strickland and Matthews".
            listed = [n or all(self.lexicon.is_name(w) for w in view[b:e].split())
                      for n, (b, e) in zip(named, items, strict=True)]
            most = sum(listed) * 2 >= len(items)
            for (b, e), is_named in zip(items, named, strict=True):
                words = view[b:e].split()
                if is_named or words[-1].lower() in _NOT_NAME_ENDINGS:
                    continue
                if most or not all(self.lexicon.is_common(w) for w in words):
                    out.append(NameSpan(b, e, most))
        return out

    def _lower_case(self, view: str, care: bool = False) -> list[NameSpan]:
        """Names in text written without capitals: a listed first name and surname together
        (a middle initial between them: "benjamin a seiler"), a listed first name and a word
        of no English vocabulary ("tracy wiśniewska"; not in clinical shorthand), or a name
        word after a strong cue ("dr healey", "son bill")."""
        lex = self.lexicon
        words = list(_LOWER_WORD.finditer(view))
        out: list[NameSpan] = []
        for index, match in enumerate(words):
            word = match.group()
            if word not in lex.first and word not in lex.last:
                continue
            before = view[max(0, match.start() - 24) : match.start()]
            following = words[index + 1] if index + 1 < len(words) else match
            between = view[match.end() : following.start()]
            adjacent = between in (" ", "\t") or _MIDDLE_INITIAL.fullmatch(between) is not None
            surname = following.group() if adjacent else ""
            first = bool(surname) and lex.is_first(word) and not lex.is_common(word)
            listed_pair = first and lex.is_last(surname) and (
                not lex.is_ordinary(word) or not lex.is_ordinary(surname)
            )
            unknown_surname = first and not care and len(surname) > 2 and not (
                lex.is_ordinary(surname) or lex.is_common(surname)
            )
            if listed_pair or unknown_surname:
                out.append(NameSpan(match.start(), following.end(), True))
            elif _STRONG_CUE.search(before) and lex.is_name(word):
                out.append(NameSpan(match.start(), match.end(), True))
        return out

    def _lower_case_lists(self, view: str) -> list[NameSpan]:
        """The items of a list in text written without capitals when most of them are listed
        names and two at least are no English word ("they had 6: silvana, adam, christopher,
        kristina, chad and caleb"; "norberg and smith"): every item that is a listed name or
        no word at all."""
        lex = self.lexicon
        out: list[NameSpan] = []
        for match in _LOWER_LIST.finditer(view):
            items = [(match.start() + m.start(), match.start() + m.end(), m.group())
                     for m in _LOWER_WORD.finditer(match.group()) if m.group() not in _LIST_JOINS]
            listed = [(lex.is_first(w) or lex.is_last(w)) and not lex.is_common(w) for _, _, w in items]
            unknown = [not lex.is_ordinary(w) for _, _, w in items]
            if sum(listed) * 3 < len(items) * 2 or sum(unknown) < 2:
                continue
            out.extend(NameSpan(b, e, True)
                       for (b, e, _), named, odd in zip(items, listed, unknown, strict=True) if named or odd)
        return out


_NON_SPACE = regex.compile(r"\S+")
_NAME_JOINS = regex.compile(r"[-'’]")


def opens_sentence(text: str, start: int, end: int) -> bool:
    """A word that starts a sentence and is not someone addressed or quoted ("Abd with
    hypoactive BS" in a note, not "Mette: what a wife" or "Mette, call me"): a capital there
    is no evidence of a name."""
    return _starts_sentence(text, start) and text[end : end + 1] not in (":", ",")


def _starts_sentence(view: str, start: int) -> bool:
    before = view[max(0, start - 3) : start].rstrip(" \t")
    return not before or before[-1] in ".!?\n:>\"'("


def is_caseless(text: str) -> bool:
    """Text in ALL CAPS or without capitals: its case says nothing about names."""
    return is_mostly_upper(text) or _is_lower_case_writing(text)


def _is_lower_case_writing(view: str) -> bool:
    """Prose written without capitals, where case says nothing about names."""
    characters = len(view) - view.count(" ") - view.count("\n")
    if characters < 20:
        return False
    return count_upper(view) / characters < 0.02


def list_spans(view: str) -> list[tuple[int, int]]:
    """Where :meth:`NameFinder.in_lists` can find names in ``view``: each list or pair of
    words ("Hermansen and Lowery"), as character spans (the tokens they need)."""
    return [(match.start(), match.end()) for match in _LIST.finditer(view)]
