"""Presidio's own recognizers and NER within bounds: windows that find a value across their
boundary whole, the phone matcher's cap on digit-dense text, the message budget, NER's
per-message cap; every cut counted by rule id (asserted on the work done, never on seconds)."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from presidio_analyzer import RecognizerResult
from presidio_analyzer.predefined_recognizers import EmailRecognizer, IbanRecognizer, PhoneRecognizer

from chatdlp.detect import bounded
from chatdlp.detect.bounded import (
    CUT_BUDGET,
    CUT_NER,
    CUT_PHONE,
    PHONE_CANDIDATES,
    WINDOW_CHARS,
    RecognizerBounds,
    phone_candidates,
    windowed_class,
)
from chatdlp.detect.matching import Budget
from chatdlp.records import Message, cut_key


def _digit_json(size: int) -> str:
    """A JSON dump of numbers (ids, timestamps, readings) of about ``size`` characters: the
    116 KB message Presidio's phone matcher spent about 5 s on."""
    rng = random.Random(18)
    rows = []
    while sum(len(json.dumps(r)) + 2 for r in rows) < size:
        rows.append({"id": rng.randint(10**6, 10**10), "ts": rng.randint(10**9, 2 * 10**9),
                     "v": [rng.randint(0, 99_999) for _ in range(4)], "p": round(rng.random() * 1000, 3)})
    return json.dumps(rows)


def _prose(size: int) -> str:
    words = ("the", "report", "was", "sent", "to", "review", "before", "noon", "and", "then", "filed")
    rng = random.Random(7)
    return " ".join(rng.choice(words) for _ in range(size // 5))[:size]


def _windowed(cls: type, budget: Budget | None = None, phone: bool = False) -> Any:
    recognizer = windowed_class(cls)(supported_language="en")
    recognizer.bounds = RecognizerBounds(budget or Budget(), ["rule.x"], phone=phone)
    return recognizer


def _spans(results: list[RecognizerResult]) -> list[tuple[str, int, int]]:
    return sorted((r.entity_type, r.start, r.end) for r in results)


def test_digit_dense_json_hands_the_phone_matcher_a_bounded_share_and_says_so(detector) -> None:
    text = _digit_json(116_000)
    assert phone_candidates(text) > 2 * PHONE_CANDIDATES  # the slow case: every number a candidate
    phone = detector.bounds["PhoneRecognizer"]
    read, cuts = phone.characters_read, detector.regex_timeouts.get(cut_key("pii.phone", CUT_PHONE), 0)
    detector.detect([Message("c", "m", "user", text)])
    handed = phone.characters_read - read
    assert 0 < handed < len(text) * 2 // 3  # before: the whole text, in every one of eight regions
    assert detector.regex_timeouts[cut_key("pii.phone", CUT_PHONE)] == cuts + 1


def test_a_phone_number_across_a_window_boundary_is_found_whole() -> None:
    number = "+1 (212) 555-0198"
    for shift in range(-len(number), 1, 3):
        head = _prose(WINDOW_CHARS + shift)
        text = f"{head} call {number} tomorrow. {_prose(3 * WINDOW_CHARS)}"
        at = text.index(number)
        found = _spans(_windowed(PhoneRecognizer, phone=True).analyze(text, ["PHONE_NUMBER"]))
        assert ("PHONE_NUMBER", at, at + len(number)) in found, shift
        assert all(not (s < at + len(number) and at < e) or (s, e) == (at, at + len(number))
                   for _, s, e in found)  # no piece of it found besides


@pytest.mark.parametrize("cls", [PhoneRecognizer, EmailRecognizer, IbanRecognizer])
def test_windows_find_what_the_recognizer_finds_on_the_whole_text(cls: type) -> None:
    rng = random.Random(3)
    values = ["+44 20 7946 0958", "jo.bloggs@corp.example.org", "GB82 WEST 1234 5698 7654 32",
              "(415) 555-2671", "DE89370400440532013000", "ann.lee@mail.example.com"]
    parts = []
    for _ in range(120):
        parts.append(_prose(rng.randint(50, 700)))
        parts.append(rng.choice(values))
    text = " ".join(parts)
    assert len(text) > 10 * WINDOW_CHARS
    plain = cls(supported_language="en")
    entities = plain.supported_entities
    assert _spans(_windowed(cls, phone=cls is PhoneRecognizer).analyze(text, entities)) == _spans(
        plain.analyze(text, entities))


def test_a_spent_message_budget_stops_a_recognizer_after_one_window_and_counts_it() -> None:
    budget = Budget(message_budget=1e-9)
    recognizer = _windowed(EmailRecognizer, budget)
    text = _prose(10 * WINDOW_CHARS)
    recognizer.analyze(text, ["EMAIL_ADDRESS"])
    assert recognizer.bounds.characters_read <= WINDOW_CHARS
    assert budget.timeouts == {cut_key("rule.x", CUT_BUDGET): 1}


def test_prose_has_no_phone_cut(detector) -> None:
    text = _prose(300_000) + " call me on +1 (212) 555-0198."
    before = dict(detector.regex_timeouts)
    [found] = detector.detect([Message("c", "m", "user", text)])
    assert any(d.rule_id == "pii.phone" and text[d.start:d.end] == "+1 (212) 555-0198" for d in found)
    assert detector.regex_timeouts == before


def test_ner_reads_at_most_its_cap_per_message_and_the_cut_is_counted(
    detector, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = detector.nlp_engine
    monkeypatch.setattr(engine, "ner_message_chars", 20_000)
    sentence = "Maria Gonzalez met Tobias Reinholt in Lisbon on Tuesday. "
    text = sentence * (60_000 // len(sentence))
    read, before = engine.ner_characters, dict(detector.regex_timeouts)
    [found] = detector.detect([Message("c", "m", "user", text)])
    assert 0 < engine.ner_characters - read <= 20_000
    cut = {k: n - before.get(k, 0) for k, n in detector.regex_timeouts.items() if n != before.get(k, 0)}
    ner_rules = [r.id for r in detector.policies.rules if r.uses_ner]
    assert ner_rules and cut == {cut_key(rule_id, CUT_NER): 1 for rule_id in ner_rules}
    assert any(d.start < 20_000 and d.entity_type == "PERSON" for d in found)


def test_the_phone_cap_counts_each_digit_group_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bounded, "PHONE_CANDIDATES", 10)
    text = " ".join(["order 1234567"] * 9) + " " + _prose(3 * WINDOW_CHARS)
    recognizer = _windowed(PhoneRecognizer, phone=True)
    recognizer.analyze(text, ["PHONE_NUMBER"])
    assert recognizer.bounds.cuts == 0 and recognizer.bounds.characters_read >= len(text)


def test_a_spent_regex_run_budget_does_not_stop_presidios_recognizers(
    detector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(detector.budget, "spent_run", detector.budget.run_budget)  # all spent
    text = _prose(50_000) + " call +1 (212) 555-0198"
    before = dict(detector.regex_timeouts)
    [found] = detector.detect([Message("c", "m", "user", text)])
    assert any(d.rule_id == "pii.phone" and text[d.start:d.end] == "+1 (212) 555-0198" for d in found)
    assert not any(CUT_BUDGET in key for key, n in detector.regex_timeouts.items() if n != before.get(key))
    assert detector.recognizer_budget.timeouts is detector.budget.timeouts  # cuts reported alike
