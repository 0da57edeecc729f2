"""NER scores move with cues and with code-ish spans."""

from chatdlp.detect.ner_scoring import ner_score

COMMON = {"will", "state", "march", "request"}


def _score(entity: str, text: str, value: str) -> float:
    start = text.index(value)
    return ner_score(entity, text, start, start + len(value), 0.85, lambda w: w in COMMON)


def test_name_cues_raise_and_identifiers_lower() -> None:
    assert _score("PERSON", "Seen by Dr. Whitfield today.", "Whitfield") > 0.85
    assert _score("PERSON", "Patient: Dana Whitfield", "Dana Whitfield") > 0.85
    assert _score("PERSON", "I met Dana Whitfield today.", "Dana Whitfield") == 0.85
    assert _score("PERSON", "call UserManager.get_user() here", "UserManager.get_user") < 0.5
    assert _score("PERSON", "the user_manager module", "user_manager") < 0.5
    assert _score("PERSON", "Will this work?", "Will") < 0.6
    assert _score("ORGANIZATION", "x = Request(url)", "Request") < 0.75


def test_places_that_say_nothing_about_anyone() -> None:
    assert _score("LOCATION", "The Moon orbits the Earth every 27 days.", "Earth") < 0.5
    assert _score("LOCATION", "She moved to Seattle last spring.", "Seattle") >= 0.75
