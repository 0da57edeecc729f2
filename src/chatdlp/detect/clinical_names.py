"""Names and places that clinical notes write in their own way (see :mod:`chatdlp.detect.clinical`).

Both recognizers run only on texts :func:`~chatdlp.detect.clinical.is_clinical` accepts,
and take a word for a name only when it is not clinical vocabulary and is a listed
name or a word on no list (:func:`~chatdlp.detect.clinical.name_like`):

- :class:`ClinicalNameRecognizer`: a name after a clinical role ("DR SWACKHAMER AWARE",
  "np carol", "mr nicholson"), after a relation ("son bill", "wife, rose", "daughters
  sarah and margie"), an initial and a surname next to a clinical cue ("AS PER B. KARGAS",
  "E. WELSH AWARE"), and a name before a credential ("lander rrt", "O'connell MD");
- :class:`ClinicalFacilityRecognizer`: hospitals named with ordinary words before a
  facility word ("HOLY CROSS HOSP", "laurel regional"), a hospital's initials after a
  movement ("ARRIVED TO GH"), and towns where relatives live ("lives nearby in rockport",
  "daughter Grace of Towson").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import regex
from presidio_analyzer import EntityRecognizer, RecognizerResult
from spacy.lang.en.stop_words import STOP_WORDS

from chatdlp.detect.clinical import GENERIC_PLACE_WORDS, is_clinical, is_clinical_word, name_like
from chatdlp.detect.names import NameLexicon

_W = r"[\p{L}][\p{L}'’-]*"
# The roles before a clinician's or patient's name; never a second name word after one.
_ROLE_WORDS = frozenset({
    "drs", "dr's", "dr", "doctor", "np", "rn", "nurse", "rabbi", "rev", "mr", "mrs", "ms", "miss",
})
_ROLE = regex.compile(
    rf"(?i:\b(?P<cue>{'|'.join(sorted(_ROLE_WORDS, key=len, reverse=True))})\b(?:\.[ \t]*|[ \t]+))"
    rf"(?P<initial>\p{{L}}\.?[ \t]+(?=\p{{L}}{{2}}))?(?P<first>{_W})(?:[ \t]+(?P<second>{_W}))?"
    rf"(?:[ \t]+(?:and|&)[ \t]+(?P<third>{_W}))?"
)
_RELATION = regex.compile(
    rf"(?i:\b(?P<cue>sons?|daughters?|dtr|wife|husband|sisters?|brothers?|mother|father|mom|dad|niece|"
    rf"nephew|grandson|granddaughter|girlfriend|boyfriend|fiancee?|friend|aunt|uncle|cousin|partner|"
    rf"significant[ \t]+other)\b(?:[ \t]*,)?[ \t]+[\"“]?)"
    rf"(?P<first>{_W})(?:[ \t]+(?P<second>{_W}))?(?:[ \t]*,?[ \t]+(?:and|&)[ \t]+(?P<third>{_W}))?"
)
# A listed given name that opens the social section or calls or visits: "social: bill
# called", "and george called early this am", "CHARLIE (SIGNIFICANT OTHER) INTO VISIT".
_VISITOR = regex.compile(
    rf"(?i:\bsocial[ \t]*[:;-][ \t]*(?P<first>{_W})"
    rf"|(?<![\p{{L}}'’.-])(?P<first>{_W})(?=[ \t]+(?:\([^)\n]{{1,30}}\)[ \t]+)?(?:called|phoned|visited|"
    rf"came[ \t]+in|in(?:[ \t]+|)to[ \t]+visit|is[ \t]+visiting|was[ \t]+updated)\b))"
)
_INITIAL_SURNAME = regex.compile(
    rf"(?<![\p{{L}}.])(?P<initial>\p{{Lu}})\.?[ \t]+(?P<first>\p{{Lu}}{_W})"
)
_INITIAL_BEFORE = regex.compile(
    r"(?i:\b(?:per|by|dr|np|md|reported\s+to|discussed\s+with|spoke\s+with|called|paged|notified)\b[ \t.:]*)$"
)
_INITIAL_AFTER = regex.compile(
    r"^(?i:[ \t]*,?[ \t]*(?:aware|md|pa|np|rn|notified|ordered|informed|called|updated|placing|placed|"
    r"in[ \t]+to|spoke|made[ \t]+aware)\b)"
)
_CREDENTIAL = regex.compile(
    r"(?<=[\p{L}.][ \t]*,?[ \t]+)(?i:rrt|rn|bsn(?:/rn)?|md|np|pa-c|lpn|crna|lcsw|licsw|msw)\b"
)
_NAME_BEFORE = regex.compile(
    rf"(?<![\p{{L}}'’.-])(?P<first>{_W})(?:[ \t]+(?P<initial>\p{{L}})\.?)?(?:[ \t]+(?P<second>{_W}))?"
    rf"(?:[ \t]*,[ \t]*|[ \t]+)$"
)
_NOT_AFTER_ROLE = frozenset({"aware", "notified", "made", "called", "informed", "in", "at", "to", "team"})
_AMBIGUOUS_ROLES = frozenset({"np", "rn", "ms"})
_ENDS = frozenset({"and", "or", "the", "with"})


def _clean(word: str | None) -> str:
    return (word or "").strip("'’-")


class _ClinicalRecognizer(EntityRecognizer):
    """Shared plumbing: the name lists, given by the detector, and the clinical gate."""

    ENTITY = ""

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(supported_entities=[self.ENTITY], supported_language=supported_language,
                         name=type(self).__name__)
        self.lexicon: NameLexicon | None = None
        self._metadata: dict[str, Any] = {RecognizerResult.RECOGNIZER_NAME_KEY: type(self).__name__,
                                          RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id}

    def use_lexicon(self, lexicon: NameLexicon) -> None:
        self.lexicon = lexicon

    def load(self) -> None:  # nothing to load: the lists come with the detector
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        if self.lexicon is None or self.ENTITY not in entities or not is_clinical(text):
            return []
        return [RecognizerResult(self.ENTITY, s, e, score, recognition_metadata=dict(self._metadata))
                for s, e, score in self._find(text, self.lexicon)]

    def _find(self, text: str, lexicon: NameLexicon) -> Iterator[tuple[int, int, float]]:
        raise NotImplementedError


class ClinicalNameRecognizer(_ClinicalRecognizer):
    """Clinicians', patients' and relatives' names as notes write them (see the module)."""

    ENTITY = "PATIENT_NAME"

    def _find(self, text: str, lexicon: NameLexicon) -> Iterator[tuple[int, int, float]]:
        # Overlapping: "PER DR TYRO DR KLEIN HAD" holds two names after two roles.
        for match in _ROLE.finditer(text, overlapped=True):
            yield from self._cued(match, lexicon, relation=False)
        for match in _RELATION.finditer(text):
            yield from self._cued(match, lexicon, relation=True)
        for match in _VISITOR.finditer(text):
            given = _clean(match.group("first"))
            if self._given(given, lexicon) and lexicon.is_first(given) and not lexicon.is_common(given):
                yield match.start("first"), match.end("first"), 0.75
        for match in _INITIAL_SURNAME.finditer(text):
            surname = match.group("first")
            if not (_INITIAL_BEFORE.search(text[max(0, match.start() - 24) : match.start()])
                    or _INITIAL_AFTER.match(text[match.end() : match.end() + 16])):
                continue
            if self._surname(surname, lexicon):
                yield match.start(), match.end(), 0.8
        for credential in _CREDENTIAL.finditer(text):
            match = _NAME_BEFORE.search(text, max(0, credential.start() - 48), credential.start())
            if match is None:
                continue
            words = [_clean(match.group(g)) for g in ("first", "second") if match.group(g)]
            if words and all(self._surname(w, lexicon) for w in words):
                last = "second" if match.group("second") else "initial" if match.group("initial") else "first"
                yield match.start(), match.end(last), 0.8

    def _cued(self, match: regex.Match[str], lexicon: NameLexicon, relation: bool) -> Iterator[
            tuple[int, int, float]]:
        first, second, third = (_clean(match.group(g)) for g in ("first", "second", "third"))
        if relation:
            ok = self._given(first, lexicon)
        else:
            ok = first.lower() not in _NOT_AFTER_ROLE and self._surname(first, lexicon)
            if match.group("cue").lower() in _AMBIGUOUS_ROLES:
                # "ms given" (morphine), "4L NP. Breath sounds" (nasal prongs): a listed name only
                listed = lexicon.is_first(first) or (
                    lexicon.is_last(first) and not lexicon.is_ordinary(first))
                ok = ok and listed and "." not in match.group()[:4]
        if not ok:
            return
        end = match.end("first")
        if second and second.lower() not in _ENDS and second.lower() not in _ROLE_WORDS and self._surname(
            second, lexicon
        ):
            end = match.end("second")
        initial = match.groupdict().get("initial")
        yield match.start("initial") if initial else match.start("first"), end, 0.8
        if third and (self._given(third, lexicon) if relation else self._surname(third, lexicon)):
            yield match.start("third"), match.end("third"), 0.8

    @staticmethod
    def _surname(word: str, lexicon: NameLexicon) -> bool:
        """A word that can be a surname after a role: listed, or no common word (nor an
        inflected one: "notified", "rounds"); never clinical vocabulary."""
        if len(word) < 2 or is_clinical_word(word) or word.lower() in STOP_WORDS:
            return False
        if lexicon.is_first(word) or lexicon.is_last(word):
            return True
        if lexicon.is_common(word):
            return False
        # Adverbs are in the word tables themselves: "LAVELY" is no inflection of "lave".
        inflected = word.lower().endswith(("ed", "ing", "s")) and lexicon.is_ordinary(word)
        return not inflected

    @staticmethod
    def _given(word: str, lexicon: NameLexicon) -> bool:
        """A listed given name after a relation, ordinary or not ("son bill", "wife rose")."""
        if len(word) < 2 or is_clinical_word(word) or word.lower() in STOP_WORDS:
            return False
        titled = word[0].isupper() and not word.isupper()
        return lexicon.is_first(word) or (titled and name_like(word, lexicon))


