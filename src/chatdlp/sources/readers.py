"""The record readers of files and stdin: sniffing the format from the content, JSONL
line by line, export arrays and single documents streamed with ijson, each record
classified (export conversation, Compliance API object, log event, flat message, saved
page of objects) and read, or named, counted and skipped."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
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
from chatdlp.sources.export_stream import Reopen, stream_export_array

# A JSONL line is parsed whole; the sniffer reads at most this much of line one.
_SNIFF_LINE_LIMIT = 64 * 1024 * 1024

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


def read_export_array(
    stream: IO[bytes], source: str, diagnostics: Diagnostics, reopen: Reopen | None = None
) -> Iterator[Conversation]:
    """The conversations of an export array, each streamed node by node
    (:mod:`chatdlp.sources.export_stream`); ``reopen`` opens the same input again,
    for reading a conversation's id ahead when it comes after a large mapping."""
    reader = GuardedReader(stream)
    done = [-1]  # the index of the last conversation read whole

    def classify(record: Any, where: str) -> Iterator[Conversation]:
        for item in classify_record(record, source, where, diagnostics):
            if isinstance(item, Conversation):
                yield item
            else:
                diagnostics.skip(where, "flat message inside an export array")

    try:
        yield from stream_export_array(reader, source, diagnostics, classify, reopen, done)
    except _PARSE_ERRORS as exc:
        diagnostics.skip(
            f"{source}@byte~{reader.position}",
            "malformed or truncated JSON",
            f"after conversation {done[0]}: {fault_of(exc)}",
        )
    finally:
        reader.report(source, diagnostics)


def read_document(path: Path, source: str, diagnostics: Diagnostics) -> Iterator[Conversation]:
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


def looks_like_jsonl(stream: IO[bytes], name: str) -> bool:
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
