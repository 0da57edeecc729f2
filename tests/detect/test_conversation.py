"""Whole-conversation PHI and who introduced a value."""

from __future__ import annotations

from chatdlp.detect.conversation import (
    ENTITY,
    HealthVocabulary,
    introducers,
    lower_severity,
    phi_combinations,
)
from chatdlp.records import Category, Detection, Message, Severity


def _message(n: int, role: str, text: str, when: float | None = None) -> Message:
    return Message(conversation_id="c1", message_id=f"m{n}", role=role, text=text, created_at=when)


def _person(text: str, name: str) -> Detection:
    start = text.index(name)
    return Detection("pii.person", "PERSON", Category.PII, Severity.MEDIUM, 0.85, start, start + len(name), "pii")


VOCABULARY = HealthVocabulary.shipped()


def test_the_vocabulary_finds_conditions_and_medicines_whole_word() -> None:
    text = "She takes Metformin and sertraline for diabetes; no Tumors. Amelia is fine."
    found = [(text[t.start : t.end], t.kind) for t in VOCABULARY.find(text)]
    assert found == [("Metformin", "medicine"), ("sertraline", "medicine"), ("diabetes", "condition"),
                     ("Tumors", "condition")]
    assert VOCABULARY.find("a diabetesque word and subcancerous") == []


def test_a_name_then_a_diagnosis_turns_later_is_one_combination() -> None:
    first = "Can you help me write to my patient Dana Whitfield about her appointment?"
    turns = [
        (_message(1, "user", first, 1.0), [_person(first, "Dana Whitfield")]),
        (_message(2, "assistant", "Of course. What should it say?", 2.0), []),
        (_message(3, "user", "Tell her the biopsy confirmed melanoma and she should stop warfarin.", 3.0), []),
    ]
    [combination] = phi_combinations(turns, VOCABULARY)
    assert combination.message.message_id == "m3"
    assert combination.related_message_ids == ("m1",)
    assert combination.detection.entity_type == ENTITY
    assert combination.detection.severity is Severity.HIGH
    text = turns[2][0].text
    assert text[combination.detection.start : combination.detection.end] == "biopsy"


def test_health_information_first_then_the_name_completes_on_the_name() -> None:
    health = "What is a normal dose of lithium for bipolar disorder?"
    name = "It's for my brother Tomas Reyes."
    turns = [
        (_message(1, "user", health), []),
        (_message(2, "assistant", "Usually ..."), []),
        (_message(3, "user", name), [_person(name, "Tomas Reyes")]),
    ]
    [combination] = phi_combinations(turns, VOCABULARY)
    assert combination.message.message_id == "m3" and combination.related_message_ids == ("m1",)
    assert name[combination.detection.start : combination.detection.end] == "Tomas Reyes"


def test_no_combination_without_both_halves_or_from_the_assistant() -> None:
    assert phi_combinations([(_message(1, "user", "Explain how HIV treatment works."), [])], VOCABULARY) == []
    text = "Draft a note to Priya Natarajan about Friday's meeting."
    assert phi_combinations([(_message(1, "user", text), [_person(text, "Priya Natarajan")])], VOCABULARY) == []
    # The assistant explaining a medicine is not a disclosure about the person named.
    turns = [
        (_message(1, "user", text, 1.0), [_person(text, "Priya Natarajan")]),
        (_message(2, "assistant", "Sure. By the way, ibuprofen helps with headaches.", 2.0), []),
    ]
    assert phi_combinations(turns, VOCABULARY) == []


def test_a_health_word_that_is_part_of_a_detected_name_does_not_count() -> None:
    text = "Ask Shingles Malone and Dr Lupus about the invoice."
    detections = [_person(text, "Shingles Malone"), _person(text, "Lupus")]
    assert phi_combinations([(_message(1, "user", text), detections)], VOCABULARY) == []


def test_introduced_by_is_the_earliest_message_holding_the_value() -> None:
    user = "my SSN is 536-22-8194"
    echo = "Noted: 536-22-8194. An example SSN looks like 219-09-9999."

    def ssn(text: str, value: str) -> Detection:
        start = text.index(value)
        return Detection("pii.ssn", "US_SSN", Category.PII, Severity.HIGH, 0.9, start, start + 11, "pii")

    turns = [
        (_message(2, "assistant", echo, 20.0), [ssn(echo, "536-22-8194"), ssn(echo, "219-09-9999")]),
        (_message(1, "user", user, 10.0), [ssn(user, "536-22-8194")]),
    ]
    roles = introducers(turns, lambda m, d: m.text[d.start : d.end])
    assert roles == {"536-22-8194": "user", "219-09-9999": "assistant"}
    assert lower_severity(Severity.HIGH) is Severity.MEDIUM
    assert lower_severity(Severity.INFO) is Severity.INFO
