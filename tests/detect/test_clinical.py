"""Clinical notes: recognised from their own words; vocabulary, young ages and lab series are
not identifiers there. Through the real pipeline and the default policy."""

import pytest

from chatdlp.detect.clinical import _may_be_clinical, _vocabulary, is_clinical, is_clinical_word
from chatdlp.records import Message


def _reported(detector, text: str) -> list[tuple[str, str]]:
    [found] = detector.detect([Message(conversation_id="c", message_id="m", role="user", text=text)])
    return [(d.entity_type, text[d.start : d.end]) for d in found if d.reported]


@pytest.mark.parametrize("text", [
    "Pt s/p CABG, on heparin gtt, SBP 90s.",
    "PT ADMITTED TO MICU, FIO2 40%, PRN LASIX.",
])
def test_clinical_text_is_recognised(text: str) -> None:
    assert is_clinical(text)


@pytest.mark.parametrize("text", [
    "Can you review the PR before the standup?",
    "Map the resident set size; access the social feed.",  # ordinary words that notes also use
    "Mark the pt. where the curve bends.",  # near miss: one marker is not enough
])
def test_other_text_is_not_clinical(text: str) -> None:
    assert not is_clinical(text)


def _by_regex(text: str, markers: int = 2) -> bool:
    pattern, _ = _vocabulary()
    return len({m.group().lower() for m in pattern.finditer(text)}) >= markers


@pytest.mark.parametrize("text", [
    "Pt s/p CABG, on heparin gtt.",
    "pt ſ/p cabg",  # IGNORECASE reads the long s as s
    "İCU and PRN",  # and the dotted capital I as i
    "\u212aCL given, ICU",  # the Kelvin sign as K
    "(prn) [icu] pt: ngt.",  # markers between punctuation
    "pt\u0301 icu prn",  # a combining accent after a marker (a word character for the regex)
    "pt/icu prn_ icu",  # "/" and "_" next to a marker
    "Can you review the PR before the standup?",
    "Mark the pt. where the curve bends.",
])
def test_the_marker_automaton_never_rules_out_what_the_regex_accepts(text: str) -> None:
    # The automaton decides most texts; the regex decides the others: never a different answer.
    assert not _by_regex(text) or _may_be_clinical(text)
    assert is_clinical(text) == _by_regex(text)
    # one marker (a text about care, for NER scoring): the same promise
    assert not _by_regex(text, 1) or _may_be_clinical(text, 1)
    assert is_clinical(text, 1) == _by_regex(text, 1)


def test_clinical_vocabulary() -> None:
    assert is_clinical_word("Propofol") and is_clinical_word("FOLEY") and is_clinical_word("levo")
    assert is_clinical_word("sxn'd") and is_clinical_word("ABGs")
    assert not is_clinical_word("Whitfield") and not is_clinical_word("Baltimore")


@pytest.mark.parametrize("text", [
    "NEURO: SEDATED ON PROPOFOL AND ATIVAN GTTS, S/P CABG, PRN MSO4.\nGU: FOLEY CATH DRAINING.",
    "Renal: Quinton cath in Left SC. Pt s/p HD, on heparin gtt. Cont vent support.",
])
def test_drugs_and_devices_are_not_names_in_notes(detector, text: str) -> None:
    assert not [v for e, v in _reported(detector, text) if e in ("PERSON", "PATIENT_NAME", "LOCATION")]


def test_ages_under_90_are_not_identifiers_in_notes(detector) -> None:
    young = _reported(detector, "67 YO FEMALE ADMITTED TO MICU S/P CABG, PRN LASIX.")
    old = _reported(detector, "93 YO FEMALE ADMITTED TO MICU S/P CABG, PRN LASIX.")
    assert not [v for e, v in young if e.startswith("AGE")]
    assert [v for e, v in old if e.startswith("AGE")] == ["93"]
    # outside a note, an age stays what it is
    assert [v for e, v in _reported(detector, "He just turned 67 years old") if e == "AGE"] == ["67"]


def test_lab_series_are_not_phone_numbers_in_notes(detector) -> None:
    text = "Pt on PSV, s/p extubation. ABG 7.34/41/104/23. BP 117-161/63-78. Son can be reached at 410 392 0780."
    phones = [v for e, v in _reported(detector, text) if e == "PHONE_NUMBER"]
    assert phones == ["410 392 0780"]


def test_at_phrases_are_not_disguised_emails_in_notes(detector) -> None:
    text = "Insulin gtt at 2 units. \nno changes, pt s/p CABG, on lasix prn, BP stable."
    assert not [v for e, v in _reported(detector, text) if e == "EMAIL_ADDRESS"]
    # outside a note, a spelled-out address is still found
    assert [e for e, _ in _reported(detector, "mail me at dana.whitfield at gmail dot com") if e == "EMAIL_ADDRESS"]


def test_a_real_name_in_a_note_stays(detector) -> None:
    text = "Pt s/p CABG, on heparin gtt. Dr. Whitfield aware, plan to wean vent; wife Dana at bedside."
    values = [v for e, v in _reported(detector, text) if e in ("PERSON", "PATIENT_NAME")]
    assert any("Whitfield" in v for v in values) and any("Dana" in v for v in values)
