import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatdlp.detect.chunks import split_text


def test_short_text_is_one_chunk() -> None:
    assert split_text("hello", 100, 10) == [(0, "hello")]


@given(st.text(alphabet="ab ", min_size=0, max_size=3000), st.integers(50, 400))
def test_chunks_cover_the_text_with_overlap(text: str, size: int) -> None:
    overlap = 20
    chunks = split_text(text, size, overlap)
    assert all(len(chunk) <= size for _, chunk in chunks)
    assert all(text[offset : offset + len(chunk)] == chunk for offset, chunk in chunks)
    assert chunks[0][0] == 0
    assert chunks[-1][0] + len(chunks[-1][1]) == len(text)
    for (o1, c1), (o2, _) in itertools.pairwise(chunks):
        assert o1 + len(c1) - o2 >= overlap  # every boundary is overlapped


def test_size_must_exceed_overlap() -> None:
    with pytest.raises(ValueError):
        split_text("x" * 10, 5, 5)
