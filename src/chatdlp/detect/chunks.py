"""Splitting long texts for NER, with overlap so no entity is cut at a boundary."""

from __future__ import annotations


def split_text(text: str, size: int, overlap: int) -> list[tuple[int, str]]:
    """(offset, chunk) pairs covering ``text``; each chunk at most ``size`` characters.

    Consecutive chunks share at least ``overlap`` characters, and cuts fall on
    whitespace where there is any in the last quarter of a chunk.
    """
    if size <= overlap:
        raise ValueError("chunk size must be larger than the overlap")
    if len(text) <= size:
        return [(0, text)]
    pieces: list[tuple[int, str]] = []
    start = 0
    while True:
        end = start + size
        if end >= len(text):
            pieces.append((start, text[start:]))
            return pieces
        cut = text.rfind(" ", start + (3 * size) // 4, end)
        if cut <= start + overlap:
            cut = end
        pieces.append((start, text[start:cut]))
        start = cut - overlap
