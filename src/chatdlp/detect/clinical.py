"""Clinical notes: how they are recognised, and what changes in them.

Real chats are not labelled "clinical": a nurse pastes a note, a doctor asks about
a discharge summary. :func:`is_clinical` decides from the text itself: at least
two distinct words that mark clinical writing (``s/p``, ``prn``, ``MICU``,
``FiO2``, ``cc/hr``; ``data/clinical_terms.txt``, kind ``marker``). Ordinary words
that also mean something in a note (``map``, ``access``, ``resident``) are not
markers.

In a clinical text (HIPAA Safe Harbor counts every identifier of a patient):

- :func:`veto` takes back findings that are clinical vocabulary, not identifiers:
  drugs, devices and abbreviations read as names or places ("FOLEY CATH",
  "Propofol", "Swan", "@ baseline"), ages under 90 (not identifiers under
  Safe Harbor), lab and pressure series read as phone numbers ("7.34/41/104/23",
  "117-161/63-78"), and "word at word. word" read as a disguised e-mail address;
- :class:`ClinicalNameRecognizer` finds the names notes write without capitals or
  without a first name: after a clinical role or a relation ("DR SWACKHAMER
  AWARE", "np carol", "son bill", "wife, rose"), an initial and a surname
  ("B. KARGAS", "E. WELSH AWARE"), a name before a credential ("lander rrt",
  "O'connell MD"), and pager numbers;
- :class:`ClinicalFacilityRecognizer` finds hospitals and wards named with
  ordinary words before a facility word ("HOLY CROSS HOSP", "Laurel Regional",
  "Quartermain 2") and towns after "lives in".

The vocabulary (clinical words, drug names) is negative evidence everywhere here:
a word of it is never a name or a place in a note.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import ahocorasick
import regex
from spacy.lang.en.stop_words import STOP_WORDS

from chatdlp.detect.names import TITLES, NameLexicon
from chatdlp.detect.prefilter import fold

MIN_MARKERS = 2
_NAME_ENTITIES = frozenset({"PERSON", "PATIENT_NAME"})
_PLACE_ENTITIES = frozenset({"LOCATION", "HEALTHCARE_FACILITY"})
_WORD = regex.compile(r"[\p{L}][\p{L}'’-]*")


def _read(name: str) -> list[tuple[str, str]]:
    raw = (resources.files("chatdlp.detect") / "data" / name).read_text(encoding="utf-8")
    rows = []
    for line in raw.splitlines():
        if line and not line.startswith("#") and "\t" in line:
            kind, term = line.split("\t", 1)
            rows.append((kind, term))
    return rows


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[Any, frozenset[str]]:
    """The marker regex and the set of clinical words (one-word drug names included)."""
    rows = _read("clinical_terms.txt")
    markers = sorted((t for k, t in rows if k == "marker"), key=len, reverse=True)
    words = {t for k, t in rows if k in ("word", "marker")}
    words |= {t for k, t in _read("health_terms.txt") if k == "medicine" and " " not in t}
    pattern = regex.compile(
        r"(?<![\w/])(?:" + "|".join(regex.escape(m) for m in markers) + r")(?![\w/])", flags=regex.IGNORECASE
    )
    return pattern, frozenset(words)


@lru_cache(maxsize=1)
def _marker_automaton() -> Any:
    """The markers in one Aho-Corasick automaton (lower-case; every marker is ASCII)."""
    rows = _read("clinical_terms.txt")
    automaton = ahocorasick.Automaton()
    for marker in {t.lower() for k, t in rows if k == "marker"}:
        automaton.add_word(marker, len(marker))
    automaton.make_automaton()
    return automaton


def _surely_word(char: str) -> bool:
    """A character the marker regex's ``[\\w/]`` surely matches."""
    return char == "/" or (char.isascii() and (char.isalnum() or char == "_"))


def _may_be_clinical(text: str, markers: int = MIN_MARKERS) -> bool:
    """False when ``text`` cannot hold ``markers`` distinct markers: every place the
    marker regex can match is a place the automaton finds in the folded text (IGNORECASE
    matches an ASCII character only where :func:`~chatdlp.detect.prefilter.fold` gives it),
    unless a word character is surely next to it."""
    folded = fold(text)
    seen: set[str] = set()
    for end_index, length in _marker_automaton().iter(folded):
        start, end = end_index - length + 1, end_index + 1
        if (start and _surely_word(text[start - 1])) or (end < len(text) and _surely_word(text[end])):
            continue
        seen.add(text[start:end].lower())
        if len(seen) >= markers:
            return True
    return False