_FACILITY_HEAD = regex.compile(
    r"(?i:\b(?P<head>hospital|hosp|memorial|regional|medical[ \t]+center|med[ \t]+center|campus|rehab|house|"
    r"health|building)\b)"
)
_WORDS_BEFORE = regex.compile(rf"(?:{_W}[ \t]+){{1,3}}$")
_STRONG_HEADS = frozenset({"hospital", "hosp", "memorial", "regional", "medical center", "med center"})
_INITIALS = regex.compile(
    r"(?i:\b(?:sent|transferred|transfered|tx'?d|txd|tx|went|came|arrived|arrival|admitted|brought|taken|returned|"
    r"transported|flown|presented|back|(?:is|was|in)[ \t]+(?:the[ \t]+)?(?:ed|er|ew))[ \t]+(?:back[ \t]+)?"
    r"(?:to|from|at|into|in)[ \t]+(?:the[ \t]+)?(?:(?:ed|er|ew)[ \t]+(?:at|of)[ \t]+)?)"
    r"(?P<name>\p{Lu}{2,4})\b(?![ \t]*[\d/:-]|['’])"
)
# A ward or building named like a person, with its floor or unit number, after a movement or
# a place word: "TRANSFERRED TO QUARTERMAIN 2", "INTUBATED ON Wilkins 4", "PLAN: HALSTEAD 3 WHEN BED".
_WARD = regex.compile(
    r"(?i:\b(?:to|on|from|transfer|transferred|transfered|tx'?d|plan:?|back[ \t]+to)[ \t]+(?:the[ \t]+)?)"
    rf"(?P<name>{_W})[ \t]+(?P<number>\d{{1,2}})(?![\w/:%-]|[.,]\d|[ \t]*(?i:mg|mcg|ml|cc|l\b|units?|"
    r"hours?|hrs?|mins?|days?|x\b|times|lpm|liters?|%))"
)
_TOWN = regex.compile(
    rf"(?i:\b(?:lives?|living|resides?|residing|home)(?:[ \t]+(?:nearby|alone|here|there))?[ \t]+in[ \t]+|"
    rf"\b(?:sons?|daughters?|wife|husband|sisters?|brothers?|niece|nephew|family)\b[^.\n]{{0,30}}?"
    rf"\b(?:of|from)[ \t]+)"
    rf"(?P<name>{_W}(?:[ \t]+{_W})?)"
)


