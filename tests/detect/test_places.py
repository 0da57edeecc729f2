"""Place evidence: the GeoNames gazetteer and place cues; through the real pipeline."""

import pytest

from chatdlp.detect.names import NameLexicon
from chatdlp.detect.places import PlaceFinder
from chatdlp.records import Message


@pytest.fixture(scope="module")
def places(spacy_pipeline) -> PlaceFinder:
    lexicon = NameLexicon.for_pipeline(spacy_pipeline)
    return PlaceFinder(lexicon.is_common, lexicon.is_name)


def _found(places: PlaceFinder, text: str, caseless: bool | None = None) -> list[str]:
    return [text[s.start : s.end] for s in places.find(text, caseless)]


def test_gazetteer_knows_countries_and_cities(places) -> None:
    assert places.is_listed("Burkina Faso") and places.is_listed("the Maldives")
    assert places.is_listed("Vancouver") and places.is_listed("Espoo")
    assert not places.is_listed("Deanwell") and not places.is_listed("Python")


@pytest.mark.parametrize(("text", "found"), [
    ("He flew in from Mali last week.", ["Mali"]),
    ("Burkina Faso was super fun to visit!", ["Burkina Faso"]),
    ("i'm originally from switzerland, and you?", ["switzerland"]),
    ("The agency is based in KURZENKIRCHEN.", ["KURZENKIRCHEN"]),
    ("We returned to Deanwell by helicopter.", ["Deanwell"]),
    ("My sister moved to Jordan in May.", ["Jordan"]),
    ("Antigua and Barbuda 28975", ["Antigua and Barbuda"]),
])
def test_places_found(places, text: str, found: list[str]) -> None:
    assert _found(places, text) == found


@pytest.mark.parametrize("text", [
    "Chad Smith and Jordan will join the call.",  # countries that are names, no place word
    "Turkey and gravy for dinner.",  # a country that is a word
    "Deploy it to AWS later.",  # an acronym after a place word
    "I talked to Victoria about the roadmap.",  # a city that is a name, after "to"
    "the china in the cabinet is fragile, Mark said.",  # lower case in text with capitals
])
def test_place_near_misses(places, text: str) -> None:
    assert _found(places, text) == []


def test_caseless_text_takes_listed_places_only(places) -> None:
    # in a note in capitals, "in BP" or "to CATH" after a cue is no place; a listed city is
    assert _found(places, "SISTER IS LIVING IN ROME. RETURNED TO SIMV.", caseless=True) == ["ROME"]


@pytest.mark.parametrize(("text", "place"), [
    ("The agency is based in KURZENKIRCHEN.", "KURZENKIRCHEN"),
    ("He's injured, he came home from Mali, but Aslak is fine.", "Mali"),
    ("i'm originally from switzerland", "switzerland"),
])
def test_detector_reports_places(detector, text: str, place: str) -> None:
    [found] = detector.detect([Message("c", "m", "user", text)])
    start = text.index(place)
    assert any(d.reported and d.entity_type == "LOCATION" and d.start <= start < d.end for d in found), found


def test_detector_reports_labelled_postcodes_only(detector) -> None:
    [found] = detector.detect([Message("c", "m", "user", "ZIP: 48750")])
    assert any(d.reported and d.entity_type == "POSTAL_CODE" for d in found)
    [found] = detector.detect([Message("c", "m", "user", "Unzip the 48750 files first.")])
    assert not any(d.entity_type == "POSTAL_CODE" for d in found)


def test_a_country_that_is_only_a_country_needs_no_place_word(places) -> None:
    # the word tables list every country as a noun; only everyday words need a cue
    assert _found(places, "Slovakia was lovely last summer.") == ["Slovakia"]
    assert _found(places, "Turkey was dry this year, and China broke.") == []
    assert _found(places, "We flew to Turkey in May.") == ["Turkey"]


def test_us_states_after_a_place_word(places) -> None:
    assert places.is_listed("Maryland") and places.is_listed("Ohio")
    assert _found(places, "pt received from university of maryland hospital.", True) == ["maryland"]
    assert _found(places, "She has lived in Ohio since 2010.") == ["Ohio"]
    # like a city, a region is taken only after a place word
    assert _found(places, "Virginia said the build is green.") == []


def test_an_organisation_named_after_a_place_reports_the_place(detector) -> None:
    text = "She is studying journalism at the University of Vierhöf."
    [found] = detector.detect([Message("c", "m", "user", text)])
    assert [text[d.start : d.end] for d in found if d.reported and d.entity_type == "LOCATION"] == ["Vierhöf"]