@lru_cache(maxsize=512)
def is_clinical(text: str, markers: int = MIN_MARKERS) -> bool:
    """Whether ``text`` reads as a clinical note: ``markers`` distinct clinical markers
    (one is enough to say it may be about care: :func:`~chatdlp.detect.ner_scoring.ner_score`)."""
    if not _may_be_clinical(text, markers):
        return False  # the regex would find fewer: most chat text is decided here, in C
    pattern, _ = _vocabulary()
    seen: set[str] = set()
    for match in pattern.finditer(text):
        seen.add(match.group().lower())
        if len(seen) >= markers:
            return True
    return False


def is_clinical_word(word: str) -> bool:
    """A clinical abbreviation, device or drug name ("foley", "levo", "Propofol", "SXN'D")."""
    _, words = _vocabulary()
    lower = word.lower().strip(".,;:'’-")
    if lower in words:
        return True
    for ending in ("'s", "’s", "s", "'d", "’d"):
        if lower.endswith(ending) and lower[: -len(ending)] in words:
            return True
    return False


# -- vetoes ------------------------------------------------------------------------

_AGE_VALUE = regex.compile(r"\d{1,3}")
_NUMBER_SERIES = regex.compile(r"\d[\d.]*[/-]\d[\d.]*/|/\d|\d/")
_PAGER_BEFORE = regex.compile(r"(?i:\b(?:pager|beeper|pg|page|bpr|ext|x)\b[ \t.:#]*)$")
_NAME_CUE_BEFORE = regex.compile(
    r"(?i:\b(?:dr|drs|dr's|doctor|mr|mrs|miss|rabbi|father|rev|son|daughter|daughters|wife|"
    r"husband|sister|brother|mother|mom|dad|niece|nephew|grandson|granddaughter|girlfriend|boyfriend|"
    r"friend|aunt|uncle|cousin|per|by|called|spoke\s+with)\b\.?[ \t,:]*)$"
)
_CREDENTIAL_AFTER = regex.compile(r"^,?[ \t]*(?i:md|m\.d\.|rn|rrt|np|pa|pa-c|bsn|lpn|crna|do)\b")
_PATIENT_CUE = regex.compile(r"(?i:\b(?:pt|patient)\b[\s.:#-]*)$")
_NEXT_WORD = regex.compile(r"[ \t]+([\w/'’-]+)")
# A person's titles, and the ways notes write a doctor's.
_TITLES = TITLES | {"drs", "dr's", "doctor"}
# Words before a facility word that make it no name ("prolonged hospital stay", "cardiac rehab").
GENERIC_PLACE_WORDS = frozenset({
    "prolonged", "previous", "prior", "outside", "other", "local", "same", "another", "acute", "cardiac",
    "pulmonary", "inpatient", "outpatient", "day", "during", "home", "public", "general", "state", "this",
    "that", "his", "her", "their", "our", "long", "short", "term", "stay", "admission", "nursing", "mental",
})
_FACILITY_WORDS = frozenset({
    "hospital", "hosp", "memorial", "medical", "center", "centre", "regional", "rehab", "house",
    "campus", "health", "clinic", "building", "infirmary", "hospice", "manor", "nursing", "general",
    "university", "college",
})


def _mostly_upper(text: str) -> bool:
    letters = [c for c in text[:2000] if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) > 0.6 * len(letters)


