"""What a Presidio recognizer needs in a text to find anything, and the registry that leaves
out the recognizers sure to find nothing: the same results either way."""

from __future__ import annotations

import pytest

from chatdlp.detect.needs import DIGIT, pattern_needs
from chatdlp.detect.recognizers import requirements

TEXTS = [
    "Please send the contract to Maria Garcia by Friday.",
    "My SSN is 536-22-8714 and my card is 4539 1488 0343 6467.",
    "Mail dana.whitfield@contoso.com or call +1 206 342 8871.",
    "Our IBAN is GB33BUKB20201555555555; the server is 10.0.4.17 or fe80::1ff:fe23:4567:890a.",
    "Nothing to see in this message about the quarterly roadmap.",
    "ip ::1 and :: and the NHS number 943 476 5919, NINO QQ 12 34 56 C",
    "password = hunter2-Correct-Horse, api_key: sk_live_51H8xYzAbCdEfGhIjKlMnOp",
    "Pt s/p CABG, on heparin gtt, SBP 90s, lives in Rockport; son bill aware, dr healey.",
]


@pytest.mark.parametrize(("pattern", "need"), [
    (r"\b\d{3}-\d{2}-\d{4}\b", DIGIT),
    (r"(?:\d|[0-9])x", DIGIT),
    (r"(\d)+", DIGIT),
    (r"(?i)[0-5]{2}", DIGIT),
    (r"\w+[@]\w+\.\w+", "@"),
    (r"(?:a:|b::)", ":"),
    (r"a|\d", None),  # near miss: one branch needs no digit
    (r"\d?x", None),  # near miss: an optional digit
    (r"x\d{0,2}", None),
    (r"[0-9a]", None),  # a class that is not only digits
    (r"(?=\d)\w", None),  # a lookahead proves nothing
    (r"[@:]", None),
    (r"\p{Lu}\d", None),  # not re syntax: nothing is proven
])
def test_what_a_pattern_needs(pattern: str, need: str | None) -> None:
    assert pattern_needs(pattern) == need


def test_recognizers_with_a_need_find_nothing_without_it(detector) -> None:
    recognizers = detector.registry.recognizers
    needs = {r.name: requirements(r) for r in recognizers}
    assert needs["PhoneRecognizer"] == {DIGIT} and needs["UsSsnRecognizer"] == {DIGIT}
    assert needs["SpacyRecognizer"] is None and needs["ItFiscalCodeRecognizer"] is None
    for recognizer in recognizers:
        need = needs[recognizer.name]
        if need is None:
            continue
        for text in TEXTS:
            bare = "".join(" " if c.isdecimal() or c in need else c for c in text)
            assert recognizer.analyze(bare, recognizer.supported_entities, None) == [], recognizer.name


def test_the_registry_leaves_out_only_recognizers_that_find_nothing(detector) -> None:
    registry = detector.registry
    entities = list(detector.entities)
    everyone = registry.get_recognizers("en", entities)
    left_out = 0
    for text in TEXTS:
        with registry.for_text(text):
            kept = registry.get_recognizers("en", entities)
        assert [r for r in everyone if r in kept] == kept  # the same order
        for recognizer in everyone:
            if recognizer not in kept and recognizer.name != "SpacyRecognizer":
                left_out += 1
                assert recognizer.analyze(text, entities, None) == [], recognizer.name
    assert left_out > len(TEXTS) * 50  # most rule recognizers are left out of most texts
    assert registry.get_recognizers("en", entities) == everyone  # outside for_text: all of them


def test_rule_patterns_with_a_need_match_nothing_without_it(detector) -> None:
    # Every rule's own examples, with what a pattern needs taken out, hold no match of it.
    from chatdlp.detect.matching import Budget, TextView
    from chatdlp.detect.rules import RuleRecognizer

    proven = 0
    for recognizer in detector.registry.recognizers:
        if not isinstance(recognizer, RuleRecognizer):
            continue
        examples = [*recognizer.rule.examples_match, *recognizer.rule.examples_no_match, *TEXTS]
        for (_, matcher, _), need in zip(recognizer._patterns, recognizer._needs, strict=True):
            if need is None:
                continue
            proven += 1
            for text in examples:
                if recognizer._meets(text, need):
                    bare = "".join(" " if c.isdecimal() or c in need else c for c in text)
                    assert not recognizer._meets(bare, need)
                    assert matcher.spans(TextView(bare), Budget(), recognizer.rule.id) == [], recognizer.rule.id
    assert proven >= 10
