"""Redaction: a pure function of (text, spans). No raw detected value survives.

Every detected span is replaced by its entity placeholder (``[US_SSN]``).
Overlapping and touching spans are masked together as one region, so no
fragment of a value can show between two masks; a window edge that falls inside
a region takes the whole region's mask, never a slice of the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_WINDOW = 60
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class MaskRegion:
    start: int
    end: int
    label: str


def mask_regions(spans: Iterable[tuple[int, int, str]]) -> list[MaskRegion]:
    """Merge overlapping or touching spans into ordered, disjoint regions."""
    ordered = sorted((s, e, label) for s, e, label in spans if e > s)
    merged: list[tuple[int, int, set[str]]] = []
    for start, end, label in ordered:
        if merged and start <= merged[-1][1]:
            last_start, last_end, labels = merged[-1]
            labels.add(label)
            merged[-1] = (last_start, max(last_end, end), labels)
        else:
            merged.append((start, end, {label}))
    return [MaskRegion(s, e, "+".join(sorted(labels))) for s, e, labels in merged]


def redact_excerpt(
    text: str,
    spans: Iterable[tuple[int, int, str]],
    start: int,
    end: int,
    window: int = DEFAULT_WINDOW,
) -> str:
    """About ``window`` characters either side of ``text[start:end]``, every span masked.

    ``spans`` must include the hit itself; it is masked like the others.
    """
    spans = list(spans)
    if not _covers(spans, start, end):
        spans.append((start, end, "REDACTED"))
    regions = mask_regions(spans)
    low = max(0, start - window)
    high = min(len(text), end + window)
    pieces: list[str] = []
    position = low
    for region in regions:
        if region.end <= low or region.start >= high:
            continue
        if region.start > position:
            pieces.append(text[position : region.start])
        pieces.append(f"[{region.label}]")
        position = max(position, region.end)
    if position < high:
        pieces.append(text[position:high])
    excerpt = _WHITESPACE.sub(" ", "".join(pieces)).strip()
    prefix = "…" if low > 0 else ""
    suffix = "…" if high < len(text) and position < len(text) else ""
    return f"{prefix}{excerpt}{suffix}"


def _covers(spans: list[tuple[int, int, str]], start: int, end: int) -> bool:
    return any(s <= start and e >= end for s, e, _ in spans)
