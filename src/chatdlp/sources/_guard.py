"""The source boundary's guards: what hostile or damaged input cannot do to a run.

- Invalid UTF-8 is replaced (U+FFFD) while streaming, before any parser sees it, so
  one bad byte costs one string, never the rest of a file; a UTF-8 BOM is dropped.
- Nesting is capped at :data:`MAX_DEPTH` before any object is built: a value that
  would open level ``MAX_DEPTH + 1`` is replaced by ``null`` while streaming (ijson
  keeps a prefix per level, so memory would grow with depth squared; ``json``
  recurses). The JSON stays well formed; the cut is counted.
- Strings are capped at ``CHATDLP_MAX_STRING_CHARS`` characters (16 Mi by default)
  while streaming: the first part is kept and scanned, the rest dropped unbuilt, the
  cut counted (a 1 GB string inside a ZIP member or a gzip-bombed page costs no more).
- Lone surrogates (``"\\ud800"`` escapes) in any field of a Conversation are replaced
  (the tokenizer, SQLite, fingerprints and the JSONL writer reject them).
- Parser messages are reduced to the kind of fault: they quote the input otherwise.

Everything here is counted in :class:`Diagnostics` and never quotes input.
"""

from __future__ import annotations

import codecs
import dataclasses
import os
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import IO, Any, TypeVar

from chatdlp.errors import ConfigError
from chatdlp.records import Conversation, Diagnostics, Message

MAX_DEPTH = 64
# JSONL lines longer than this are skipped (read in bounded pieces, never whole).
MAX_LINE_BYTES = 64 * 1024 * 1024

_STRUCTURE = re.compile(r'[\\"\[\]{}]')
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_REPLACEMENT = "\ufffd"
_SAFE_FAULT = re.compile(r"[A-Za-z ,.()-]{1,80}")

REASON_UTF8 = "invalid UTF-8 replaced"
REASON_DEPTH = f"nesting deeper than {MAX_DEPTH} levels cut"
REASON_SURROGATE = "lone surrogate replaced"
REASON_LONG_STRING = "string longer than the limit cut"

# A JSON string longer than this many characters keeps its first part only (the
# rest is dropped while streaming, never built): CHATDLP_MAX_STRING_CHARS.
DEFAULT_MAX_STRING_CHARS = 16 * 1024 * 1024
MAX_STRING_ENV = "CHATDLP_MAX_STRING_CHARS"


