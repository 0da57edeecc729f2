"""The plain view of disguised values, and its map back to the original characters."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatdlp.entities.disguise import plain_view


@pytest.mark.parametrize(("text", "plain", "value"), [
    ("my ssn is 5 3 6 - 2 2 - 8 1 9 4 ok", "536-22-8194", "5 3 6 - 2 2 - 8 1 9 4"),
    ("ssn five three six two two eight one nine four.", "536228194", "five three six two two eight one nine four"),
    ("ssn Five-Three-Six dash two two dash eight one nine four", "536-22-8194",
     "Five-Three-Six dash two two dash eight one nine four"),
    ("ＳＳＮ ５３６-２２-８１９４", "536-22-8194", "５３６-２２-８１９４"),
    ("phone ٥٣٦٢٢٨١٩٤٠ now", "5362281940", "٥٣٦٢٢٨١٩٤٠"),
    ("ssn 536\u200b-22-\u200d8194 ok", "536-22-8194", "536\u200b-22-\u200d8194"),
    ("write to maria dot lopez at contoso dot com please", "maria.lopez@contoso.com",
     "maria dot lopez at contoso dot com"),
    ("mail j.doe [at] corp [dot] co [dot] uk", "j.doe@corp.co.uk", "j.doe [at] corp [dot] co [dot] uk"),
    ("key: ghp_16C7e42F292c6912E7710c83\n8d4f2dB10a9e end", "ghp_16C7e42F292c6912E7710c838d4f2dB10a9e",
     "ghp_16C7e42F292c6912E7710c83\n8d4f2dB10a9e"),
])
def test_disguises_are_undone_and_map_back(text: str, plain: str, value: str) -> None:
    view = plain_view(text)
    assert view is not None
    start = view.text.index(plain)
    a, b = view.original_span(start, start + len(plain))
    assert text[a:b] == value


@pytest.mark.parametrize("text", [
    "plain text with nothing hidden", "look at the dot product", "steps 1 2 3 then 4",
    "meet me at noon", "version 1.2.3", "x" * 200,
])
def test_ordinary_text_has_no_plain_view(text: str) -> None:
    view = plain_view(text)
    assert view is None or view.text == text


def test_invisible_characters_inside_a_value_are_covered_by_its_span() -> None:
    text = "card 4111\u200b1111\u2060 1111 1111."
    view = plain_view(text)
    assert view is not None
    start = view.text.index("4111")
    a, b = view.original_span(start, start + len("41111111 1111 1111"))
    assert text[a:b] == "4111\u200b1111\u2060 1111 1111"


@given(st.text(alphabet=st.sampled_from("ab 1234-\u200b５@.\n"), max_size=80))
def test_every_view_character_maps_inside_the_original(text: str) -> None:
    view = plain_view(text)
    if view is None:
        return
    assert len(view.starts) == len(view.ends) == len(view.text)
    for i in range(len(view.text)):
        a, b = view.original_span(i, i + 1)
        assert 0 <= a < b <= len(text)
    assert list(view.starts) == sorted(view.starts)
