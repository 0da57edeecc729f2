"""Files on disk and stdin: the format is sniffed from the content.

- ``PK..`` : a ChatGPT export ZIP (every ``conversations.json`` inside it)
- ``[``    : a ChatGPT export ``conversations.json`` (streamed with ijson)
- ``{``    : JSONL (Compliance API Conversations, flat messages, list pages or
             Logs Platform events, one per line) when the first line is a whole JSON object; else one
             JSON document: a saved Compliance API list page (streamed) or a
             single conversation.

Every reader is a generator: memory does not grow with the size of the file.
Bad records are reported to :class:`Diagnostics` with file and line (or byte
offset) and skipped; what was read before them is kept.
"""

from __future__ import annotations

import json
import lzma
import os
import re
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import ijson

from chatdlp.records import Conversation, Diagnostics, Message
from chatdlp.sources import (
    chatgpt_export,
    compliance_logs,
    compliance_objects,
    compliance_records,
    flat,
)
from chatdlp.sources._guard import MAX_LINE_BYTES, GuardedReader, fault_of, guard_line

# A JSONL line is parsed whole; the sniffer reads at most this much of line one.
_SNIFF_LINE_LIMIT = 64 * 1024 * 1024
_DIRECTORY_SUFFIXES = frozenset({".json", ".jsonl", ".ndjson", ".zip"})
# Files of an extracted export that hold no conversations (group_chats.json and
# shopping.json come with recent exports: ../shared/reference/chatgpt-export.md).
_EXPORT_SIDE_FILES = frozenset(
    {"user.json", "message_feedback.json", "shared_conversations.json", "model_comparisons.json",
     "group_chats.json", "shopping.json"}
)


# What a record of an unexpected shape can raise in the builders (a content.type that
# is an object, a list where text was expected, ...): the record is named and skipped.
_SHAPE_ERRORS = (TypeError, ValueError, AttributeError, KeyError, IndexError, RecursionError)
_PLAIN_KEY = re.compile(r"[a-z_]{1,32}")


def classify_record(
    record: Any, source: str, where: str, diagnostics: Diagnostics
) -> Iterator[Conversation | Message]:
    """Turn one parsed JSON value into conversations (or a flat message); never raises
    for a record's shape."""
    try:
        yield from _classify(record, source, where, diagnostics)
    except _SHAPE_ERRORS as exc:
        diagnostics.skip(where, "record of an unexpected shape", type(exc).__name__)


def _record_keys(record: dict[Any, Any]) -> str:
    """The keys of a record, for a warning: plain names only (a key can be a value)."""
    plain = sorted(k for k in record if isinstance(k, str) and _PLAIN_KEY.fullmatch(k))[:6]
    other = len(record) - len(plain) if len(plain) < 6 else 0
    return ", ".join(plain + ([f"{other} other"] if other else [])) or "none"


def _classify(
    record: Any, source: str, where: str, diagnostics: Diagnostics
) -> Iterator[Conversation | Message]:
    if not isinstance(record, dict):
        diagnostics.skip(where, "record is not a JSON object", type(record).__name__)
        return
    if chatgpt_export.is_export_conversation(record):
        conversation = chatgpt_export.conversation_from_export(record, source, where, diagnostics)
        if conversation is not None:
            yield conversation
    elif compliance_logs.is_log_event(record):
        conversation = compliance_logs.conversation_from_event(record, source, where, diagnostics)
        if conversation is not None:
            yield conversation
    elif compliance_records.is_list_envelope(record):
        for index, item in enumerate(record["data"]):
            yield from _classify(item, source, f"{where} item {index}", diagnostics)
    elif compliance_records.is_api_conversation(record):
        conversation = compliance_records.conversation_from_api(record, source, where, diagnostics)
        if conversation is not None:
            yield conversation
    elif (kind := compliance_objects.object_kind(record)) is not None:
        # projects, GPTs, memories, automations, ... and the items of a /messages page
        conversation = compliance_objects.conversation_from_object(
            record, kind, source, where, diagnostics
        )
        if conversation is not None:
            yield conversation
    elif flat.is_flat_message(record):
        message = flat.message_from_flat(record, source)
        if message is None:
            diagnostics.skip(where, "flat message with a missing or invalid field")
        else:
            yield message
    else:
        diagnostics.skip(where, "unrecognised record", f"keys: {_record_keys(record)}")


