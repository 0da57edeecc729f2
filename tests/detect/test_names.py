"""Name evidence: census lists, name shapes, cues and lists; through the real pipeline."""

import pytest

from chatdlp.detect.names import NameFinder, NameLexicon
from chatdlp.records import Message


@pytest.fixture(scope="module")
def finder(spacy_pipeline) -> NameFinder:
    return NameFinder(NameLexicon.for_pipeline(spacy_pipeline))


def _found(finder: NameFinder, text: str) -> list[str]:
    return [text[s.start : s.end] for s in finder.find(text)]


def test_lexicon_tells_names_from_words(finder) -> None:
    lex = finder.lexicon
    assert lex.is_name("Patricia") and lex.is_name("Tyler") and lex.is_last("Delacroix-Boyd") is False
    assert lex.is_last("Gonzalez") and lex.is_common("Mark") and lex.is_common("Will")
    assert not lex.is_name("Python") and not lex.is_name("May")


@pytest.mark.parametrize(("text", "names"), [
    ("Note for Maria Gonzalez please.", ["Maria Gonzalez"]),
    ("They had 6: Jan, Kristi, Stephen, Julie, Nina and Patricia.", ["Kristi", "Stephen", "Julie", "Nina", "Patricia"]),
    ("Yesterday Brandon went home early.", ["Brandon"]),
    ("Her maiden name is Nardone", ["Nardone"]),
    ("the leah holmberg version recorded for the label in the nineties", ["leah holmberg"]),
    ("pt seen by dr healey this morning, plan to wean vent later today", ["healey"]),
])
def test_names_found(finder, text: str, names: list[str]) -> None:
    assert all(name in _found(finder, text) for name in names), _found(finder, text)


@pytest.mark.parametrize("text", [
    "Deploy the UserManager to Jenkins and Docker on Python.",
    "Mark the test as done and Will it pass?",
    "In May we ship the Kafka consumer to Docker Hub.",
    "Grant Street is closed; take Harris Bank's car park.",
    "her son will visit later today and then the grace period ends for the team",
])
def test_near_misses_stay_quiet(finder, text: str) -> None:
    assert _found(finder, text) == []


@pytest.mark.parametrize(("text", "name"), [
    ("said Einar to Kristy after the meeting.", "Kristy"),
    ("Please call Mrs. Delacroix-Boyd about the claim.", "Delacroix-Boyd"),
    ("I spoke with Declan McDonald yesterday.", "McDonald"),
    ("x = None\nNote for Maria Gonzalez please.", "Maria Gonzalez"),
    ("Schulz, Strickland and Matthews founded it.", "Strickland"),
])
def test_detector_reports_names_ner_alone_drops(detector, text: str, name: str) -> None:
    [found] = detector.detect([Message("c", "m", "user", text)])
    start = text.index(name)
    assert any(d.reported and d.entity_type in ("PERSON", "PATIENT_NAME") and d.start <= start < d.end
               for d in found), found
