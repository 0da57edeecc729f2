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


def test_lone_surnames_and_unknown_words_where_case_marks_names(detector) -> None:
    lexicon, places = detector.names, detector.places

    def score(text: str, value: str, caseless: bool = False, care: bool = False) -> float:
        start = text.index(value)
        return ner_score("PERSON", text, start, start + len(value), 0.85, lambda w: w in COMMON,
                         lexicon, places, caseless, care)

    # a listed surname that is no English word, not opening a sentence
    assert score("Unlike the Jensen novel, this one is short.", "Jensen") >= 0.75
    # a word of no English vocabulary the model reads as a person
    assert score("Is there a better example than early Dratchev?", "Dratchev") >= 0.75
    # in capitals, in clinical shorthand, or an ordinary word: no evidence
    assert score("RIGHT HICKMAN LINE IN PLACE.", "HICKMAN", caseless=True) < 0.75
    assert score("Pt on mech vent as per Carevue overnight.", "Carevue", care=True) < 0.75
    assert score("Clear breath sounds. Lung sounds coarse.", "Lung") < 0.75
    assert score("token = load()  # Runner authentication token", "Runner") < 0.75
    # a listed surname that is also a word, in a list of names
    assert score("Willis and Green were precision engineers.", "Green") >= 0.75
    assert score("the Green button", "Green") < 0.75
    # a semicolon in prose is no code next to the name
    assert score("It was a thing between him and Sigrun's kid; and everybody knew.", "Sigrun") >= 0.75


def test_title_is_no_part_of_a_listed_lower_case_name(detector) -> None:
    text = "could you please correct it to mr. larry lombardo?"
    start = text.index("mr.")
    assert ner_score("PERSON", text, start, len(text) - 1, 0.85, lambda w: w in COMMON,
                     detector.names, detector.places, True) >= 0.75
