"""``chatdlp fetch``: raw Compliance API conversations -> a JSONL archive, merged by id.

Conversations are written to a temporary file as they stream in, and an
on-disk SQLite index records where each id's line is. A conversation that came
back later (updated while paging) is merged at the end: its versions are read
back one id at a time, so memory holds one conversation's versions, never the
workspace. The archive replaces ``--out`` atomically (mode 0600).
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from chatdlp.errors import ChatdlpError, ConfigError, SourceError
from chatdlp.records import Diagnostics

if TYPE_CHECKING:
    from chatdlp.sources.compliance_api.settings import ComplianceOptions

FILE_MODE = 0o600


class RawRecord(Protocol):
    @property
    def raw(self) -> dict[str, Any]: ...


class RecordSource(Protocol):
    @property
    def name(self) -> str: ...

    def records(self, diagnostics: Diagnostics) -> Iterator[RawRecord]: ...


@dataclass
class ArchiveStats:
    records: int = 0  # conversations read (a conversation seen twice counts twice)
    written: int = 0  # lines in the archive
    merged: int = 0  # ids that came back and were merged


def _message_key(message: Any) -> str:
    message_id = message.get("id") if isinstance(message, dict) else None
    if isinstance(message_id, str):
        return "id:" + message_id
    return "json:" + json.dumps(message, sort_keys=True, ensure_ascii=False)


def _message_items(conversation: dict[str, Any]) -> list[Any]:
    messages = conversation.get("messages")
    if isinstance(messages, dict):
        messages = messages.get("data")
    return messages if isinstance(messages, list) else []


def merge_versions(versions: list[dict[str, Any]]) -> dict[str, Any]:
    """One conversation from its versions, oldest first.

    The newest version's fields win; messages are the union by message id, in
    the order first seen, each as its newest version has it.
    """
    merged_messages: dict[str, Any] = {}
    for version in versions:
        for message in _message_items(version):
            merged_messages[_message_key(message)] = message
    data = list(merged_messages.values())
    result = dict(versions[-1])
    envelope = result.get("messages")
    if isinstance(envelope, dict):
        last = data[-1] if data else None
        result["messages"] = {
            **envelope,
            "data": data,
            "last_id": last.get("id") if isinstance(last, dict) else envelope.get("last_id"),
        }
    else:
        result["messages"] = data
    return result


def _encode(record: dict[str, Any]) -> bytes:
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: keep it as a JSON escape
        return (json.dumps(record, ensure_ascii=True, separators=(",", ":")) + "\n").encode()


class ConversationArchive:
    """Writes conversations to ``path`` (JSONL), one line per id, on :meth:`close`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.stats = ArchiveStats()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.fchmod(fd, FILE_MODE)
        self._temp = Path(temp)
        self._handle: IO[bytes] = os.fdopen(fd, "wb")
        self._index_dir = tempfile.TemporaryDirectory(prefix=".chatdlp-fetch-", dir=path.parent)
        self._index = sqlite3.connect(Path(self._index_dir.name) / "index.sqlite")
        self._index.execute(
            "CREATE TABLE lines (offset INTEGER PRIMARY KEY, length INTEGER, id TEXT)"
        )
        self._index.execute("CREATE INDEX lines_id ON lines (id)")
        self._offset = 0
        self._closed = False

    def add(self, record: dict[str, Any]) -> None:
        line = _encode(record)
        conversation_id = record.get("id")
        key = conversation_id if isinstance(conversation_id, str) else None
        self._handle.write(line)
        self._index.execute("INSERT INTO lines VALUES (?, ?, ?)", (self._offset, len(line), key))
        self._offset += len(line)
        self.stats.records += 1

    def close(self) -> ArchiveStats:
        """Merge reappearing ids, then move the archive into place atomically."""
        if self._closed:
            return self.stats
        self._closed = True
        try:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            self._index.commit()
            if self._has_duplicates():
                merged = self._merge()
                self._temp.unlink()
                self._temp = merged
            self.stats.written = self._index.execute(
                "SELECT COUNT(*) FROM (SELECT 1 FROM lines GROUP BY coalesce(id, offset))"
            ).fetchone()[0]
            os.replace(self._temp, self.path)
        except OSError as exc:
            self._discard_files()
            raise SourceError(f"{self.path}: cannot write the archive ({exc.strerror})") from None
        finally:
            self._cleanup()
        return self.stats

    def discard(self) -> None:
        """Drop what was written: ``--out`` is left as it was."""
        if self._closed:
            return
        self._closed = True
        self._discard_files()
        self._cleanup()

    def _discard_files(self) -> None:
        if not self._handle.closed:
            self._handle.close()
        self._temp.unlink(missing_ok=True)

    def _cleanup(self) -> None:
        if not self._handle.closed:
            self._handle.close()
        self._index.close()
        self._index_dir.cleanup()

    def _has_duplicates(self) -> bool:
        row = self._index.execute(
            "SELECT 1 FROM lines WHERE id IS NOT NULL GROUP BY id HAVING COUNT(*) > 1 LIMIT 1"
        ).fetchone()
        return row is not None

    def _merge(self) -> Path:
        self._index.execute(
            "CREATE TABLE repeated AS SELECT id, MIN(offset) AS first FROM lines "
            "WHERE id IS NOT NULL GROUP BY id HAVING COUNT(*) > 1"
        )
        self._index.execute("CREATE INDEX repeated_id ON repeated (id)")
        fd, merged_name = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
        )
        os.fchmod(fd, FILE_MODE)
        merged_path = Path(merged_name)
        rows = self._index.execute(
            "SELECT lines.offset, lines.length, lines.id, repeated.first FROM lines "
            "LEFT JOIN repeated ON lines.id = repeated.id ORDER BY lines.offset"
        )
        with self._temp.open("rb") as source, os.fdopen(fd, "wb") as out:
            for offset, length, conversation_id, first in rows:
                if first is None:
                    source.seek(offset)
                    out.write(source.read(length))
                elif offset == first:
                    versions = [
                        json.loads(self._read(source, o, n))
                        for o, n in self._index.execute(
                            "SELECT offset, length FROM lines WHERE id = ? ORDER BY offset",
                            (conversation_id,),
                        ).fetchall()
                    ]
                    out.write(_encode(merge_versions(versions)))
                    self.stats.merged += 1
            out.flush()
            os.fsync(out.fileno())
        return merged_path

    @staticmethod
    def _read(handle: IO[bytes], offset: int, length: int) -> bytes:
        handle.seek(offset)
        return handle.read(length)


def run_fetch(source: RecordSource, out: Path, diagnostics: Diagnostics) -> ArchiveStats:
    """Archive every conversation of ``source`` into ``out``.

    When the source fails part-way with a chatdlp error, what was read is
    still written (then the error is re-raised); when nothing was read, ``out``
    is left untouched.
    """
    archive = ConversationArchive(out)
    try:
        for record in source.records(diagnostics):
            archive.add(record.raw)
    except ChatdlpError:
        if archive.stats.records:
            archive.close()
        else:
            archive.discard()
        raise
    except BaseException:
        archive.discard()
        raise
    return archive.close()


def open_for_fetch(spec: str, options: ComplianceOptions) -> RecordSource:
    """The live source ``chatdlp fetch`` archives: compliance://WORKSPACE_ID only."""
    from chatdlp.sources.compliance_api.settings import SCHEME
    from chatdlp.sources.compliance_api.workspace import open_from_options

    if not spec.startswith(SCHEME):
        raise ConfigError(f"{spec}: fetch reads compliance://WORKSPACE_ID sources only")
    return open_from_options(spec, options)