class ClinicalFacilityRecognizer(_ClinicalRecognizer):
    """Hospitals, wards and towns as notes write them (see the module)."""

    ENTITY = "HEALTHCARE_FACILITY"

    def _find(self, text: str, lexicon: NameLexicon) -> Iterator[tuple[int, int, float]]:
        for match in _FACILITY_HEAD.finditer(text):
            before = _WORDS_BEFORE.search(text, max(0, match.start() - 60), match.start())
            if before is None:
                continue
            words = list(regex.finditer(_W, text, pos=before.start(), endpos=before.end()))
            head = " ".join(match.group("head").lower().split())
            kept = []
            for word in reversed(words):  # the name words right before the head
                value = _clean(word.group())
                lower = value.lower()
                if lower in STOP_WORDS or lower in GENERIC_PLACE_WORDS or is_clinical_word(value) or (
                    lower.endswith(("ed", "ing")) and not name_like(value, lexicon)
                ):
                    break
                kept.append(word)
            if not kept:
                continue
            named = any(name_like(_clean(w.group()), lexicon) for w in kept)
            if head in _STRONG_HEADS or named:
                yield kept[-1].start(), match.end("head"), 0.8
        for match in _INITIALS.finditer(text):
            value = match.group("name")
            if not (is_clinical_word(value) or lexicon.is_ordinary(value) or value.lower() in STOP_WORDS):
                yield match.start("name"), match.end("name"), 0.8
        for match in _WARD.finditer(text):
            value = match.group("name")
            if len(value) > 3 and name_like(value, lexicon) and not lexicon.is_first(value):
                yield match.start("name"), match.end("number"), 0.7
        for match in _TOWN.finditer(text):
            words = [w for w in regex.finditer(_W, match.group("name"))]
            kept = []
            for word in words:
                if not name_like(_clean(word.group()), lexicon):
                    break
                kept.append(word)
            if kept:
                yield match.start("name"), match.start("name") + kept[-1].end(), 0.8
