"""Values written to slip past patterns, read back into the form the patterns know.

``plain_view(text)`` returns a :class:`PlainView` of the text with disguises undone,
and an offset map back to the original, or None when the text holds none:

- invisible characters (zero-width spaces and joiners, soft hyphens, word joiners,
  bidi marks: every format character) inside a value are dropped;
- full-width and other Unicode digit and letter forms are folded (NFKC), digits of
  any script become ASCII digits;
- digits spelled out in English words (``five three six ...``, four or more) become
  digits;
- single digits spaced apart (``5 3 6 - 2 2 - 8 1 9 4``) are closed up;
- ``name dot surname at domain dot com`` becomes an e-mail address;
- a long key broken across two lines is joined.

A span found in the view maps back with :meth:`PlainView.original_span` to the
original characters it came from, invisible ones included, so redaction masks
every one of them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import regex

_DIGIT_WORDS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
}
_DIGIT_WORD = "(?:" + "|".join(_DIGIT_WORDS) + ")"
_SPELLED = regex.compile(
    rf"(?<!\w){_DIGIT_WORD}(?:(?:[ ,]+|[ ]*-[ ]*|[ ]+dash[ ]+){_DIGIT_WORD}){{3,}}(?!\w)", regex.IGNORECASE
)
_SPELLED_PART = regex.compile(rf"{_DIGIT_WORD}|dash", regex.IGNORECASE)
# Single digits, each set apart by spaces (a dash or dot between groups is kept).
_SPACED = regex.compile(r"(?<![\w])\d(?:(?:[ \t]+|[ \t]*[-.][ \t]*)\d(?![\w])){6,}")
_TLDS = frozenset({
    "com", "org", "net", "edu", "gov", "mil", "int", "io", "co", "info", "biz", "me", "app", "dev", "ai",
})
_AT = r"(?:\s*@\s*|\s*[\[(]\s*at\s*[\])]\s*|\s+at\s+)"
_DOT = r"(?:\s*\.\s*|\s*[\[(]\s*dot\s*[\])]\s*|\s+dot\s+)"
_LABEL = r"[A-Za-z0-9_%+-]+"
_SPOKEN_EMAIL = regex.compile(
    rf"(?<![\w.@]){_LABEL}(?:{_DOT}{_LABEL})*{_AT}{_LABEL}(?:{_DOT}{_LABEL})+(?![\w@])", regex.IGNORECASE
)
_SPOKEN_PART = regex.compile(rf"({_AT})|({_DOT})", regex.IGNORECASE)
# A token of 16+ key characters at a line's end, continued by 8+ at the next line's start.
_SPLIT_KEY = regex.compile(r"([A-Za-z0-9+/_=-]{16,})[ \t]*\r?\n[ \t]*(?=[A-Za-z0-9+/_=-]{8,})")


@dataclass(frozen=True)
class PlainView:
    """The text with disguises undone; ``starts[i]``/``ends[i]`` is the original range of
    view character ``i``."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        if end <= start:
            raise ValueError("empty span")
        return self.starts[start], self.ends[end - 1]


class _Builder:
    """One rewriting pass over (text, offset map): pieces copied or replaced."""

    def __init__(self, text: str, starts: list[int], ends: list[int]) -> None:
        self.src, self.src_starts, self.src_ends = text, starts, ends
        self.out: list[str] = []
        self.starts: list[int] = []
        self.ends: list[int] = []

    def copy(self, a: int, b: int) -> None:
        self.out.append(self.src[a:b])
        self.starts += self.src_starts[a:b]
        self.ends += self.src_ends[a:b]

    def replace(self, a: int, b: int, new: str) -> None:
        """``src[a:b]`` becomes ``new``; every new character maps to the whole original range
        (never empty: a dropped range is absorbed by its neighbours' spans)."""
        if not new:
            return
        self.out.append(new)
        self.starts += [self.src_starts[a]] * len(new)
        self.ends += [self.src_ends[b - 1]] * len(new)

    def done(self) -> tuple[str, list[int], list[int]]:
        return "".join(self.out), self.starts, self.ends


