from hypothesis import given
from hypothesis import strategies as st

from chatdlp.report.redact import mask_regions, redact_excerpt


def test_hit_and_neighbours_are_masked() -> None:
    text = "Mail dana@contoso.com or call +1 206 342 8871 today."
    spans = [(5, 21, "EMAIL_ADDRESS"), (30, 45, "PHONE_NUMBER")]
    excerpt = redact_excerpt(text, spans, 5, 21)
    assert excerpt == "Mail [EMAIL_ADDRESS] or call [PHONE_NUMBER] today."


def test_overlapping_and_touching_spans_merge_into_one_mask() -> None:
    regions = mask_regions([(0, 5, "A"), (3, 8, "B"), (8, 10, "C"), (12, 14, "A")])
    assert [(r.start, r.end, r.label) for r in regions] == [(0, 10, "A+B+C"), (12, 14, "A")]


def test_window_edge_inside_a_neighbour_masks_the_whole_neighbour() -> None:
    text = "x" * 100 + "4539148803436467" + " " * 50 + "HIT" + "y" * 100
    spans = [(100, 116, "CREDIT_CARD"), (166, 169, "PERSON")]
    excerpt = redact_excerpt(text, spans, 166, 169, window=60)
    assert "[CREDIT_CARD]" in excerpt
    assert "4539" not in excerpt and "6467" not in excerpt
    assert excerpt.startswith("…") and excerpt.endswith("…")


def test_hit_missing_from_spans_is_still_masked() -> None:
    assert redact_excerpt("my secret value here", [], 3, 9) == "my [REDACTED] value here"


_alphabet = st.characters(codec="utf-8", exclude_categories=("Cs",))


@st.composite
def texts_with_spans(draw):
    text = draw(st.text(alphabet=_alphabet, min_size=1, max_size=300))
    n = len(text)
    spans = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(1, 40), st.sampled_from(["A", "B"])),
            min_size=1, max_size=6,
        )
    )
    spans = [(s, min(n, s + length), label) for s, length, label in spans]
    return text, spans


@given(texts_with_spans(), st.integers(0, 80))
def test_no_character_of_a_masked_span_survives(data, window: int) -> None:
    text, spans = data
    # Make every masked value unique and recognisable so we can look for it.
    chars = list(text)
    for s, e, _ in spans:
        for i in range(s, e):
            chars[i] = "\u2603"  # SNOWMAN marks sensitive characters
    marked = "".join(chars).replace("\u2603\u2603", "\u2603\u2603")
    for s, e, _ in spans:
        excerpt = redact_excerpt(marked, spans, s, e, window=window)
        assert "\u2603" not in excerpt