def _group_flat(items: Iterator[Conversation | Message], source: str) -> Iterator[Conversation]:
    """Consecutive flat messages of one conversation become one Conversation."""
    pending: list[Message] = []
    for item in items:
        if isinstance(item, Message):
            if pending and pending[0].conversation_id != item.conversation_id:
                yield flat.conversation_of(pending, source)
                pending = []
            pending.append(item)
        else:
            if pending:
                yield flat.conversation_of(pending, source)
                pending = []
            yield item
    if pending:
        yield flat.conversation_of(pending, source)


def _lines(stream: IO[bytes], source: str, diagnostics: Diagnostics) -> Iterator[tuple[int, bytes]]:
    """The lines of a stream, each read in bounded pieces: a line longer than
    MAX_LINE_BYTES is skipped (named), the ones after it are read."""
    number = 0
    while True:
        line = stream.readline(MAX_LINE_BYTES)
        if not line:
            return
        number += 1
        if len(line) >= MAX_LINE_BYTES and not line.endswith(b"\n"):
            while (rest := stream.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass
            diagnostics.skip(f"{source}:{number}", f"line longer than {MAX_LINE_BYTES:,} bytes")
            continue
        yield number, line


def read_jsonl(stream: IO[bytes], source: str, diagnostics: Diagnostics) -> Iterator[Conversation]:
    """One JSON value per line; blank lines are ignored, bad lines skipped and named."""

    def records() -> Iterator[Conversation | Message]:
        for number, line in _lines(stream, source, diagnostics):
            where = f"{source}:{number}"
            if not line.strip():
                continue
            if b"\x00" in line:
                diagnostics.skip(where, "line contains a NUL byte")
                continue
            text = guard_line(line, where, diagnostics, first=number == 1)
            if not text.strip():
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                reason = "truncated line" if not line.endswith(b"\n") else "malformed JSON"
                diagnostics.skip(where, reason, f"{exc.msg} at column {exc.colno}")
                continue
            except RecursionError:
                diagnostics.skip(where, "malformed JSON", "nested too deeply")
                continue
            yield from classify_record(record, source, where, diagnostics)

    # Saved Logs Platform files hold one event (one message) per line.
    return compliance_logs.merge_consecutive(_group_flat(records(), source))


# yajl raises UnicodeDecodeError (a ValueError) for some surrogate escapes in keys.
_PARSE_ERRORS = (ijson.JSONError, ValueError, RecursionError)


def _read_export_array(
    stream: IO[bytes], source: str, diagnostics: Diagnostics
) -> Iterator[Conversation]:
    reader = GuardedReader(stream)
    index = -1
    try:
        for index, record in enumerate(ijson.items(reader, "item", use_float=True)):
            where = f"{source} conversation {index}"
            for item in classify_record(record, source, where, diagnostics):
                if isinstance(item, Conversation):
                    yield item
                else:
                    diagnostics.skip(where, "flat message inside an export array")
    except _PARSE_ERRORS as exc:
        diagnostics.skip(
            f"{source}@byte~{reader.position}",
            "malformed or truncated JSON",
            f"after conversation {index}: {fault_of(exc)}",
        )
    finally:
        reader.report(source, diagnostics)


def _read_document(path: Path, source: str, diagnostics: Diagnostics) -> Iterator[Conversation]:
    """A single JSON object: a list page (streamed item by item) or one conversation.

    The items of an object page (a GPT's configs, a /messages page) that belong to
    one pseudo-conversation come out as one."""
    return compliance_logs.merge_consecutive(_read_document_items(path, source, diagnostics))


def _read_document_items(
    path: Path, source: str, diagnostics: Diagnostics
) -> Iterator[Conversation]:
    seen = 0
    with path.open("rb") as stream:
        reader = GuardedReader(stream)
        try:
            for index, record in enumerate(ijson.items(reader, "data.item", use_float=True)):
                seen += 1
                where = f"{source} item {index}"
                for item in classify_record(record, source, where, diagnostics):
                    if isinstance(item, Conversation):
                        yield item
        except _PARSE_ERRORS as exc:
            diagnostics.skip(
                f"{source}@byte~{reader.position}",
                "malformed or truncated JSON",
                (f"after item {seen - 1}" if seen else "before the first item") + f": {fault_of(exc)}",
            )
            reader.report(source, diagnostics)
            return
        if seen:
            reader.report(source, diagnostics)
            return
    # Not a list page: a single record (a conversation), small enough to build.
    with path.open("rb") as stream:
        reader = GuardedReader(stream)
        try:
            record = next(ijson.items(reader, "", use_float=True), None)
        except _PARSE_ERRORS as exc:
            diagnostics.skip(source, "malformed JSON", fault_of(exc))
            return
        finally:
            reader.report(source, diagnostics)
    if isinstance(record, dict) and compliance_records.is_list_envelope(record):
        return  # an empty list page
    yield from _group_flat(classify_record(record, source, source, diagnostics), source)


_BOM = b"\xef\xbb\xbf"


def sniff(stream: IO[bytes]) -> str:
    """'zip', 'array', 'object', 'empty' (nothing but white space) or 'unknown' from the
    first bytes of a stream; a UTF-8 BOM is skipped."""
    head = stream.read(4)
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(_BOM):
        head = head[3:]
    while True:
        for byte in head:
            char = chr(byte)
            if char in " \t\r\n":
                continue
            return {"[": "array", "{": "object"}.get(char, "unknown")
        head = stream.read(4096)
        if not head:
            return "empty"


def _parses_as_object(line: bytes) -> bool:
    if line.startswith(_BOM):
        line = line[3:]
    try:
        return isinstance(json.loads(line), dict)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return False


def _looks_like_jsonl(stream: IO[bytes], name: str) -> bool:
    """An object file is JSONL when its first line is a whole object, or (a first line
    that is malformed) its next non-blank line is; or when its name says so."""
    first = stream.readline(_SNIFF_LINE_LIMIT)
    if _parses_as_object(first):
        return True
    if name.lower().endswith((".jsonl", ".ndjson")):
        return True
    stripped = first.strip()
    if stripped in (b"{", b"") or stripped.endswith((b"[", b",", b":")):
        return False  # the start of a pretty-printed document
    for _ in range(3):
        line = stream.readline(_SNIFF_LINE_LIMIT)
        if not line:
            return False
        if line.strip():
            return _parses_as_object(line)
    return False


_UNREADABLE_MEMBER = (
    zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, zlib.error,
    lzma.LZMAError, ValueError,
)


@dataclass(frozen=True)
class FileSource:
    """A file of any supported kind; the format is sniffed."""

    path: Path
    explicit: bool = True  # named on the command line (not found in a directory)
    label: str | None = None  # the name in diagnostics and findings (stdin's spool file)

    @property
    def name(self) -> str:
        return self.label or str(self.path)

    def conversations(self, diagnostics: Diagnostics) -> Iterator[Conversation]:
        source = self.name
        try:
            with self.path.open("rb") as stream:
                kind = sniff(stream)
                stream.seek(0)
                if kind == "object" and _looks_like_jsonl(stream, str(self.path)):
                    kind = "jsonl"
                stream.seek(0)
                if kind == "array":
                    yield from _read_export_array(stream, source, diagnostics)
                    return
                if kind == "jsonl":
                    yield from read_jsonl(stream, source, diagnostics)
                    return
        except OSError as exc:
            diagnostics.fail(source, "cannot read file", exc.strerror or type(exc).__name__)
            return
        if kind == "empty":
            return  # a 0-byte file (a quiet night's archive) is an empty source
        if kind == "zip":
            yield from self._zip(diagnostics)
        elif kind == "object":
            try:
                yield from _read_document(self.path, source, diagnostics)
            except OSError as exc:
                diagnostics.fail(source, "cannot read file", exc.strerror or type(exc).__name__)
        elif self.explicit:
            diagnostics.fail(source, "not a ChatGPT export, Compliance API page or JSONL file")
        else:
            diagnostics.skip(source, "not a conversation file")

    def _zip(self, diagnostics: Diagnostics) -> Iterator[Conversation]:
        source = self.name
        try:
            archive = zipfile.ZipFile(self.path)
        except _UNREADABLE_MEMBER as exc:  # a version or a method zipfile does not read, too
            diagnostics.fail(source, "unreadable ZIP archive", type(exc).__name__)
            return
        with archive:
            members = [
                m for m in archive.namelist() if m.rsplit("/", 1)[-1] == "conversations.json"
            ]
            if not members:
                diagnostics.fail(source, "ZIP archive without a conversations.json")
                return
            for number, member in enumerate(members):
                # The member's name is not quoted (a name can be anything): its position is.
                name = f"{source}!{member}" if _PLAIN_MEMBER.fullmatch(member) else (
                    f"{source}!member{number}")
                try:
                    with archive.open(member) as stream:
                        yield from _read_export_array(stream, name, diagnostics)
                except _UNREADABLE_MEMBER as exc:
                    diagnostics.fail(name, _member_fault(exc), type(exc).__name__)


_PLAIN_MEMBER = re.compile(r"[A-Za-z0-9_./ -]{1,200}")


def _member_fault(exc: BaseException) -> str:
    if isinstance(exc, RuntimeError) and "encrypted" in str(exc):
        return "encrypted ZIP member"
    if isinstance(exc, NotImplementedError):
        return "ZIP member with an unsupported compression"
    return "corrupt ZIP member"


@dataclass(frozen=True)
class DirectorySource:
    """Every conversation file below a directory, in a stable (sorted) order."""

    path: Path

    @property
    def name(self) -> str:
        return str(self.path)

    def files(self, diagnostics: Diagnostics | None = None) -> list[Path]:
        found: list[Path] = []

        def unreadable(error: OSError) -> None:
            if diagnostics is not None:
                where = error.filename if isinstance(error.filename, str) else self.name
                diagnostics.fail(where, "cannot read directory", error.strerror or type(error).__name__)

        for directory, subdirectories, names in os.walk(self.path, onerror=unreadable):
            relative = Path(directory).relative_to(self.path)
            if any(part.startswith(".") for part in relative.parts):
                subdirectories[:] = []
                continue
            subdirectories.sort()
            for name in names:
                path = Path(directory) / name
                if (
                    not name.startswith(".")
                    and path.suffix.lower() in _DIRECTORY_SUFFIXES
                    and name not in _EXPORT_SIDE_FILES
                    and path.is_file()
                ):
                    found.append(path)
        return sorted(found)

    def conversations(self, diagnostics: Diagnostics) -> Iterator[Conversation]:
        failures = diagnostics.failures
        files = self.files(diagnostics)
        if not files and diagnostics.failures == failures:
            diagnostics.fail(self.name, "nothing to scan: no conversation files in the directory")
        for path in files:
            yield from FileSource(path, explicit=False).conversations(diagnostics)


@dataclass(frozen=True)
class StreamSource:
    """A binary stream (stdin), sniffed like a file: JSONL and export arrays are read as
    they arrive; a ZIP or a single document is spooled to a private temporary file."""

    stream: IO[bytes]
    name: str = "<stdin>"

    def conversations(self, diagnostics: Diagnostics) -> Iterator[Conversation]:
        head = _Replay(self.stream)
        kind = sniff(head)  # type: ignore[arg-type]
        head.rewind()
        if kind == "object" and _looks_like_jsonl(head, ""):  # type: ignore[arg-type]
            kind = "jsonl"
        head.play()
        if kind == "empty":
            return
        if kind == "jsonl":
            yield from read_jsonl(head, self.name, diagnostics)  # type: ignore[arg-type]
        elif kind == "array":
            yield from _read_export_array(head, self.name, diagnostics)  # type: ignore[arg-type]
        elif kind in ("zip", "object"):
            with tempfile.TemporaryDirectory(prefix="chatdlp-stdin-") as directory:
                spool = Path(directory) / "stdin"
                descriptor = os.open(spool, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "wb") as out:
                    while chunk := head.read(1024 * 1024):
                        out.write(chunk)
                yield from FileSource(spool, label=self.name).conversations(diagnostics)
        else:
            diagnostics.fail(self.name, "not a ChatGPT export, Compliance API page or JSONL file")


class _Replay:
    """A stream whose first bytes (what sniffing read) can be read again: while
    ``recording``, what is read is kept and :meth:`rewind` serves it again; after
    :meth:`play`, the kept bytes are served once, then the stream itself."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._kept = b""
        self._position = 0
        self._recording = True

    def rewind(self) -> None:
        self._position = 0

    def play(self) -> None:
        self._position = 0
        self._recording = False

    def _from_kept(self, size: int, line: bool) -> bytes:
        rest = self._kept[self._position:]
        if line and (end := rest.find(b"\n")) >= 0:
            rest = rest[: end + 1]
        if size >= 0:
            rest = rest[:size]
        self._position += len(rest)
        if not self._recording and self._position >= len(self._kept):
            self._kept, self._position = b"", 0
        return rest

    def _from_raw(self, data: bytes) -> bytes:
        if self._recording:
            self._kept += data
            self._position += len(data)
        return data

    def read(self, size: int = -1) -> bytes:
        kept = self._from_kept(size, line=False)
        if (size >= 0 and len(kept) >= size) or size == 0:
            return kept
        return kept + self._from_raw(self._raw.read(size - len(kept) if size >= 0 else -1))

    def readline(self, size: int = -1) -> bytes:
        kept = self._from_kept(size, line=True)
        if kept.endswith(b"\n") or (size >= 0 and len(kept) >= size):
            return kept
        return kept + self._from_raw(self._raw.readline(size - len(kept) if size >= 0 else -1))

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line