def _rewrite(
    text: str, starts: list[int], ends: list[int],
    matches: Callable[[str], Iterable[regex.Match[str]]],
    replacement: Callable[[regex.Match[str]], list[tuple[int, int, str | None]]],
) -> tuple[str, list[int], list[int]]:
    """Apply ``replacement`` to each match (in order, not overlapping): a list of (start,
    end, new or None to keep)."""
    builder = _Builder(text, starts, ends)
    position = 0
    for match in matches(text):
        builder.copy(position, match.start())
        for a, b, new in replacement(match):
            if new is None:
                builder.copy(a, b)
            else:
                builder.replace(a, b, new)
        position = match.end()
    builder.copy(position, len(text))
    return builder.done()


def _fold_characters(text: str) -> tuple[str, list[int], list[int]]:
    """Drop format characters; fold compatibility forms and digits of other scripts."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for index, char in enumerate(text):
        if char.isascii():
            folded = char
        elif unicodedata.category(char) == "Cf":
            # Absorbed into the previous character's range so the span still covers it.
            if ends:
                ends[-1] = index + 1
            continue
        elif char.isdecimal():
            folded = str(unicodedata.decimal(char))
        else:
            folded = unicodedata.normalize("NFKC", char)
            if len(folded) != 1 or not folded.isascii():
                folded = char
        out.append(folded)
        starts.append(index)
        ends.append(index + 1)
    return "".join(out), starts, ends


def _spelled(match: regex.Match[str]) -> list[tuple[int, int, str | None]]:
    pieces: list[tuple[int, int, str | None]] = []
    for part in _SPELLED_PART.finditer(match.group()):
        word = part.group().casefold()
        digit = "-" if word == "dash" else _DIGIT_WORDS[word]
        pieces.append((match.start() + part.start(), match.start() + part.end(), digit))
    return pieces


def _spaced(match: regex.Match[str]) -> list[tuple[int, int, str | None]]:
    pieces: list[tuple[int, int, str | None]] = []
    for offset, char in enumerate(match.group()):
        if not char.isspace():
            at = match.start() + offset
            pieces.append((at, at + 1, None))
    return pieces


def _ends_in_tld(match: regex.Match[str]) -> bool:
    last_label = regex.split(_DOT, match.group(), flags=regex.IGNORECASE)[-1]
    return last_label.casefold() in _TLDS or regex.fullmatch(r"[A-Za-z]{2}", last_label) is not None


def _spoken_emails(text: str) -> list[regex.Match[str]]:
    """Spoken e-mail addresses ending in a top-level domain, leftmost first: every start is
    tried ("her at maria dot lopez at contoso dot com" holds one, from "maria")."""
    found: list[regex.Match[str]] = []
    for match in _SPOKEN_EMAIL.finditer(text, overlapped=True):
        if _ends_in_tld(match) and (not found or match.start() >= found[-1].end()):
            found.append(match)
    return found


def _spoken_email(match: regex.Match[str]) -> list[tuple[int, int, str | None]]:
    value = match.group()
    pieces: list[tuple[int, int, str | None]] = []
    position = 0
    for part in _SPOKEN_PART.finditer(value):
        pieces.append((match.start() + position, match.start() + part.start(), None))
        symbol = "@" if part.group(1) else "."
        pieces.append((match.start() + part.start(), match.start() + part.end(), symbol))
        position = part.end()
    pieces.append((match.start() + position, match.end(), None))
    return [p for p in pieces if p[0] < p[1]]


def _split_key(match: regex.Match[str]) -> list[tuple[int, int, str | None]]:
    return [(match.start(1), match.end(1), None)]  # the line break after it is dropped


def plain_view(text: str) -> PlainView | None:
    """The text with disguised values undone, or None when there is nothing to undo."""
    if text.isascii() and not _might_hide(text):
        return None
    view, starts, ends = _fold_characters(text)
    for matches, replacement in (
        (_SPELLED.finditer, _spelled), (_SPACED.finditer, _spaced), (_spoken_emails, _spoken_email),
        (_SPLIT_KEY.finditer, _split_key),
    ):
        view, starts, ends = _rewrite(view, starts, ends, matches, replacement)
    if view == text:
        return None
    return PlainView(view, tuple(starts), tuple(ends))


_CHEAP_CUES = regex.compile(
    rf"{_DIGIT_WORD}[ ,-]+{_DIGIT_WORD}|\d[ \t]+\d[ \t]+\d|\b(?:at|dot)\b|[\[(]at[\])]|"
    r"[A-Za-z0-9+/_=-]{16}[ \t]*\r?\n",
    regex.IGNORECASE,
)


def _might_hide(text: str) -> bool:
    return _CHEAP_CUES.search(text) is not None
