"""Recognizers that a policy rule can name: ``presidio:ClassName`` (Presidio's predefined
recognizers) or ``chatdlp:ClassName`` (chatdlp's own, in :data:`CHATDLP_RECOGNIZERS`)."""

from __future__ import annotations

import re
from functools import lru_cache, partial
from typing import Any

import regex
import tldextract
from presidio_analyzer import EntityRecognizer, PatternRecognizer
from presidio_analyzer import predefined_recognizers as predefined

from chatdlp.detect.addresses import PostalAddressRecognizer
from chatdlp.detect.clinical_names import ClinicalFacilityRecognizer, ClinicalNameRecognizer
from chatdlp.errors import PolicyError


@lru_cache(maxsize=1)
def offline_tld_extractor() -> tldextract.TLDExtract:
    """tldextract with its bundled public-suffix snapshot: no fetch, no cache dir."""
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


class OfflineEmailRecognizer(predefined.EmailRecognizer):
    """Presidio's e-mail recognizer, validating domains without network access."""

    def validate_result(self, pattern_text: str) -> bool:
        return offline_tld_extractor()(pattern_text).fqdn != ""


# Classes replaced by an offline-safe subclass.
_OVERRIDES: dict[str, type[EntityRecognizer]] = {
    "EmailRecognizer": OfflineEmailRecognizer,
}
NER_RECOGNIZER = "SpacyRecognizer"
CHATDLP_RECOGNIZERS: dict[str, type[EntityRecognizer]] = {
    "PostalAddressRecognizer": PostalAddressRecognizer,
    "ClinicalNameRecognizer": ClinicalNameRecognizer,
    "ClinicalFacilityRecognizer": ClinicalFacilityRecognizer,
}


def recognizer_class(reference: str) -> type[EntityRecognizer]:
    """The class for ``presidio:ClassName`` or ``chatdlp:ClassName``; PolicyError when there is none."""
    if reference.startswith("chatdlp:"):
        own = CHATDLP_RECOGNIZERS.get(reference.removeprefix("chatdlp:"))
        if own is None:
            raise PolicyError(f"unknown recognizer '{reference}'")
        return own
    name = reference.removeprefix("presidio:")
    if name in _OVERRIDES:
        return _OVERRIDES[name]
    cls = getattr(predefined, name, None)
    if not (isinstance(cls, type) and issubclass(cls, EntityRecognizer)):
        raise PolicyError(f"unknown recognizer '{reference}'")
    return cls


# Recognizers whose values are written in either case in chat ("my iban is gb12spfc...");
# Presidio's default registry compiles them with IGNORECASE too.
_ANY_CASE = frozenset({"IbanRecognizer"})


def build_recognizer(reference: str, entities: list[str], language: str) -> Any:
    cls: Any = recognizer_class(reference)  # predefined classes take keyword defaults
    name = reference.split(":", 1)[-1]
    if name == NER_RECOGNIZER:
        return cls(supported_language=language, supported_entities=entities)
    if name in _ANY_CASE:
        return cls(supported_language=language, regex_flags=re.DOTALL | re.MULTILINE | re.IGNORECASE)
    return cls(supported_language=language)


# -- what a recognizer needs in a text to find anything --------------------------------

# Presidio recognizers whose analyze() finds only what their patterns match (the
# PatternRecognizer loop, or IbanRecognizer's copy of it), validators aside.
_PATTERNS_ONLY = frozenset({"IbanRecognizer"})
DIGIT = "digit"  # a decimal digit, as ``\d`` reads it
# Characters a pattern may need, in the order they are tried: punctuation, which no case
# folding maps another character onto (IGNORECASE leaves them alone).
_PUNCTUATION = "@:./-"


def requirements(recognizer: Any) -> frozenset[str] | None:
    r"""What a text must hold for ``recognizer`` to find anything in it: one of the
    returned needs (:data:`DIGIT`, or a punctuation character); None when nothing is
    certain. Presidio's phone recognizer needs a digit (phonenumbers matches runs of
    ``\d`` only); a pattern recognizer without a deny list needs, for each pattern, what
    :func:`pattern_needs` proves every match of it holds."""
    if isinstance(recognizer, predefined.PhoneRecognizer) and type(recognizer).analyze is (
        predefined.PhoneRecognizer.analyze
    ):
        return frozenset({DIGIT})
    if not isinstance(recognizer, PatternRecognizer):
        return None
    patterns: list[Any] = list(getattr(recognizer, "patterns", None) or [])
    cls = type(recognizer)
    if recognizer.deny_list or not patterns or (
        cls.analyze is not PatternRecognizer.analyze and cls.__name__ not in _PATTERNS_ONLY
    ):
        return None
    needs = set()
    for pattern in patterns:
        need = pattern_needs(pattern.regex)
        if need is None:
            return None
        needs.add(need)
    return frozenset(needs)


def pattern_needs(pattern: str) -> str | None:
    """Something every match of ``pattern`` holds (:data:`DIGIT`, else a character of
    :data:`_PUNCTUATION`), proven on its syntax tree: a class or literal that must occur
    (lookarounds and back-references prove nothing). None when nothing is proven or the
    pattern does not parse as Python's ``re`` reads it."""
    import re._parser as sre_parse  # the syntax tree of the re module

    try:
        tree = sre_parse.parse(pattern)
    except (re.error, OverflowError, RecursionError):
        return None
    if _must(tree, _is_digit_class):
        return DIGIT
    for char in _PUNCTUATION:
        if _must(tree, partial(_is_char, code=ord(char))):
            return char
    return None


def _is_digit_class(items: Any) -> bool:
    import re._constants as c

    return all(
        (o is c.LITERAL and 0x30 <= a <= 0x39) or (o is c.RANGE and 0x30 <= a[0] <= a[1] <= 0x39)
        or (o is c.CATEGORY and a is c.CATEGORY_DIGIT)
        for o, a in items
    )


def _is_char(items: Any, code: int) -> bool:
    import re._constants as c

    return all(o is c.LITERAL and a == code for o, a in items)


def _must(items: Any, is_needed: Any) -> bool:
    """Whether every match of the parsed ``items`` holds a character of a class that
    ``is_needed`` accepts (given a list of (op, argument) class items)."""
    import re._constants as c

    for op, av in items:
        if op in (c.LITERAL, c.CATEGORY) and is_needed([(op, av)]):
            return True
        if op is c.IN and av and is_needed(av):
            return True
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] >= 1 and _must(av[2], is_needed):
            return True
        if op is c.SUBPATTERN and _must(av[-1], is_needed):
            return True
        if op is c.ATOMIC_GROUP and _must(av, is_needed):
            return True
        if op is c.BRANCH and all(_must(branch, is_needed) for branch in av[1]):
            return True
    return False


_RE_DIGIT = re.compile(r"\d")
_REGEX_DIGIT = regex.compile(r"\d")


def has_digit(text: str) -> bool:
    """A decimal digit as ``re`` or ``regex`` reads ``\\d`` (their Unicode tables may differ)."""
    return _RE_DIGIT.search(text) is not None or _REGEX_DIGIT.search(text) is not None


def meets(text: str, needs: frozenset[str], digits: bool) -> bool:
    """Whether ``text`` (``digits``: it holds a digit) has one of ``needs``."""
    return any(digits if need == DIGIT else need in text for need in needs)
