"""Postal addresses: a street line (or a post-office, military or unit box) and the address
lines that follow it, reported as one span.

An address is one piece of personal data written over several lines or comma-separated
parts: street and number, unit, town, region, postcode, country. NER sees at best the
town or the country. :class:`PostalAddressRecognizer` anchors on what only addresses
have, then takes in the parts that follow while they still look like address parts:

- a number and words ending in a street type, in English (``55 Halsey Road``,
  ``4589 40th Street``) or attached as in Germanic and Nordic languages
  (``Hochstrasse 96``, ``Björkvägen 55``, ``Kiannonkatu 98``);
- a leading street word (``Rue de la Sarthe 421``, ``ul. Narewska 94``, ``Via Roma 3``);
- a post-office, military or unit box (``P.O. Box 242``, ``PSC 6695, Box 2353``,
  ``USNS Botolen`` with ``FPO AE 12382``);
- after an address cue ("my address is", "lives at", "ship it to"), a street name
  and number without a street type (``Alt Reinickendorf 63``).

A part that follows is taken while it is short and made of capitalised words, numbers,
postcodes, unit designators and name particles; prose ends the address.
"""

from __future__ import annotations

from typing import Any

import regex
from presidio_analyzer import EntityRecognizer, RecognizerResult

ENTITY = "STREET_ADDRESS"
_NUM = r"\d{1,6}[A-Za-z]?(?:[-/]\d{1,4}[A-Za-z]?)?"
_PARTICLES = r"(?i:de|la|le|les|du|del|della|da|do|dos|das|van|von|der|den|di|of|the|y|e)"
_WORD = rf"(?:\p{{Lu}}[\p{{L}}'’.-]*|\d{{1,4}}(?:st|nd|rd|th)|{_PARTICLES})"
_SUFFIX = (
    r"(?:Street|St|Road|Rd|Avenue|Ave|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Square|Sq|"
    r"Terrace|Ter|Way|Highway|Hwy|Parkway|Pkwy|Circle|Cir|Trail|Trl|Crescent|Cres|Close|Row|Alley|"
    r"Route|Rte|Plaza|Walk|Mews|Grove|Gardens|Park|Loop|Pike|Path|Ridge|Heights|Green|Wharf|Quay|"
    r"Expressway|Freeway|Causeway|Esplanade|Broadway)\.?"
)
_LEADING = (
    r"(?:Rue|Avenue|Av\.|Avda\.?|Avenida|Via|Viale|Vicolo|Calle|Carrer|Rua|Praça|Plaza|Piazza|Strada|"
    r"Ulica|ul\.|Boulevard|Bd\.?|Chemin|Allée|Corso|Largo|Travessa|Camino|Carretera|Ctra\.|Paseo|"
    r"Rambla|Quai|Impasse|Ruta|Estrada|Avinguda|Passeig|Cours)"
)
_ATTACHED = (
    r"(?:straße|strasse|str\.|weg|gasse|platz|allee|damm|ufer|vej|vägen|vagen|gatan|gata|gade|"
    r"katu|tie|kuja|polku|väylä|laan|straat|plein|gracht|dijk|kade|singel|utca|ulica|rakpart|út|"
    r"cesta|ulice|veien|vegen|vei|stræde|bakken|steig|pfad|brücke)"
)
_BOX = (
    r"(?:P\.?[ \t]?O\.?[ \t]?Box|Post[ \t]+Office[ \t]+Box|PSC[ \t]+\d{3,5},?[ \t]+Box|"
    r"Unit[ \t]+\d{3,5},?[ \t]+Box|CMR[ \t]+\d{3,5},?[ \t]+Box)[ \t]+\d{1,6}"
)
_MILITARY = (
    r"(?:USNS|USNV|USS|USCGC|USNH)[ \t]+\p{Lu}[\p{L}'’-]+|(?:FPO|APO|DPO)[ \t]+(?:AA|AE|AP)[ \t]+\d{5}"
)
_ANCHOR = regex.compile(
    rf"""(?<![\w.-])(?=\d|\p{{Lu}}|ul\.)(?:
        {_NUM}(?:[ \t]+{_NUM})?[ \t]+(?:{_WORD}[ \t]+){{0,4}}{_SUFFIX}(?![\w'])(?:[ \t]+\d{{1,5}}\b)?
      | (?:{_NUM}[ \t]+)?{_LEADING}[ \t]+(?:{_WORD}[ \t]+){{0,4}}{_WORD}(?:[ \t,]+{_NUM})?
      | (?:{_NUM}[ \t]+){{0,2}}\p{{Lu}}\p{{Ll}}{{2,}}{_ATTACHED}[ \t]+{_NUM}(?![\w.,]\d)
      | {_BOX}
      | {_MILITARY}
    )""",
    regex.VERBOSE,
)
_CUE = regex.compile(
    r"(?i:\b(?:address(?:es)?(?:[ \t]+(?:is|to))?|lives?[ \t]+(?:at|on)|living[ \t]+at|moved[ \t]+to|"
    r"located[ \t]+at|"
    r"ship(?:ped)?(?:[ \t]+it)?[ \t]+to|send(?:[ \t]+it)?[ \t]+to|deliver(?:ed)?[ \t]+to|mail(?:ed)?[ \t]+to|"
    r"arrived[ \t]+at|taxi[ \t]+to|based[ \t]+at|resides[ \t]+at|here[ \t]+they[ \t]+are)[ \t]*:?[ \t]*)"
)
# After a cue: a street name and number without a street type, or a number and a street name.
_CUED = regex.compile(
    rf"(?:(?:{_NUM}[ \t]+)?(?:{_WORD}[ \t]+){{0,3}}\p{{Lu}}[\p{{L}}'’-]+[ \t]+{_NUM}\b"
    rf"|{_NUM}[ \t]+(?:{_WORD}[ \t]+){{0,3}}\p{{Lu}}[\p{{L}}'’-]+)"
)
_UNIT = (
    r"(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Flat|Floor|Fl\.?|Room|Rm\.?|Bldg\.?|Building|#)"
    r"[ \t]*\d{1,5}[A-Za-z]?"
)
# One token of the address parts after the anchor.
_PART_TOKEN = regex.compile(
    rf"{_UNIT}|[A-Z]{{1,2}}\d[A-Z\d]?[ \t]?\d[A-Z]{{2}}|[A-Z]\d[A-Z][ \t]?\d[A-Z]\d|\d{{2,6}}(?:-\d{{3,4}})?"
    rf"|\p{{Lu}}[\p{{L}}'’.-]*|(?i:de|la|le|les|du|del|da|do|dos|das|van|von|der|den|di|of|the|y|e|i|nan)(?![\w])"
)
# A unit (flat, suite) anchors an address too; the street line before it joins it.
_UNIT_ANCHOR = regex.compile(
    r"(?<![\w.-])(?i:apt\.?|apartment|suite|ste\.|postbox)[ \t]*#?\d{1,5}[A-Za-z]?(?![\w])"
)
_STREET_WORDS = r"\p{L}[\p{L}'’./-]*(?:[ \t]+\p{L}[\p{L}'’./-]*){0,4}"
_STREET_LINE = regex.compile(
    rf"^[ \t>]*(?:\d{{1,6}}[ \t]+){{0,2}}{_STREET_WORDS}[ \t]+\d{{1,6}}[A-Za-z]?[ \t,]*$"
    rf"|^[ \t>]*\d{{1,6}}(?:[ \t]+\d{{1,6}})?[ \t]+{_STREET_WORDS}[ \t,]*$"
)
_GAP = regex.compile(r"[ \t]*(?:,[ \t]*)?(?:\r?\n[ \t>]*){0,2}[ \t]*(?:,[ \t]*)?")
# Capitalised words that start prose or a sign-off, not an address line.
_NOT_PARTS = regex.compile(
    r"(?i:thanks|thank|regards|best|sincerely|cheers|please|dear|hi|hello|hey|kind|yours|sent|from|to|"
    r"subject|phone|tel|email|e-mail|fax|mobile|website|name|note|it|is|the|this|we|you|he|she|they|i)\b"
)
_MAX_LINES = 4
_MAX_TOKENS = 14


