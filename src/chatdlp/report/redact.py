"""Redaction: a pure function of (text, spans, reveal policy). No raw detected value survives.

Every detected span is replaced by its entity placeholder (``[US_SSN]``).
Overlapping and touching spans are masked together as one region, so no
fragment of a value can show between two masks; a window edge that falls inside
a region takes the whole region's mask, never a slice of the value.

A :class:`RevealPolicy` may let a placeholder carry a bounded hint for some
entities: the last four digits of a card or SSN (``[CREDIT_CARD …6467]``) or the
domain of an e-mail address (``[EMAIL_ADDRESS @contoso.com]``). Nothing else is
ever revealed, only for a region that is exactly one detected span, and by
default nothing at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from chatdlp.entities import Reveal, allowed_reveals, entity
from chatdlp.errors import ConfigError

DEFAULT_WINDOW = 60
_WHITESPACE = re.compile(r"\s+")
_DIGIT = re.compile(r"\d")
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+")
# Fewer digits than this and four of them are too much of the value to show.
MIN_DIGITS_FOR_LAST4 = 9


# Which hint is allowed for which entity (the entity table's reveal column): never more than this.
ALLOWED_REVEALS: Mapping[str, Reveal] = allowed_reveals()


@dataclass(frozen=True, slots=True)
class RevealPolicy:
    """Entities whose placeholder may carry a partial hint. Empty: reveal nothing."""

    entities: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = sorted(self.entities - ALLOWED_REVEALS.keys())
        if unknown:
            allowed = ", ".join(sorted(ALLOWED_REVEALS))
            raise ConfigError(
                f"partial reveal is not allowed for {', '.join(unknown)} (allowed: {allowed})"
            )

    @classmethod
    def of(cls, entities: Iterable[str]) -> RevealPolicy:
        return cls(frozenset(entity.strip().upper() for entity in entities if entity.strip()))

    def hint(self, entity: str, value: str) -> str:
        """The bounded hint for ``value``, or "" when none is allowed or possible."""
        if entity not in self.entities:
            return ""
        kind = ALLOWED_REVEALS[entity]
        if kind is Reveal.LAST4:
            digits = _DIGIT.findall(value)
            if len(digits) < MIN_DIGITS_FOR_LAST4:
                return ""
            return "…" + "".join(digits[-4:])
        _, at, domain = value.rpartition("@")
        if at and _DOMAIN.fullmatch(domain):
            return "@" + domain.lower()
        return ""


NO_REVEAL = RevealPolicy()


@dataclass(frozen=True, slots=True)
class MaskRegion:
    start: int
    end: int
    label: str
    spans: int = 1  # how many detected spans were merged into this region


def mask_regions(spans: Iterable[tuple[int, int, str]]) -> list[MaskRegion]:
    """Merge overlapping or touching spans into ordered, disjoint regions."""
    ordered = sorted((s, e, label) for s, e, label in spans if e > s)
    merged: list[tuple[int, int, set[str], int]] = []
    for start, end, label in ordered:
        if merged and start <= merged[-1][1]:
            last_start, last_end, labels, count = merged[-1]
            labels.add(label)
            merged[-1] = (last_start, max(last_end, end), labels, count + 1)
        else:
            merged.append((start, end, {label}, 1))
    return [MaskRegion(s, e, "+".join(sorted(labels)), n) for s, e, labels, n in merged]


def placeholder(text: str, region: MaskRegion, reveal: RevealPolicy = NO_REVEAL) -> str:
    """``[LABEL]``, with a reveal hint only for a region that is a single detected span."""
    hint = reveal.hint(region.label, text[region.start : region.end]) if region.spans == 1 else ""
    # a merged region (touching or overlapping values) shows its most specific entity only
    label = max(sorted(region.label.split("+")), key=lambda name: int(entity(name).specificity))
    return f"[{label} {hint}]" if hint else f"[{label}]"


@dataclass(frozen=True, slots=True)
class Excerpt:
    """A redacted excerpt as structured pieces: plain text and masks, in order. The
    excerpt string and the HTML are both rendered from it."""

    pieces: tuple[tuple[str, bool], ...]  # (text, is a mask)

    @property
    def text(self) -> str:
        return "".join(piece for piece, _ in self.pieces)

    @property
    def masks(self) -> tuple[tuple[int, int], ...]:
        """Where the masks are in :attr:`text` (character offsets, end exclusive)."""
        found: list[tuple[int, int]] = []
        position = 0
        for piece, masked in self.pieces:
            if masked:
                found.append((position, position + len(piece)))
            position += len(piece)
        return tuple(found)


# Context over-masking (findings' excerpts): what detectors may have missed next to a hit.
# A digit run counts the digits of groups split by spaces, newlines or punctuation, so
# folding whitespace cannot rebuild a value ("4838 3750" newline "6208 4666").
_DIGIT_RUN = re.compile(r"\d(?:[\d\s./:()+-]*\d)?")
_MIN_CONTEXT_DIGITS = 4
_EMAIL_LIKE = re.compile(r"[^\s@<>()\[\]\"',;]+@[^\s@<>()\[\]\"',;]+")
_URL_LIKE = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.)\S+", re.IGNORECASE)
_NAME_TOKEN = re.compile(r"[A-Z][a-z][A-Za-z'’-]*")
# A key- or token-like run (16+ characters, letters and digits mixed): a secret the detector
# did not report (a wrong length for its format, say) must not show beside one it did.
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_+/=-]{16,}")
# Dates with fewer than 4 digits in a run ("Jan 5", "5 March", "3/14", "5.3.21"): the
# clinical DLP labels count them (a date of admission or birth is PHI).
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)(?:[a-z]{0,6})\.?"
_DATE_LIKE = re.compile(
    rf"\b(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}"
    r"|\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\d{1,2}[.-]\d{1,2}[.-]\d{2,4}\b)"
)
_CELL_TRIM = " \t\"'[]{}()"


def context_spans(
    text: str, regions: Sequence[MaskRegion], low: int, high: int
) -> list[tuple[int, int, str]]:
    """More spans to mask in ``text[low:high]`` around detected ``regions``: digit runs
    of 4+ digits, dates ("Jan 5", "3/14"), e-mail- and URL-like strings, key-like runs of
    16+ letters and digits, capitalised
    name-like tokens right next to a region, and the cells of a tabular line (CSV, a list, a JSON object) that
    holds one. Pure; over-masks on purpose."""
    window = text[low:high]
    found: list[tuple[int, int, str]] = []
    for match in _DIGIT_RUN.finditer(window):
        if sum(c.isdigit() for c in match.group()) >= _MIN_CONTEXT_DIGITS:
            found.append((low + match.start(), low + match.end(), "DIGITS"))
    for pattern, label in ((_EMAIL_LIKE, "EMAIL_LIKE"), (_URL_LIKE, "URL_LIKE"), (_DATE_LIKE, "DATE_LIKE")):
        found.extend((low + m.start(), low + m.end(), label) for m in pattern.finditer(window))
    found.extend((low + m.start(), low + m.end(), "TOKEN_LIKE") for m in _TOKEN_LIKE.finditer(window)
                 if any(c.isdigit() for c in m.group()) and any(c.isalpha() for c in m.group()))
    for region in regions:
        if region.end <= low or region.start >= high:
            continue
        head = text[max(low, region.start - 40):region.start]
        before = re.search(r"(" + _NAME_TOKEN.pattern + r")\s+$", head)
        if before:
            found.append((region.start - len(before.group(0)), region.start - len(before.group(0))
                          + len(before.group(1)), "NAME_LIKE"))
        after = re.match(r"\s+(" + _NAME_TOKEN.pattern + r")", text[region.end:min(high, region.end + 40)])
        if after:
            found.append((region.end + after.start(1), region.end + after.end(1), "NAME_LIKE"))
        found.extend(_row_cells(text, region, low, high))
    return found


def _row_cells(text: str, region: MaskRegion, low: int, high: int) -> list[tuple[int, int, str]]:
    line_start = max(text.rfind("\n", 0, region.start) + 1, low)
    line_end = text.find("\n", region.end)
    line_end = min(high, len(text) if line_end < 0 else line_end)
    line = text[line_start:line_end]
    pieces = re.split(r"[,;\t|:]", line)
    # A row: three cells or more, none of them prose (a sentence with commas is no row).
    if len(pieces) < 3 or any(len(piece.split()) > 4 for piece in pieces):
        return []
    cells: list[tuple[int, int, str]] = []
    position = 0
    for piece in pieces:
        stripped = piece.strip(_CELL_TRIM)
        if stripped:
            offset = piece.find(stripped)
            start = line_start + position + offset
            cells.append((start, start + len(stripped), "CELL"))
        position += len(piece) + 1
    return cells


def excerpt_of(
    text: str,
    spans: Iterable[tuple[int, int, str]],
    start: int,
    end: int,
    window: int = DEFAULT_WINDOW,
    reveal: RevealPolicy = NO_REVEAL,
    overmask: bool = False,
) -> Excerpt:
    """About ``window`` characters either side of ``text[start:end]``, every span masked.

    ``spans`` must include the hit itself; it is masked like the others. Whitespace
    runs in the text between masks are folded to one space. With ``overmask``
    (findings' excerpts) :func:`context_spans` are masked too.
    """
    spans = list(spans)
    if not _covers(spans, start, end):
        spans.append((start, end, "REDACTED"))
    regions = mask_regions(spans)
    low = max(0, start - window)
    high = min(len(text), end + window)
    if overmask:
        extra = context_spans(text, regions, low, high)
        if extra:
            regions = _overmasked(regions, extra)
    pieces: list[tuple[str, bool]] = []
    position = low
    for region in regions:
        if region.end <= low or region.start >= high:
            continue
        if region.start > position:
            pieces.append((_WHITESPACE.sub(" ", text[position : region.start]), False))
        pieces.append((placeholder(text, region, reveal), True))
        position = max(position, region.end)
    if position < high:
        pieces.append((_WHITESPACE.sub(" ", text[position:high]), False))
    if pieces and not pieces[0][1]:
        pieces[0] = (pieces[0][0].lstrip(), False)
    if pieces and not pieces[-1][1]:
        pieces[-1] = (pieces[-1][0].rstrip(), False)
    if low > 0:
        pieces.insert(0, ("…", False))
    if high < len(text) and position < len(text):
        pieces.append(("…", False))
    return Excerpt(tuple(_joined(p for p in pieces if p[0])))


def _overmasked(regions: list[MaskRegion], extra: list[tuple[int, int, str]]) -> list[MaskRegion]:
    """The detected regions with the context spans merged in. A merged region is named
    by the detected labels in it (by the context label when none is); only an untouched
    detected region keeps its reveal hint."""
    extra = [e for e in extra if not any(r.start <= e[0] and e[1] <= r.end for r in regions)]
    if not extra:
        return regions
    detected = {(r.start, r.end): r for r in regions}
    merged = mask_regions([(r.start, r.end, r.label) for r in regions] + extra)
    out: list[MaskRegion] = []
    for region in merged:
        inside = [r for r in regions if region.start <= r.start and r.end <= region.end]
        if (region.start, region.end) in detected and len(inside) == 1:
            out.append(detected[(region.start, region.end)])
        elif inside:
            labels = sorted({part for r in inside for part in r.label.split("+")})
            out.append(MaskRegion(region.start, region.end, "+".join(labels), spans=region.spans))
        else:
            out.append(region)
    return out


def _joined(pieces: Iterable[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """Neighbouring plain pieces as one."""
    joined: list[tuple[str, bool]] = []
    for text, masked in pieces:
        if joined and not masked and not joined[-1][1]:
            joined[-1] = (joined[-1][0] + text, False)
        else:
            joined.append((text, masked))
    return joined


def redact_excerpt(
    text: str,
    spans: Iterable[tuple[int, int, str]],
    start: int,
    end: int,
    window: int = DEFAULT_WINDOW,
    reveal: RevealPolicy = NO_REVEAL,
) -> str:
    """:func:`excerpt_of` as a string."""
    return excerpt_of(text, spans, start, end, window, reveal).text


def _covers(spans: list[tuple[int, int, str]], start: int, end: int) -> bool:
    return any(s <= start and e >= end for s, e, _ in spans)
