from __future__ import annotations

import json

import pytest

from chatdlp.sources.compliance_api.paging import PageParser, page_params


def test_first_page_uses_since_later_pages_after_never_both() -> None:
    first = page_params(None, 1700000000, 100, ("u1", "u2"))
    assert first == [("limit", "100"), ("since_timestamp", "1700000000"),
                     ("users", "u1"), ("users", "u2")]
    later = page_params("conv-9", 1700000000, 50, ())
    assert later == [("limit", "50"), ("after", "conv-9")]
    assert page_params(None, None, 10, ()) == [("limit", "10")]


PAGE = {
    "object": "list",
    "data": [{"id": "a", "messages": {"data": [{"id": "m", "content": None}]}}, 7,
             {"id": "b", "title": "naïve ✓"}],
    "has_more": True,
    "last_id": "b",
}


@pytest.mark.parametrize("chunk_size", [1, 3, 64, 100_000])
def test_items_come_out_whole_whatever_the_chunking(chunk_size: int) -> None:
    body = json.dumps(PAGE, ensure_ascii=False).encode()
    parser = PageParser()
    items: list[object] = []
    for start in range(0, len(body), chunk_size):
        got, error = parser.feed(body[start : start + chunk_size])
        assert error is None
        items.extend(got)
    got, error = parser.finish()
    assert error is None
    items.extend(got)
    assert items == PAGE["data"]
    assert parser.has_more is True and parser.last_id == "b" and parser.position == len(body)


def test_an_item_is_handed_out_before_the_page_ends() -> None:
    parser = PageParser()
    got, _ = parser.feed(b'{"object": "list", "data": [{"id": "a"}, {"id": "b", "tit')
    assert got == [{"id": "a"}]


def test_malformed_body_keeps_earlier_items_and_gives_the_byte() -> None:
    parser = PageParser()
    got, error = parser.feed(b'{"data": [{"id": "a"}, {"id": "SECRET" "x"}]}')
    assert got == [{"id": "a"}]
    assert error is not None and "malformed JSON" in error.reason
    assert "SECRET" not in error.reason  # yajl's quoted context is dropped


def test_truncated_body_is_an_error_at_the_end() -> None:
    parser = PageParser()
    body = b'{"data": [{"id": "a"}, {"id"'
    assert parser.feed(body)[1] is None
    got, error = parser.finish()
    assert got == []
    assert error is not None and "truncated" in error.reason and error.position == len(body)


@pytest.mark.parametrize(
    ("body", "reason"),
    [(b"[1, 2]", "not a JSON object"), (b'{"data": {"a": 1}}', "data is not a list"),
     (b'{"error": "x"}', "no data list")],
)
def test_not_a_list_envelope(body: bytes, reason: str) -> None:
    parser = PageParser()
    _, error = parser.feed(body)
    if error is None:
        _, error = parser.finish()
    assert error is not None and reason in error.reason
