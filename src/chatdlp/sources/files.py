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

import io
import json
import zipfile
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

# A JSONL line is parsed whole; the sniffer reads at most this much of line one.
_SNIFF_LINE_LIMIT = 64 * 1024 * 1024
_DIRECTORY_SUFFIXES = frozenset({".json", ".jsonl", ".ndjson", ".zip"})
# Files of an extracted export that hold no conversations (group_chats.json and
# shopping.json come with recent exports: ../shared/reference/chatgpt-export.md).
_EXPORT_SIDE_FILES = frozenset(
    {"user.json", "message_feedback.json", "shared_conversations.json", "model_comparisons.json",
     "group_chats.json", "shopping.json"}
)


class _CountingReader(io.RawIOBase):
    """Wraps a binary stream and counts the bytes handed to the parser."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.position += n
        return n


def classify_record(
    record: Any, source: str, where: str, diagnostics: Diagnostics
) -> Iterator[Conversation | Message]:
    """Turn one parsed JSON value into conversations (or a flat message)."""
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
            yield from classify_record(item, source, f"{where} item {index}", diagnostics)
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
        keys = ", ".join(sorted(str(k) for k in record)[:6])
        diagnostics.skip(where, "unrecognised record", f"keys: {keys}")


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


def read_jsonl(stream: IO[bytes], source: str, diagnostics: Diagnostics) -> Iterator[Conversation]:
    """One JSON value per line; blank lines are ignored, bad lines skipped and named."""

    def records() -> Iterator[Conversation | Message]:
        for number, line in enumerate(stream, start=1):
            where = f"{source}:{number}"
            if not line.strip():
                continue
            if b"\x00" in line:
                diagnostics.skip(where, "line contains a NUL byte")
                continue
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                diagnostics.skip(where, "line is not valid UTF-8", f"byte {exc.start}")
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                reason = "truncated line" if not line.endswith(b"\n") else "malformed JSON"
                diagnostics.skip(where, reason, f"{exc.msg} at column {exc.colno}")
                continue
            yield from classify_record(record, source, where, diagnostics)

    # Saved Logs Platform files hold one event (one message) per line.
    return compliance_logs.merge_consecutive(_group_flat(records(), source))


def _read_export_array(
    stream: IO[bytes], source: str, diagnostics: Diagnostics
) -> Iterator[Conversation]:
    counter = _CountingReader(stream)
    buffered = io.BufferedReader(counter, buffer_size=256 * 1024)
    index = -1
    try:
        for index, record in enumerate(ijson.items(buffered, "item", use_float=True)):
            where = f"{source} conversation {index}"
            for item in classify_record(record, source, where, diagnostics):
                if isinstance(item, Conversation):
                    yield item
                else:
                    diagnostics.skip(where, "flat message inside an export array")
    except ijson.JSONError as exc:
        diagnostics.skip(
            f"{source}@byte~{counter.position}",
            "malformed or truncated JSON",
            f"after conversation {index}: {_first_line(exc)}",
        )


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
        counter = _CountingReader(stream)
        buffered = io.BufferedReader(counter, buffer_size=256 * 1024)
        try:
            for index, record in enumerate(ijson.items(buffered, "data.item", use_float=True)):
                seen += 1
                where = f"{source} item {index}"
                for item in classify_record(record, source, where, diagnostics):
                    if isinstance(item, Conversation):
                        yield item
        except ijson.JSONError as exc:
            diagnostics.skip(
                f"{source}@byte~{counter.position}",
                "malformed or truncated JSON",
                (f"after item {seen - 1}" if seen else "before the first item") + f": {_first_line(exc)}",
            )
            return
    if seen:
        return
    # Not a list page: a single record (a conversation), small enough to build.
    with path.open("rb") as stream:
        try:
            record = next(ijson.items(stream, "", use_float=True), None)
        except ijson.JSONError as exc:
            diagnostics.skip(source, "malformed JSON", _first_line(exc))
            return
    if isinstance(record, dict) and compliance_records.is_list_envelope(record):
        return  # an empty list page
    yield from _group_flat(classify_record(record, source, source, diagnostics), source)


def _first_line(exc: Exception) -> str:
    # ijson messages can quote the input: keep only a short first line.
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__


def sniff(stream: IO[bytes]) -> str:
    """'zip', 'array', 'object' or 'unknown' from the first bytes of a seekable stream."""
    head = stream.read(4)
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    while True:
        for byte in head:
            char = chr(byte)
            if char in " \t\r\n":
                continue
            return {"[": "array", "{": "object"}.get(char, "unknown")
        head = stream.read(4096)
        if not head:
            return "unknown"
        if head.startswith(b"\xef\xbb\xbf"):
            head = head[3:]


def _first_line_is_object(stream: IO[bytes]) -> bool:
    line = stream.readline(_SNIFF_LINE_LIMIT)
    if line.startswith(b"\xef\xbb\xbf"):
        line = line[3:]
    try:
        return isinstance(json.loads(line), dict)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False


@dataclass(frozen=True)
class FileSource:
    """A file of any supported kind; the format is sniffed."""

    path: Path
    explicit: bool = True  # named on the command line (not found in a directory)

    @property
    def name(self) -> str:
        return str(self.path)

    def conversations(self, diagnostics: Diagnostics) -> Iterator[Conversation]:
        source = self.name
        try:
            with self.path.open("rb") as stream:
                kind = sniff(stream)
                stream.seek(0)
                if kind == "object" and _first_line_is_object(stream):
                    kind = "jsonl"
                stream.seek(0)
                if kind == "array":
                    yield from _read_export_array(stream, source, diagnostics)
                    return
                if kind == "jsonl":
                    yield from read_jsonl(stream, source, diagnostics)
                    return
        except OSError as exc:
            diagnostics.skip(source, "cannot read file", exc.strerror or type(exc).__name__)
            return
        if kind == "zip":
            yield from self._zip(diagnostics)
        elif kind == "object":
            yield from _read_document(self.path, source, diagnostics)
        elif self.explicit:
            diagnostics.fail(source, "not a ChatGPT export, Compliance API page or JSONL file")
        else:
            diagnostics.skip(source, "not a conversation file")

    def _zip(self, diagnostics: Diagnostics) -> Iterator[Conversation]:
        source = self.name
        try:
            archive = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError) as exc:
            diagnostics.fail(source, "unreadable ZIP archive", str(exc)[:120])
            return
        with archive:
            members = [
                m for m in archive.namelist() if m.rsplit("/", 1)[-1] == "conversations.json"
            ]
            if not members:
                diagnostics.fail(source, "ZIP archive without a conversations.json")
                return
            for member in members:
                name = f"{source}!{member}"
                try:
                    with archive.open(member) as stream:
                        yield from _read_export_array(stream, name, diagnostics)
                except (zipfile.BadZipFile, OSError, EOFError) as exc:
                    diagnostics.skip(name, "corrupt ZIP member", str(exc)[:120])


@dataclass(frozen=True)
class DirectorySource:
    """Every conversation file below a directory, in a stable (sorted) order."""

    path: Path

    @property
    def name(self) -> str:
        return str(self.path)

    def files(self) -> list[Path]:
        return sorted(
            p
            for p in self.path.rglob("*")
            if p.is_file()
            and p.suffix.lower() in _DIRECTORY_SUFFIXES
            and p.name not in _EXPORT_SIDE_FILES
            and not any(part.startswith(".") for part in p.relative_to(self.path).parts)
        )

    def conversations(self, diagnostics: Diagnostics) -> Iterator[Conversation]:
        for path in self.files():
            yield from FileSource(path, explicit=False).conversations(diagnostics)


@dataclass(frozen=True)
class StreamSource:
    """JSONL on a binary stream (stdin)."""

    stream: IO[bytes]
    name: str = "<stdin>"

    def conversations(self, diagnostics: Diagnostics) -> Iterator[Conversation]:
        yield from read_jsonl(self.stream, self.name, diagnostics)