class PostalAddressRecognizer(EntityRecognizer):
    """Street addresses as one span from the street line to the last address part."""

    def __init__(self, supported_language: str = "en", supported_entities: list[str] | None = None) -> None:
        super().__init__(
            supported_entities=supported_entities or [ENTITY],
            name="PostalAddressRecognizer",
            supported_language=supported_language,
            context=[],
        )

    def load(self) -> None:
        return None

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        spans: list[tuple[int, int]] = []
        for start, end in find_addresses(text):
            if spans and start <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
            else:
                spans.append((start, end))
        return [
            RecognizerResult(ENTITY, start, end, 0.8, recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: "PostalAddressRecognizer",
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            })
            for start, end in spans
        ]


def find_addresses(text: str) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    for match in _ANCHOR.finditer(text):
        found.append((match.start(), _extend(text, match.end())))
    for match in _UNIT_ANCHOR.finditer(text):
        start, end = _street_before(text, match.start()), _extend(text, match.end())
        if (start, end) != match.span():  # a unit alone is no address ("test suite 5")
            found.append((start, end))
    for cue in _CUE.finditer(text):
        match = _CUED.match(text, cue.end())
        if match is not None:
            found.append((match.start(), _extend(text, match.end())))
    return sorted(found)


def _street_before(text: str, start: int) -> int:
    """The start of the street line just before a unit line ("Jagerij 64" before "Apt. 591")."""
    line_start = text.rfind("\n", 0, start) + 1
    if text[line_start:start].strip(" \t>,"):
        return start  # the unit is not at the start of its line
    previous_start = text.rfind("\n", 0, max(0, line_start - 1)) + 1
    previous = text[previous_start : max(previous_start, line_start - 1)]
    if line_start and _STREET_LINE.match(previous):
        return previous_start + len(previous) - len(previous.lstrip(" \t>"))
    return start


