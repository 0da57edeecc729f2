"""Leak-proof excerpts: values no detector proposed, planted beside one that was, never
reach a finding's excerpt (property test), and whitespace folding cannot rebuild one."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from chatdlp.report.redact import excerpt_of

_SEPARATOR = st.sampled_from([" ", "\n", "\t", "-", ".", " \n ", "/"])


@st.composite
def digit_value(draw: st.DrawFn) -> str:
    groups = draw(st.lists(st.text("0123456789", min_size=1, max_size=5), min_size=1, max_size=4))
    value = groups[0]
    for group in groups[1:]:
        value += draw(_SEPARATOR) + group
    if sum(c.isdigit() for c in value) < 4:
        value += "1234"
    return value


_WORD = st.text("abcdefghij", min_size=1, max_size=8)
emails = st.builds(lambda a, b: f"{a}@{b}.com", _WORD, _WORD)
urls = st.builds(lambda a, b: f"https://{a}.org/{b}", _WORD, _WORD)
undetected = st.one_of(digit_value(), emails, urls)
filler = st.lists(_WORD, min_size=0, max_size=4).map(" ".join)


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(st.lists(st.tuples(filler, undetected), min_size=1, max_size=4), filler, filler)
def test_undetected_values_beside_a_finding_never_reach_its_excerpt(
    planted: list[tuple[str, str]], before: str, after: str
) -> None:
    text = before + " "
    for words, value in planted:
        text += f"{words} {value} "
    start = len(text)
    text += "078-05-1120"  # the detected value
    end = len(text)
    for words, value in planted:
        text += f" {words} {value}"
    text += " " + after
    excerpt = excerpt_of(text, [(start, end, "US_SSN")], start, end, window=len(text), overmask=True)
    plain = "".join(piece for piece, masked in excerpt.pieces if not masked)
    assert "@" not in plain and "://" not in plain
    assert not re.search(r"\d", plain), (text, excerpt.text)
    for _, value in planted:
        assert value not in excerpt.text


def test_folding_does_not_rebuild_a_card_number_split_across_lines() -> None:
    text = "card 4838 3750\n6208 4666 and ssn 078-05-1120 here"
    start = text.index("078")
    excerpt = excerpt_of(text, [(start, start + 11, "US_SSN")], start, start + 11, overmask=True)
    assert "4838" not in excerpt.text and "6208" not in excerpt.text
    assert re.search(r"\d", excerpt.text) is None


def test_the_cells_of_a_row_that_holds_a_finding_are_masked() -> None:
    for text in ("id,name,ssn\n7,Jane Roe,078-05-1120\n", '["Jane Roe", "078-05-1120", "Oslo"]',
                 '{"name": "Jane Roe", "ssn": "078-05-1120", "city": "Oslo"}'):
        start = text.index("078")
        excerpt = excerpt_of(text, [(start, start + 11, "US_SSN")], start, start + 11, overmask=True)
        assert "Jane" not in excerpt.text and "Roe" not in excerpt.text and "Oslo" not in excerpt.text, excerpt.text


def test_a_name_like_token_next_to_a_finding_is_masked() -> None:
    text = "please call Dana Whitfield today"
    start = text.index("Whitfield")
    excerpt = excerpt_of(text, [(start, start + 9, "PERSON")], start, start + 9, overmask=True)
    assert excerpt.text == "please call [NAME_LIKE] [PERSON] today"


def test_a_user_id_that_is_an_email_reaches_no_report(tmp_path, run_cli) -> None:
    import json

    source = tmp_path / "m.jsonl"
    source.write_text(json.dumps({"conversation_id": "c", "message_id": "m", "role": "user",
                                  "user_id": "dana.whitfield@northwind-mail.com",
                                  "text": "my card is 4838 3750 6208 4666"}) + "\n")
    out = tmp_path / "out"
    assert run_cli("scan", str(source), "--out", str(out), "--format", "csv,html,md,sarif").exit_code == 1
    [finding] = [json.loads(line) for line in (out / "findings.jsonl").read_text().splitlines()]
    assert finding["user_id"].startswith("user:")
    for path in out.iterdir():
        assert "dana.whitfield" not in path.read_text(encoding="utf-8", errors="replace"), path.name


def test_dates_without_four_digits_in_a_run_are_masked_next_to_a_finding() -> None:
    for date in ("Jan 5", "January 5th", "5 March", "12th of Sept.", "3/14", "3/14/21", "5.3.21", "05-03-2021"):
        text = f"admitted {date} and the ssn 078-05-1120 was seen again"  # no commas: no row cells
        start = text.index("078")
        excerpt = excerpt_of(text, [(start, start + 11, "US_SSN")], start, start + 11, overmask=True)
        assert "[DATE_LIKE]" in excerpt.text and date not in excerpt.text, (date, excerpt.text)
    for plain in ("you may 5 times", "version 3.5 of it", "a march of 5 people"):
        text = f"{plain} ssn 078-05-1120"
        start = text.index("078")
        excerpt = excerpt_of(text, [(start, start + 11, "US_SSN")], start, start + 11, overmask=True)
        assert "DATE_LIKE" not in excerpt.text, (plain, excerpt.text)


def test_key_like_runs_are_masked_next_to_a_finding() -> None:
    # A token of a wrong length for its format is not reported, yet must not show beside a finding.
    for token in ("ghp_MK348Y4dAH7fWxMVELM4CwTmPs81jAJX", "AbC9xYz2QwE8rTy6uIo", "dGhpcyBpcyBh/c2VjcmV0Kz0="):
        text = f"the ssn 078-05-1120 and then {token} was pasted"
        start = text.index("078")
        excerpt = excerpt_of(text, [(start, start + 11, "US_SSN")], start, start + 11, overmask=True)
        assert "[TOKEN_LIKE]" in excerpt.text and token not in excerpt.text, (token, excerpt.text)
    for plain in ("internationalization", "chatdlp.detect.engine", "short_id_12", "2026-12-03T10:00"):
        text = f"the ssn 078-05-1120 and then {plain} was pasted"
        start = text.index("078")
        excerpt = excerpt_of(text, [(start, start + 11, "US_SSN")], start, start + 11, overmask=True)
        assert "TOKEN_LIKE" not in excerpt.text, (plain, excerpt.text)