def max_string_setting() -> int:
    raw = os.environ.get(MAX_STRING_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_STRING_CHARS
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        raise ConfigError(f"{MAX_STRING_ENV} must be a whole number of characters") from None
    if value < 1024:
        raise ConfigError(f"{MAX_STRING_ENV} must be at least 1024")
    return value


class JsonTextGuard:
    """Incremental: bytes in, valid UTF-8 JSON text with capped nesting and string
    length out."""

    def __init__(self, max_depth: int = MAX_DEPTH, max_string: int | None = None) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._max_depth = max_depth
        self._max_string = max_string if max_string is not None else max_string_setting()
        self._depth = 0
        self._in_string = False
        self._escaped_first = False  # the chunk's first character is escaped
        self._cut_at: int | None = None  # the depth a cut value opened at
        self._string_length = 0  # characters of the open string in earlier chunks
        self._string_cut = False  # the rest of the open string is being dropped
        self._carry = ""  # an escape sequence cut by the chunk's end: read with the next
        self._started = False
        self.replaced = 0  # invalid UTF-8 sequences replaced
        self.cuts = 0  # values cut for nesting too deep
        self.long_strings = 0  # strings cut at max_string characters

    def feed(self, data: bytes, final: bool = False) -> str:
        text = self._decoder.decode(data, final)
        if _REPLACEMENT in text:
            self.replaced += max(0, text.count(_REPLACEMENT) - data.count(b"\xef\xbf\xbd"))
        if not self._started and text:
            self._started = True
            if text.startswith("\ufeff"):
                text = text[1:]
        if final and self._at_top_level() and self._within_limits(text):
            return text  # what _cap would give back: nothing can be cut (a JSONL line, mostly)
        out = self._cap(text)
        if final and self._carry:
            out, self._carry = out + self._carry, ""
        return out

    def _at_top_level(self) -> bool:
        """Outside any string, value or escape: what _cap does next depends on the text only."""
        return (self._depth == 0 and not self._in_string and self._cut_at is None
                and not self._string_cut and not self._carry and not self._escaped_first)

    def _within_limits(self, text: str) -> bool:
        """No string in ``text`` can pass max_string and no value can open deeper than
        max_depth (every bracket counted, in strings too: an upper bound)."""
        return (len(text) <= self._max_string
                and text.count("[") + text.count("{") <= self._max_depth)

    @staticmethod
    def _open_escape(text: str, start: int) -> int:
        """Where an escape sequence left incomplete at the end of ``text`` starts (the
        open string's content from ``start``); ``len(text)`` when there is none."""
        backslash = text.rfind("\\", max(start, len(text) - 6))
        if backslash < 0:
            return len(text)
        run = backslash
        while run > start and text[run - 1] == "\\":
            run -= 1
        if (backslash - run) % 2:  # the last backslash is the escaped one of a pair
            return len(text)
        needed = 6 if text[backslash + 1:backslash + 2] in ("u", "") else 2
        return backslash if len(text) - backslash < needed else len(text)

    def _cut_point(self, text: str, start: int, began_escaped: bool) -> int:
        """Where to end the open string (content from ``start``) at max_string
        characters, never inside an escape sequence."""
        point = start + max(0, self._max_string - self._string_length)
        backslash = text.rfind("\\", max(start, point - 6), point)
        if backslash < 0:
            return point
        run = backslash
        while run > start and text[run - 1] == "\\":
            run -= 1
        count = backslash - run + 1 - (1 if run == 0 and began_escaped else 0)
        return backslash if count % 2 else point

    def _cap(self, text: str) -> str:
        text, self._carry = self._carry + text, ""
        pieces: list[str] = []
        emit_from = 0
        began_escaped = self._escaped_first
        skip_index = 0 if self._escaped_first else -1
        self._escaped_first = False
        string_start = 0  # where the open string's content starts in this chunk
        for match in _STRUCTURE.finditer(text):
            index = match.start()
            if index == skip_index:
                continue
            char = match.group()
            if self._in_string:
                if char == "\\":
                    skip_index = index + 1
                elif char == '"':
                    self._in_string = False
                    if self._string_cut:
                        self._string_cut = False
                        emit_from = index  # the closing quote goes out
                    elif (self._cut_at is None
                          and self._string_length + index - string_start > self._max_string):
                        pieces.append(text[emit_from:self._cut_point(text, string_start,
                                                                      began_escaped)])
                        emit_from = index
                        self.long_strings += 1
                continue
            if char == '"':
                self._in_string = True
                self._string_length = 0
                string_start = index + 1
            elif char in "[{":
                self._depth += 1
                if self._cut_at is None and self._depth > self._max_depth:
                    pieces.append(text[emit_from:index])
                    pieces.append("null")
                    self._cut_at = self._depth
                    self.cuts += 1
            elif char in "]}":
                if self._cut_at is not None and self._depth == self._cut_at:
                    self._cut_at = None
                    emit_from = index + 1
                self._depth -= 1
        if skip_index == len(text):
            self._escaped_first = True
        if self._in_string and self._cut_at is None and not self._string_cut:
            if self._string_length + len(text) - string_start > self._max_string:
                pieces.append(text[emit_from:self._cut_point(text, string_start, began_escaped)])
                self._string_cut = True
                self.long_strings += 1
            else:
                end = self._open_escape(text, string_start)
                if end < len(text):  # emitted whole with the next chunk
                    text, self._carry = text[:end], text[end:]
                    self._escaped_first = False
                self._string_length += len(text) - string_start
        if self._cut_at is None and not self._string_cut:
            pieces.append(text[emit_from:])
        return "".join(pieces)


class GuardedReader:
    """A binary stream for ijson: guarded text, re-encoded; counts the bytes read."""

    def __init__(self, raw: IO[bytes], chunk_size: int = 256 * 1024) -> None:
        self._raw = raw
        self._chunk_size = chunk_size
        self._pending = b""
        self._done = False
        self.guard = JsonTextGuard()
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""
        while not self._done and (size < 0 or len(self._pending) < size):
            data = self._raw.read(self._chunk_size)
            self.position += len(data)
            if not data:
                self._done = True
            self._pending += self.guard.feed(data, final=not data).encode("utf-8")
        if size < 0:
            size = len(self._pending)
        out, self._pending = self._pending[:size], self._pending[size:]
        return out

    def report(self, source: str, diagnostics: Diagnostics) -> None:
        report_guard(self.guard, source, diagnostics)


def report_guard(guard: JsonTextGuard, where: str, diagnostics: Diagnostics) -> None:
    if guard.replaced:
        diagnostics.skip(where, REASON_UTF8, f"{guard.replaced:,} byte sequence(s)")
    if guard.cuts:
        diagnostics.skip(where, REASON_DEPTH, f"{guard.cuts:,} value(s) replaced by null")
    if guard.long_strings:
        diagnostics.skip(where, REASON_LONG_STRING,
                         f"{guard.long_strings:,} string(s) kept to their first "
                         f"{guard._max_string:,} characters")


def guard_line(line: bytes, where: str, diagnostics: Diagnostics, first: bool = False) -> str:
    """One JSONL line as text: invalid UTF-8 replaced, nesting capped, BOM dropped (line 1)."""
    guard = JsonTextGuard()
    if not first:
        guard._started = True  # a BOM is only a BOM at the start of a file
    text = guard.feed(line, final=True)
    report_guard(guard, where, diagnostics)
    return text


def fault_of(exc: Exception) -> str:
    """The kind of a parser's fault, without the input it quotes (yajl shows the text)."""
    text = str(exc)
    if text.startswith(("b'", 'b"')):
        text = text[2:]
    first = text.split("\n", 1)[0].split("\\n", 1)[0].strip()
    match = _SAFE_FAULT.match(first)
    return match.group().strip() if match else type(exc).__name__


_T = TypeVar("_T")


def _clean_value(value: _T, counter: list[int]) -> _T:
    if isinstance(value, str):
        if value.isascii() or _SURROGATE.search(value) is None:
            return value
        counter[0] += 1
        return _SURROGATE.sub(_REPLACEMENT, value)  # type: ignore[return-value]
    if isinstance(value, tuple):
        cleaned = tuple(_clean_value(item, counter) for item in value)
        return value if cleaned == value else cleaned  # type: ignore[return-value]
    return value


# The fields cleaned of each record type (a conversation's messages are cleaned one by one).
_FIELD_NAMES: Mapping[type, tuple[str, ...]] = MappingProxyType({
    kind: tuple(item.name for item in dataclasses.fields(kind) if item.name != "messages")
    for kind in (Conversation, Message)
})


def _clean_fields(record: Conversation | Message, counter: list[int]) -> Any:
    changes: dict[str, Any] = {}
    for name in _FIELD_NAMES[type(record)]:
        value = getattr(record, name)
        cleaned = _clean_value(value, counter)
        if cleaned is not value:
            changes[name] = cleaned
    return dataclasses.replace(record, **changes) if changes else record


def clean_conversation(conversation: Conversation, diagnostics: Diagnostics) -> Conversation:
    """The conversation with every lone surrogate in it replaced (and counted)."""
    counter = [0]
    messages: list[Message] = [_clean_fields(message, counter) for message in conversation.messages]
    cleaned: Conversation = _clean_fields(conversation, counter)
    if not counter[0]:
        return conversation
    diagnostics.skip(f"{conversation.source or 'input'}", REASON_SURROGATE,
                     f"{counter[0]:,} field(s)")
    return dataclasses.replace(cleaned, messages=tuple(messages))