def _extend(text: str, end: int) -> int:
    """The end of the address parts that follow position ``end``."""
    lines = tokens = 0
    position = end
    while tokens < _MAX_TOKENS:
        gap = _GAP.match(text, position)
        assert gap is not None  # the pattern matches the empty string
        newline = "\n" in gap.group()
        token = _PART_TOKEN.match(text, gap.end())
        if token is None or token.end() == gap.end() or _NOT_PARTS.match(token.group()):
            break
        if text[position - 1] == "." and not newline and "," not in gap.group():
            break  # a sentence ends after the street: "10 Downing Street. It was"
        if newline:
            lines += 1
            if lines > _MAX_LINES or not _address_line(text, gap.end()):
                break
        following = text[token.end() : token.end() + 1]
        if following and (following.isalnum() or following in "@/"):
            break  # part of a longer word or an e-mail address, URL
        position = token.end()
        tokens += 1
    return position


def _address_line(text: str, start: int) -> bool:
    """A whole line of address parts (no prose after a capitalised word)."""
    line_end = text.find("\n", start)
    line = text[start : len(text) if line_end < 0 else line_end].strip(" \t,.>")
    if not line or len(line) > 60:
        return False
    position = 0
    while position < len(line):
        gap = _GAP.match(line, position)
        assert gap is not None
        token = _PART_TOKEN.match(line, gap.end())
        if token is None or token.end() == gap.end() or _NOT_PARTS.match(token.group()):
            return gap.end() >= len(line) and token is None
        position = token.end()
    return True
