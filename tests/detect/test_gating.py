from chatdlp.detect.gating import NerGate

POSITIVE = [  # a name or place may be here: NER must see the sentence
    "I spoke with Dana Whitfield yesterday.",
    "Dana called about the invoice.",
    "The meeting is in Seattle.",
    "PATIENT JOHN SMITH ADMITTED WITH CHEST PAIN.",
]
NEGATIVE = [  # nothing written with capitals but sentence openers and "I"
    "The build failed again.",
    "Here is the log you asked for.",
    "Please review the draft, I think it is fine.",
    "thanks! can you shorten it?",
]


def test_sentences_with_a_capitalised_candidate_are_kept() -> None:
    gate = NerGate(["PERSON", "LOCATION"])
    for sentence in POSITIVE:
        assert gate.mask(sentence) == sentence, sentence


def test_sentences_without_one_are_blanked_and_nothing_left_means_no_ner() -> None:
    gate = NerGate(["PERSON"])
    for sentence in NEGATIVE:
        assert gate.mask(sentence) is None, sentence


def test_offsets_are_kept_exactly() -> None:
    gate = NerGate(["PERSON"])
    text = "The build failed.\nHere is why. Ask Dana Whitfield, she knows.\n\nok?"
    masked = gate.mask(text)
    assert masked is not None and len(masked) == len(text)
    start = text.index("Dana")
    assert masked[start : start + 14] == "Dana Whitfield"
    assert masked.count("\n") == text.count("\n")
    assert "build" not in masked


def test_dates_open_the_gate_only_when_a_policy_wants_ner_dates() -> None:
    assert NerGate(["PERSON"]).mask("it happened three weeks ago.") is None
    assert NerGate(["PERSON", "DATE_TIME"]).mask("it happened three weeks ago.") is not None


def test_no_ner_rule_means_no_ner_at_all() -> None:
    assert NerGate([]).mask("I spoke with Dana Whitfield.") is None


def test_gated_detection_finds_what_full_ner_finds(detector) -> None:
    from chatdlp.records import Message

    text = ("Thanks for the help with the report. It looks good now.\n"
            "By the way, I spoke with Maria Garcia yesterday about the renewal.\n"
            "the numbers are final.")
    before = detector.nlp_engine.ner_characters
    [detections] = detector.detect([Message("c", "m", "user", text)])
    people = [text[d.start:d.end] for d in detections if d.entity_type == "PERSON" and d.reported]
    assert people == ["Maria Garcia"]
    assert detector.nlp_engine.ner_characters - before < len(text) / 2
