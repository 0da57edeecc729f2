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


# -- the international lists (data/world_*.txt, from names-dataset) -------------------------

def test_world_lists_add_names_beyond_the_census_and_no_words(finder) -> None:
    lex = finder.lexicon
    assert lex.is_world("Sigrun") and lex.is_first("Sigrun") and lex.is_name("Sigrun")
    assert lex.is_world("Haraldsson") and lex.is_last("Haraldsson")
    # the build drops ordinary words, shorthand and short entries: none of these is listed
    assert not any(lex.is_world(w) for w in ("Server", "States", "Abd", "Og", "Python", "Release"))
    # text without case gets the census lists only
    assert not lex.caseless.is_first("Sigrun") and lex.caseless.is_first("Patricia")


@pytest.mark.parametrize(("text", "names"), [
    ("Why is Sigrun so quiet today?", ["Sigrun"]),
    ("Ngozi Haraldsson booked the room for Friday.", ["Ngozi Haraldsson"]),
    ("Takeshi: can you resend the invoice?", ["Takeshi"]),
])
def test_international_names_found(finder, text: str, names: list[str]) -> None:
    assert all(name in _found(finder, text) for name in names), _found(finder, text)


@pytest.mark.parametrize("text", [
    # a lone international name opening a sentence is no evidence (clinical shorthand)
    "Cath at that time revealed severe disease.",
    # in text written without capitals only the census lists count
    "pt tolerated cath well, sigrun valve not attempted today due to secretions",
    "PT TOLERATED CATH WELL. SIGRUN VALVE NOT ATTEMPTED.",
])
def test_international_names_near_misses(finder, text: str) -> None:
    assert _found(finder, text) == []


def test_pair_of_listed_names_without_ner(finder) -> None:
    text = "Becker and Vasquez were precision engineers."
    spans = finder.in_lists(text, [])
    assert [text[s.start : s.end] for s in spans] == ["Becker", "Vasquez"]
    # a pair that holds an ordinary word or a place is no pair of names
    places = NameFinder(finder.lexicon, lambda value: value.lower() in {"austin", "dallas"})
    assert places.in_lists("Austin and Dallas were hot.", []) == []
    assert finder.in_lists("Python and Becker were there.", []) == []


# -- text written without capitals ------------------------------------------------------------

@pytest.mark.parametrize(("text", "names"), [
    # a listed first name and a word of no English vocabulary
    ("please follow up with tracy wiśniewska about the refund next week", ["tracy wiśniewska"]),
    # a middle initial between a listed first name and surname
    ("the report was signed by benjamin a seiler on friday afternoon", ["benjamin a seiler"]),
    # a list in which most items are listed names
    ("we invited four of them: marisol, dmitri, caleb and yusuf, all from the same class",
     ["marisol", "dmitri", "caleb", "yusuf"]),
    ("the shop was founded by kowalczyk and brennan in the spring", ["kowalczyk", "brennan"]),
])
def test_lower_case_names_found(finder, text: str, names: list[str]) -> None:
    assert all(name in _found(finder, text) for name in names), _found(finder, text)


@pytest.mark.parametrize(("text", "care"), [
    ("give david a call when the build is green and the release is out", False),  # "a call": words
    ("we need eggs, milk, bread and butter for the weekend and some coffee", False),  # no names
    ("grace, hope and faith were the words on the card she sent this morning", False),  # words
    # in clinical shorthand an unknown word after a first name is no surname
    ("pt seen this am, tolerating feeds, jean qshift labs pending, will recheck later", True),
])
def test_lower_case_near_misses(finder, text: str, care: bool) -> None:
    assert [s for s in finder.find(text, care=care) if s.strong] == [], _found(finder, text)


# -- software named like people ----------------------------------------------------------------

def test_software_named_like_people_is_no_lone_name(finder, detector) -> None:
    lex = finder.lexicon
    assert lex.is_last("Kafka") and not lex.is_name("Kafka") and not lex.is_name("Django")
    [found] = detector.detect([Message("c", "m", "user", "hey, Kafka keeps timing out in staging again")])
    assert not [d for d in found if d.reported and d.entity_type == "PERSON"], found
    # a first name and surname together are still a name
    assert "Franz Kafka" in _found(finder, "I am reading Franz Kafka on the train.")
