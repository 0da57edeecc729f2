"""Recognizers that a policy rule can name: ``presidio:ClassName`` (Presidio's predefined
recognizers) or ``chatdlp:ClassName`` (chatdlp's own, in :data:`CHATDLP_RECOGNIZERS`)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import tldextract
from presidio_analyzer import EntityRecognizer, PatternRecognizer
from presidio_analyzer import predefined_recognizers as predefined

from chatdlp.detect.addresses import PostalAddressRecognizer
from chatdlp.detect.bounded import RecognizerBounds, unwrapped, windowed_class
from chatdlp.detect.clinical_names import ClinicalFacilityRecognizer, ClinicalNameRecognizer
from chatdlp.detect.needs import DIGIT, pattern_needs
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


def build_recognizer(reference: str, entities: list[str], language: str,
                     bounds: RecognizerBounds | None = None) -> Any:
    """The recognizer ``reference`` names; with ``bounds``, one that reads a text in windows
    within them (:mod:`chatdlp.detect.bounded`; for recognizers that read the text only)."""
    cls: Any = recognizer_class(reference)  # predefined classes take keyword defaults
    name = reference.split(":", 1)[-1]
    if name == NER_RECOGNIZER:
        return cls(supported_language=language, supported_entities=entities)
    if bounds is not None:
        cls = windowed_class(cls)
    if name in _ANY_CASE:
        recognizer = cls(supported_language=language, regex_flags=re.DOTALL | re.MULTILINE | re.IGNORECASE)
    else:
        recognizer = cls(supported_language=language)
    if bounds is not None:
        recognizer.bounds = bounds
        recognizer.name = name  # the recognizer's own name, as results and rules know it
    return recognizer


# -- what a recognizer needs in a text to find anything --------------------------------

# Presidio recognizers whose analyze() finds only what their patterns match (the
# PatternRecognizer loop, or IbanRecognizer's copy of it), validators aside.
_PATTERNS_ONLY = frozenset({"IbanRecognizer"})


def requirements(recognizer: Any) -> frozenset[str] | None:
    r"""What a text must hold for ``recognizer`` to find anything in it: one of the
    returned needs (:data:`DIGIT`, or a punctuation character); None when nothing is
    certain. Presidio's phone recognizer needs a digit (phonenumbers matches runs of
    ``\d`` only); a pattern recognizer without a deny list needs, for each pattern, what
    :func:`pattern_needs` proves every match of it holds."""
    # A recognizer bounded to windows (detect/bounded.py) finds what its class finds, in
    # windows of the text: a text without the need has no window with it.
    cls: Any = unwrapped(type(recognizer))
    phone = predefined.PhoneRecognizer
    if isinstance(recognizer, phone) and cls.analyze is phone.analyze:
        return frozenset({DIGIT})
    if not isinstance(recognizer, PatternRecognizer):
        return None
    patterns: list[Any] = list(getattr(recognizer, "patterns", None) or [])
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
