"""The detector with the real spaCy pipeline and the shipped policy packs."""

from chatdlp.detect.recognizers import OfflineEmailRecognizer, offline_tld_extractor
from chatdlp.records import Message


def _message(text: str, role: str = "user") -> Message:
    return Message(conversation_id="c", message_id="m", role=role, text=text)


def _reported(detector, text: str, role: str = "user") -> dict[str, str]:
    [detections] = detector.detect([_message(text, role)])
    return {d.entity_type: text[d.start : d.end] for d in detections if d.reported}


def test_structured_identifiers_are_found(detector) -> None:
    text = (
        "Card 4539 1488 0343 6467, SSN 536-22-8714, IBAN DE44 5001 0517 5407 3249 31, "
        "mail dana.whitfield@contoso.com, phone +1 206 342 8871."
    )
    found = _reported(detector, text)
    assert found["CREDIT_CARD"] == "4539 1488 0343 6467"
    assert found["US_SSN"] == "536-22-8714"
    assert found["IBAN_CODE"] == "DE44 5001 0517 5407 3249 31"
    assert found["EMAIL_ADDRESS"] == "dana.whitfield@contoso.com"
    assert found["PHONE_NUMBER"] == "+1 206 342 8871"


def test_person_names_found_by_ner(detector) -> None:
    found = _reported(detector, "I spoke with Dana Whitfield yesterday about the claim.")
    assert found.get("PERSON") == "Dana Whitfield"


def test_near_misses_are_not_reported(detector) -> None:
    # Luhn-invalid card number, invalid IBAN checksum, SSN with area 000.
    text = "Order 4539 1488 0343 6468, ref DE45 5001 0517 5407 3249 31, id 000-12-3456."
    found = _reported(detector, text)
    assert "CREDIT_CARD" not in found
    assert "IBAN_CODE" not in found
    assert "US_SSN" not in found


def test_batch_keeps_message_order(detector) -> None:
    messages = [_message(f"Write to person{i}@contoso.com today") for i in range(5)]
    results = detector.detect(messages)
    for i, detections in enumerate(results):
        emails = [messages[i].text[d.start : d.end] for d in detections if d.entity_type == "EMAIL_ADDRESS"]
        assert emails == [f"person{i}@contoso.com"]


def test_long_text_is_chunked_and_offsets_stay_exact(detector, nlp_profile) -> None:
    filler = "lorem ipsum dolor sit amet " * (nlp_profile.max_chunk_chars // 27 + 10)
    text = filler + "card 4539 1488 0343 6467 end"
    [detections] = detector.detect([_message(text)])
    cards = [d for d in detections if d.entity_type == "CREDIT_CARD"]
    assert len(cards) == 1
    assert text[cards[0].start : cards[0].end] == "4539 1488 0343 6467"


def test_overlapping_detections_keep_one_reported_and_mask_all(detector) -> None:
    [detections] = detector.detect([_message("Her SSN is 536228714 and nothing else.")])
    reported = [d for d in detections if d.reported]
    spans = [(d.start, d.end) for d in reported]
    assert len(spans) == len(set(spans))
    for a in reported:
        for b in reported:
            assert a is b or a.end <= b.start or b.end <= a.start


def test_email_validation_uses_the_bundled_suffix_list_offline() -> None:
    # The autouse network guard fails this test if tldextract tried to fetch anything.
    assert offline_tld_extractor()("mail.contoso.com").suffix == "com"
    recognizer = OfflineEmailRecognizer()
    assert recognizer.validate_result("dana@contoso.com")
    assert not recognizer.validate_result("dana@localhost")


def test_a_first_name_read_as_a_place_is_joined_to_the_surname(detector) -> None:
    text = "Could you help me rewrite the plan for the board? I spoke with Amara Solberg yesterday."
    [detections] = detector.detect([_message(text)])
    reported = [(d.entity_type, text[d.start : d.end]) for d in detections if d.reported]
    assert reported == [("PERSON", "Amara Solberg")]
