"""The state's schema, its rows and records, and the connection every part of the store shares."""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from chatdlp.errors import ConfigError, StateError
from chatdlp.records import Finding, Message

Self = TypeVar("Self", bound="Database")

SCHEMA_VERSION = 3
# Finding fields added after schema 1, kept together as JSON in ``findings.extra``.
EXTRA_FIELDS = (
    "source_kind", "introduced_by", "edm_columns", "related_message_ids", "disguised", "excerpt_masks",
)
# Checkpoints are moved back this far when resuming (clock skew between the
# service's update time and last_active_at); messages seen again are skipped.
CHECKPOINT_OVERLAP = 15 * 60

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    command TEXT NOT NULL,
    started_at REAL NOT NULL,
    finished_at REAL,
    status TEXT NOT NULL DEFAULT 'running'
);
CREATE TABLE IF NOT EXISTS checkpoints (
    source TEXT PRIMARY KEY,
    position REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    conversation_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    digest BLOB NOT NULL,
    source TEXT NOT NULL,
    role TEXT NOT NULL,
    user_id TEXT,
    created_at REAL,
    gpt_id TEXT,
    project_id TEXT,
    characters INTEGER NOT NULL,
    run_id INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, message_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS findings (
    id TEXT PRIMARY KEY,
    rule_id TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    score REAL NOT NULL,
    conversation_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    role TEXT NOT NULL,
    user_id TEXT,
    created_at TEXT,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    excerpt TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    source TEXT NOT NULL,
    policy TEXT NOT NULL,
    content_type TEXT NOT NULL,
    tool_name TEXT,
    gpt_id TEXT,
    project_id TEXT,
    extra TEXT,
    status TEXT NOT NULL DEFAULT 'open',
    run_id INTEGER NOT NULL,
    reported_run INTEGER,
    stored_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS findings_conversation ON findings (conversation_id);
CREATE INDEX IF NOT EXISTS findings_fingerprint ON findings (fingerprint);
CREATE INDEX IF NOT EXISTS findings_message ON findings (conversation_id, message_id);
CREATE INDEX IF NOT EXISTS findings_unreported ON findings (reported_run) WHERE reported_run IS NULL;
CREATE TABLE IF NOT EXISTS suppressions (
    fingerprint TEXT PRIMARY KEY,
    entity_type TEXT,
    reason TEXT NOT NULL,
    by TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS triage_log (
    id INTEGER PRIMARY KEY,
    target TEXT NOT NULL,
    action TEXT NOT NULL,
    reason TEXT NOT NULL,
    by TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    sink TEXT NOT NULL,
    finding_id TEXT NOT NULL,
    PRIMARY KEY (sink, finding_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files (
    digest BLOB PRIMARY KEY,
    conversations INTEGER NOT NULL,
    messages INTEGER NOT NULL,
    duplicates INTEGER NOT NULL,
    run_id INTEGER NOT NULL,
    stored_at REAL NOT NULL
) WITHOUT ROWID;
"""
# A file read whole (``files``) stands for the message rows its reading wrote: once a row
# changes (a source gave the same message with another text) or goes, the state cannot tell
# which files wrote it, so it forgets them all (a batch commits the files it completes after
# its messages: those hold the new text) and the next run reads the others again, once.
_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS files_on_edit AFTER UPDATE OF digest ON messages "
    "WHEN old.digest IS NOT new.digest BEGIN DELETE FROM files; END",
    "CREATE TRIGGER IF NOT EXISTS files_on_delete AFTER DELETE ON messages "
    "BEGIN DELETE FROM files; END",
)

FINDING_COLUMNS = (
    "id", "rule_id", "entity_type", "category", "severity", "score", "conversation_id",
    "message_id", "role", "user_id", "created_at", "start", "end", "excerpt", "fingerprint",
    "source", "policy", "content_type", "tool_name", "gpt_id", "project_id", "extra",
)
SELECT_FINDING = ", ".join(f'"{c}"' for c in FINDING_COLUMNS)
SELECT_FINDING_F = ", ".join(f'f."{c}"' for c in FINDING_COLUMNS)


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return f"uid:{os.getuid()}"


class ContentHasher:
    """Keyed hashes of a message's text and of a file's bytes: they detect changed content
    and reveal nothing (a file or a message that is only an SSN cannot be guessed from them)."""

    def __init__(self, secret: bytes) -> None:
        self._key = hashlib.sha256(b"chatdlp-content-digest\x00" + secret).digest()
        self._file_key = hashlib.sha256(b"chatdlp-file-digest\x00" + secret).digest()

    def digest(self, message: Message) -> bytes:
        return hmac.new(
            self._key, message.text.encode("utf-8", "surrogatepass"), hashlib.blake2b
        ).digest()[:16]

    def file_digest(self, stream: IO[bytes], reader: bytes) -> bytes:
        """The bytes of ``stream`` (read to its end) as read by the code whose digest is
        ``reader``: another reader may find other messages in the same bytes."""
        mac = hmac.new(self._file_key, reader, hashlib.sha256)
        while chunk := stream.read(1 << 20):
            mac.update(chunk)
        return mac.digest()


@dataclass(frozen=True, slots=True)
class Checkpoint:
    source: str
    position: float
    updated_at: float

    @property
    def resume_since(self) -> int:
        return max(0, int(self.position - CHECKPOINT_OVERLAP))

    def age_days(self, now: float) -> float:
        return (now - self.position) / 86400


@dataclass(frozen=True, slots=True)
class StoredFinding:
    finding: Finding
    status: str
    stored_at: float


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A scanned message's metadata (no text), to rebuild analytics from the state."""

    message: Message
    characters: int


@dataclass(frozen=True, slots=True)
class Suppression:
    fingerprint: str
    entity_type: str | None
    reason: str
    by: str
    at: str


def finding_row(finding: Finding) -> tuple[Any, ...]:
    data = finding.to_dict()
    data["score"] = float(finding.score)
    data["extra"] = json.dumps({name: data[name] for name in EXTRA_FIELDS}, separators=(",", ":"))
    return tuple(data[c] for c in FINDING_COLUMNS)


def finding_from_row(row: Sequence[Any]) -> Finding:
    data = dict(zip(FINDING_COLUMNS, row, strict=True))
    extra = data.pop("extra", None)
    if extra:
        data.update(json.loads(extra))
    return Finding.from_dict(data)


def time_window(since: Any, until: Any) -> tuple[list[str], list[Any]]:
    """SQL conditions on ``created_at`` for a [since, until) window (either end open)."""
    clauses: list[str] = []
    params: list[Any] = []
    if since is not None:
        clauses.append("created_at >= ?")
        params.append(since)
    if until is not None:
        clauses.append("created_at < ?")
        params.append(until)
    return clauses, params


class Database:
    """One connection to the state database (:class:`~chatdlp.state.store.FindingsStore`
    opens it) and the transaction and error handling every part of the store uses."""

    def __init__(self, path: Path, connection: sqlite3.Connection, lock: IO[bytes] | None) -> None:
        self.path = path
        self._db = connection
        self._lock = lock

    def _migrate(self) -> None:
        with self._transaction():
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            for trigger in _TRIGGERS:
                self._db.execute(trigger)
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is None:
                self._db.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
                )
            elif int(row[0]) > SCHEMA_VERSION:
                raise ConfigError(
                    f"--state {self.path}: written by a newer chatdlp (schema {row[0]}); upgrade"
                )
            elif int(row[0]) < SCHEMA_VERSION:
                self._upgrade(int(row[0]))

    def _upgrade(self, version: int) -> None:
        """From an older schema, in the same transaction: nothing stored is lost."""
        if version < 2:  # schema 2: the later finding fields, as JSON
            columns = {r[1] for r in self._db.execute("PRAGMA table_info(findings)")}
            if "extra" not in columns:
                self._db.execute("ALTER TABLE findings ADD COLUMN extra TEXT")
        # schema 3: the files table (created above), empty: every file is read once more
        self._db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(SCHEMA_VERSION),))

    def close(self) -> None:
        self._db.close()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self: Self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- transactions -----------------------------------------------------------

    class _Tx:
        def __init__(self, db: sqlite3.Connection) -> None:
            self._db = db

        def __enter__(self) -> None:
            self._db.execute("BEGIN IMMEDIATE")

        def __exit__(self, kind: object, *_: object) -> None:
            self._db.execute("COMMIT" if kind is None else "ROLLBACK")

    def _transaction(self) -> Database._Tx:
        return Database._Tx(self._db)

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, params)
        except sqlite3.Error as exc:
            raise StateError(f"state database {self.path}: {exc}") from None
