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

import lzma
import os
import re
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from chatdlp.records import Conversation, Diagnostics
from chatdlp.sources._inflate import BoundedInflate, InflateLimitExceeded, InflateLimits
from chatdlp.sources.readers import looks_like_jsonl, read_document, read_export_array, read_jsonl, sniff

_DIRECTORY_SUFFIXES = frozenset({".json", ".jsonl", ".ndjson", ".zip"})
# Files of an extracted export that hold no conversations (group_chats.json and
# shopping.json come with recent exports: ../shared/reference/chatgpt-export.md).
_EXPORT_SIDE_FILES = frozenset(
    {"user.json", "message_feedback.json", "shared_conversations.json", "model_comparisons.json",
     "group_chats.json", "shopping.json"}
)


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

    def parts(self, diagnostics: Diagnostics) -> list[FileSource]:
        return [self]

    def conversations(self, diagnostics: Diagnostics) -> Iterator[Conversation]:
        source = self.name
        try:
            with self.path.open("rb") as stream:
                kind = sniff(stream)
                stream.seek(0)
                if kind == "object" and looks_like_jsonl(stream, str(self.path)):
                    kind = "jsonl"
                stream.seek(0)
                if kind == "array":
                    yield from read_export_array(stream, source, diagnostics,
                                                 reopen=lambda: self.path.open("rb"))
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
                yield from read_document(self.path, source, diagnostics)
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
        limits = InflateLimits.from_environment()
        with archive:
            members = [
                m for m in archive.infolist() if m.filename.rsplit("/", 1)[-1] == "conversations.json"
            ]
            if not members:
                diagnostics.fail(source, "ZIP archive without a conversations.json")
                return
            for number, member in enumerate(members):
                # The member's name is not quoted (a name can be anything): its position is.
                name = f"{source}!{member.filename}" if _PLAIN_MEMBER.fullmatch(member.filename) else (
                    f"{source}!member{number}")
                try:
                    with archive.open(member) as stream:
                        bounded = BoundedInflate(stream, member.compress_size, limits)

                        def reopen(member: zipfile.ZipInfo = member) -> IO[bytes]:
                            again = BoundedInflate(archive.open(member), member.compress_size, limits)
                            return again  # type: ignore[return-value]

                        yield from read_export_array(bounded, name, diagnostics,  # type: ignore[arg-type]
                                                     reopen=reopen)
                except InflateLimitExceeded as exc:
                    diagnostics.fail(name, "ZIP member read partly", exc.reason)
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

    def parts(self, diagnostics: Diagnostics) -> list[FileSource]:
        """Its files, each a source of its own (a run with ``--state`` may skip one it has read)."""
        failures = diagnostics.failures
        files = self.files(diagnostics)
        if not files and diagnostics.failures == failures:
            diagnostics.fail(self.name, "nothing to scan: no conversation files in the directory")
        return [FileSource(path, explicit=False) for path in files]

    def conversations(self, diagnostics: Diagnostics) -> Iterator[Conversation]:
        for part in self.parts(diagnostics):
            yield from part.conversations(diagnostics)


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
        if kind == "object" and looks_like_jsonl(head, ""):  # type: ignore[arg-type]
            kind = "jsonl"
        head.play()
        if kind == "empty":
            return
        if kind == "jsonl":
            yield from read_jsonl(head, self.name, diagnostics)  # type: ignore[arg-type]
        elif kind == "array":
            yield from read_export_array(head, self.name, diagnostics)  # type: ignore[arg-type]
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