def veto(
    text: str, rule_id: str, entity: str, start: int, end: int, lexicon: NameLexicon, own: bool = False,
) -> str:
    """Why a finding in a clinical ``text`` is no identifier ("" when it stands). ``own``: the
    finding comes from a clinical recognizer, which has weighed the vocabulary already."""
    value = text[start:end]
    if entity == "AGE":
        number = _AGE_VALUE.search(value)
        if number is not None and int(number.group()) < 90:
            return "an age under 90 in a clinical note (not an identifier under HIPAA Safe Harbor)"
        return ""
    if entity == "PHONE_NUMBER":
        around = text[max(0, start - 1) : end + 1]
        if _NUMBER_SERIES.search(around) or "/" in value:
            return "a series of lab or pressure values in a clinical note"
        if sum(c.isdigit() for c in value) < 7 and not _PAGER_BEFORE.search(text[max(0, start - 12) : start]):
            return "too few digits for a telephone number in a clinical note"
        return ""
    if entity == "EMAIL_ADDRESS" and any(c.isspace() for c in value):
        return "clinical words around 'at', not a disguised e-mail address"
    if rule_id == "phi.patient_name" and _PATIENT_CUE.search(text[max(0, start - 12) : start]):
        words = [w.group() for w in _WORD.finditer(value)]
        if _mostly_upper(text) or not all(w[0].isupper() and name_like(w, lexicon) for w in words):
            return "a word after 'pt' in a clinical note (\"PT ABLE TO\"), not a name"
    if (entity in _NAME_ENTITIES or entity in _PLACE_ENTITIES) and not own:
        return _vocabulary_veto(text, entity, start, end, lexicon)
    return ""


def _vocabulary_veto(text: str, entity: str, start: int, end: int, lexicon: NameLexicon) -> str:
    value = text[start:end]
    words = [w.group() for w in _WORD.finditer(value)]
    # A title or an initial in the span is a name cue ("DR KLEIN", "Z. MILLER").
    cue = bool(words) and (words[0].lower() in _TITLES or (len(words) > 1 and len(words[0]) == 1))
    long_words = [w for w in words if len(w.strip("'’-")) > 2 and w.lower() not in _TITLES]
    if not long_words:
        if entity == "HEALTHCARE_FACILITY" and words and not all(is_clinical_word(w) for w in words):
            return ""  # "GH", "GBMC": a hospital's initials after a transfer cue
        return "an abbreviation in a clinical note, not a name or a place"
    # After a title a word written as a name is a name, clinical word or not ("Dr. Foley").
    titled_name = cue and words[0].lower() in _TITLES and all(
        w[0].isupper() and not w.isupper() for w in long_words
    )
    if all(is_clinical_word(w) for w in long_words) and not titled_name:
        return "clinical vocabulary (a drug, device or abbreviation), not a name or a place"
    if entity in _PLACE_ENTITIES and any(w.lower() in _FACILITY_WORDS for w in words) and not any(
        (w.lower() in STOP_WORDS and w.lower() != "of") or w.lower() in GENERIC_PLACE_WORDS
        or (w.lower().endswith(("ed", "ing")) and not name_like(w, lexicon))
        for w in words
    ):
        return ""
    cue = cue or bool(_NAME_CUE_BEFORE.search(text[max(0, start - 24) : start])) or bool(
        _CREDENTIAL_AFTER.match(text[end : end + 8])
    )
    if cue and entity in _NAME_ENTITIES:
        return ""
    titled = len(long_words) > 1 and all(w[0].isupper() and not w.isupper() for w in long_words)
    if titled and not _mostly_upper(text) and not any(is_clinical_word(w) for w in long_words):
        return ""  # "Sacred Heart", "Holy Cross" written as names in a mixed-case note
    if not any(name_like(w, lexicon) for w in long_words):
        return "ordinary and clinical words in a clinical note, not a name or a place"
    following = _NEXT_WORD.match(text, end)
    if (len(long_words) == 1 and lexicon.is_first(long_words[0]) and lexicon.is_ordinary(long_words[0])
            and following is not None
            and (following.group(1)[0].isdigit() or is_clinical_word(following.group(1)))):
        return "a given name that is also an ordinary word (\"Max temp\", \"AMBER urine\"), with no name cue"
    return ""


def name_like(word: str, lexicon: NameLexicon) -> bool:
    """A listed name that is no common word ("Klein", "Sullivan"), or a word that is on no
    list at all ("SWACKHAMER"); never a clinical word or a short ALL-CAPS abbreviation."""
    word = word.strip("'’-.,;:")
    if is_clinical_word(word) or (word.isupper() and len(word) <= 3) or word.lower() in STOP_WORDS:
        return False
    parts = [p for p in regex.split(r"[-'’]", word) if len(p) > 2]
    if len(parts) > 1:
        return all(name_like(p, lexicon) for p in parts)
    if lexicon.is_first(word) or lexicon.is_last(word):
        return not lexicon.is_common(word)
    return not lexicon.is_ordinary(word)
