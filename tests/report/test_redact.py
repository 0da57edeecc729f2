"""Redaction is pure and total: no character of a detected value survives in an excerpt."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatdlp.errors import ConfigError
from chatdlp.report.redact import (
    NO_REVEAL,
    RevealPolicy,
    mask_regions,
    redact_excerpt,
)

# Texts are built from two disjoint alphabets: filler never holds a value
# character, so any value character left in an excerpt (outside a placeholder)
# is a leak, however short.
FILLER = "abcdefgh .,\n"
VALUE_CHARS = "0123456789#$%&"
LABELS = ("CREDIT_CARD", "US_SSN", "EMAIL_ADDRESS", "PERSON")
PLACEHOLDER = re.compile(r"\[[A-Z_+]+(?: (?:…\d{4}|@[a-z0-9.-]+))?\]")


@st.composite
def texts_with_spans(draw: st.DrawFn) -> tuple[str, list[tuple[int, int, str]], int]:
    values = draw(st.lists(st.text(VALUE_CHARS, min_size=1, max_size=12), min_size=1, max_size=4))
    segments = draw(
        st.lists(
            st.one_of(
                st.tuples(st.just("filler"), st.text(FILLER, min_size=0, max_size=70)),
                # the same value may come back any number of times, adjacent or not
                st.tuples(st.just("value"), st.sampled_from(values)),
            ),
            min_size=1,
            max_size=14,
        )
    )
    text = ""
    spans: list[tuple[int, int, str]] = []
    for kind, piece in segments:
        if kind == "value":
            spans.append((len(text), len(text) + len(piece), draw(st.sampled_from(LABELS))))
        text += piece
    if not spans:
        text += values[0]
        spans.append((len(text) - len(values[0]), len(text), "PERSON"))
    # extra detections anywhere: overlapping, nested, touching the values or not
    extra = draw(
        st.lists(
            st.tuples(
                st.integers(0, len(text)), st.integers(1, 20), st.sampled_from(LABELS)
            ),
            max_size=4,
        )
    )
    spans += [(s, min(len(text), s + n), label) for s, n, label in extra if s < len(text)]
    hit = draw(st.integers(0, len(spans) - 1))
    return text, spans, hit


def _unmasked(excerpt: str) -> str:
    return PLACEHOLDER.sub("", excerpt)


@settings(max_examples=400, deadline=None)
@given(texts_with_spans(), st.integers(0, 80))
def test_no_value_character_survives(case: tuple[str, list[tuple[int, int, str]], int],
                                     window: int) -> None:
    text, spans, hit = case
    start, end, _ = spans[hit]
    excerpt = redact_excerpt(text, spans, start, end, window=window)
    leftover = _unmasked(excerpt)
    assert not set(leftover) & set(VALUE_CHARS), (excerpt, spans)


@settings(max_examples=300, deadline=None)
@given(texts_with_spans(), st.integers(0, 80))
def test_reveal_shows_at_most_four_digits_per_single_span(
    case: tuple[str, list[tuple[int, int, str]], int], window: int
) -> None:
    text, spans, hit = case
    start, end, _ = spans[hit]
    reveal = RevealPolicy.of(["CREDIT_CARD", "US_SSN", "EMAIL_ADDRESS"])
    excerpt = redact_excerpt(text, spans, start, end, window=window, reveal=reveal)
    assert not set(_unmasked(excerpt)) & set(VALUE_CHARS)
    for hint in re.findall(r"…(\d+)\]", excerpt):
        assert len(hint) == 4
    # a merged region (two detections touching) never carries a hint
    assert not re.search(r"\[[A-Z_]+\+[A-Z_+]+ ", excerpt)


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50), st.sampled_from(LABELS))))
def test_regions_are_disjoint_ordered_and_cover_every_span(
    raw: list[tuple[int, int, str]],
) -> None:
    spans = [(min(a, b), max(a, b), label) for a, b, label in raw]
    regions = mask_regions(spans)
    for left, right in pairwise(regions):
        assert left.end < right.start  # touching spans were merged
    for s, e, _ in spans:
        if e > s:
            assert any(r.start <= s and r.end >= e for r in regions)


def test_value_that_appears_twice_is_masked_both_times() -> None:
    text = "card 4539 1488 0343 6467 and again 4539 1488 0343 6467."
    spans = [(5, 24, "CREDIT_CARD"), (35, 54, "CREDIT_CARD")]
    excerpt = redact_excerpt(text, spans, 5, 24)
    assert excerpt == "card [CREDIT_CARD] and again [CREDIT_CARD]."


def test_adjacent_values_are_masked_as_one_region() -> None:
    text = "x 219-09-9999henrik@fabrikam.com y"
    spans = [(2, 13, "US_SSN"), (13, 32, "EMAIL_ADDRESS")]
    assert redact_excerpt(text, spans, 2, 13) == "x [EMAIL_ADDRESS] y"  # the most specific label


def test_window_edge_inside_a_value_masks_the_whole_value() -> None:
    text = "A" * 10 + "4539148803436467" + " middle " + "219-09-9999"
    spans = [(10, 26, "CREDIT_CARD"), (34, 45, "US_SSN")]
    excerpt = redact_excerpt(text, spans, 34, 45, window=3)
    assert "4539" not in excerpt and "6467" not in excerpt
    assert excerpt.startswith("…")


def test_default_reveals_nothing() -> None:
    text = "mail henrik.solberg@fabrikam.com ssn 219-09-9999"
    spans = [(5, 32, "EMAIL_ADDRESS"), (37, 48, "US_SSN")]
    assert redact_excerpt(text, spans, 5, 32) == "mail [EMAIL_ADDRESS] ssn [US_SSN]"
    assert redact_excerpt(text, spans, 5, 32, reveal=NO_REVEAL) == (
        "mail [EMAIL_ADDRESS] ssn [US_SSN]"
    )


def test_configured_reveal_shows_last_four_and_domain_only() -> None:
    text = "mail henrik.solberg@Fabrikam.com ssn 219-09-9999 card 4539 1488 0343 6467"
    spans = [(5, 32, "EMAIL_ADDRESS"), (37, 48, "US_SSN"), (54, 73, "CREDIT_CARD")]
    reveal = RevealPolicy.of(["email_address", "US_SSN", "CREDIT_CARD"])
    excerpt = redact_excerpt(text, spans, 37, 48, reveal=reveal)
    assert excerpt == (
        "mail [EMAIL_ADDRESS @fabrikam.com] ssn [US_SSN …9999] card [CREDIT_CARD …6467]"
    )
    assert "henrik" not in excerpt and "219" not in excerpt and "4539" not in excerpt


def test_reveal_needs_enough_digits() -> None:
    reveal = RevealPolicy.of(["PHONE_NUMBER"])
    assert reveal.hint("PHONE_NUMBER", "555-0199") == ""  # 7 digits: four is too many
    assert reveal.hint("PHONE_NUMBER", "+1 206 342 8871") == "…8871"


def test_reveal_is_refused_for_entities_without_a_safe_hint() -> None:
    with pytest.raises(ConfigError, match="PERSON"):
        RevealPolicy.of(["PERSON"])


def test_a_merged_region_shows_one_label_the_most_specific() -> None:
    text = "n 4539148803436467 y"
    spans = [(2, 18, "CREDIT_CARD"), (2, 18, "US_BANK_NUMBER"), (4, 15, "PL_PESEL")]
    assert redact_excerpt(text, spans, 2, 18) == "n [CREDIT_CARD] y"
