"""The embedded state of incremental runs: one SQLite file (WAL) per installation or job.

What it holds, and what it never holds:

- ``checkpoints``: per source, the update time up to which every conversation
  has been scanned and committed (for ``compliance://`` the next run asks for
  ``since_timestamp = position - CHECKPOINT_OVERLAP``).
- ``messages``: the ids of messages already scanned, a keyed hash of their
  text (HMAC-BLAKE2b under a key derived from the fingerprint key: a short
  message that is only an SSN cannot be brute-forced from it) and metadata
  (role, user id, time, characters) to rebuild analytics. Never the text.
- ``findings``: every finding, with the :class:`~chatdlp.records.Finding`
  fields only (excerpts are already redacted, values only fingerprinted), its
  triage status and the run that wrote it out (``reported_run``: NULL until a
  run's ``findings.jsonl`` holding it was closed).
- ``suppressions`` and ``triage_log``: who suppressed, resolved or reopened
  what, when and why.
- ``outbox``: findings not yet delivered to a sink (``webhook=URL``, ...).

Exactly-once: the findings of a detector batch, the seen-message marks and the
checkpoints they allow are written in one transaction (:meth:`FindingsStore.commit_batch`),
so a process killed at any moment leaves the store as it was after some
batch; the rerun skips those messages and scans the rest.
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import hmac
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from chatdlp.errors import ConfigError, StateError
from chatdlp.records import Conversation, Finding, LedgerCommit, Message

SCHEMA_VERSION = 1
# Checkpoints are moved back this far when resuming (clock skew between the
# service's update time and last_active_at); messages seen again are skipped.
CHECKPOINT_OVERLAP = 15 * 60
# The Compliance API keeps about 30 days; warn well before a checkpoint falls out.
RETENTION_WARN_DAYS = 25

STATUSES = ("open", "suppressed", "resolved")

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
    status TEXT NOT NULL DEFAULT 'open',
    run_id INTEGER NOT NULL,
    reported_run INTEGER,
    stored_at REAL NOT NULL
);
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
"""

_FINDING_COLUMNS = (
    "id", "rule_id", "entity_type", "category", "severity", "score", "conversation_id",
    "message_id", "role", "user_id", "created_at", "start", "end", "excerpt", "fingerprint",
    "source", "policy", "content_type", "tool_name", "gpt_id", "project_id",
)
_SELECT_FINDING = ", ".join(f'"{c}"' for c in _FINDING_COLUMNS)
_SELECT_FINDING_F = ", ".join(f'f."{c}"' for c in _FINDING_COLUMNS)


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return f"uid:{os.getuid()}"


class ContentHasher:
    """A keyed hash of a message's text: detects changed content, reveals nothing."""

    def __init__(self, secret: bytes) -> None:
        self._key = hashlib.sha256(b"chatdlp-content-digest\x00" + secret).digest()

    def digest(self, message: Message) -> bytes:
        return hmac.new(
            self._key, message.text.encode("utf-8", "surrogatepass"), hashlib.blake2b
        ).digest()[:16]


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


def _finding_row(finding: Finding) -> tuple[Any, ...]:
    data = finding.to_dict()
    data["score"] = float(finding.score)
    return tuple(data[c] for c in _FINDING_COLUMNS)


def _finding_from_row(row: Sequence[Any]) -> Finding:
    return Finding.from_dict(dict(zip(_FINDING_COLUMNS, row, strict=True)))


class FindingsStore:
    """The state database. Open it with :meth:`open`; one writer run at a time.

    ``lock=True`` takes an exclusive advisory lock on ``PATH.lock`` for the
    lifetime of the store (a scan run); triage commands only need SQLite's own
    locking. The lock is the kernel's: a killed run releases it.
    """

    def __init__(self, path: Path, connection: sqlite3.Connection, lock: IO[bytes] | None) -> None:
        self.path = path
        self._db = connection
        self._lock = lock

    @classmethod
    def open(cls, path: Path, lock: bool = False, create: bool = True) -> FindingsStore:
        if not create and not path.is_file():
            raise ConfigError(f"--state {path}: no such state database")
        lock_file: IO[bytes] | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if lock:
                fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
                lock_file = os.fdopen(fd, "r+b")
                try:
                    fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    lock_file.close()
                    raise ConfigError(
                        f"--state {path}: another chatdlp run is using this state database"
                    ) from None
            fresh = not path.exists()
            if fresh:  # private from the first byte: it holds user ids and excerpts
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
            connection = sqlite3.connect(path, timeout=30, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute("PRAGMA foreign_keys=ON")
            store = cls(path, connection, lock_file)
            store._migrate()
        except sqlite3.DatabaseError as exc:
            if lock_file is not None:
                lock_file.close()
            raise ConfigError(f"--state {path}: not a usable chatdlp state database ({exc})") from None
        except OSError as exc:
            if lock_file is not None:
                lock_file.close()
            raise ConfigError(f"--state {path}: cannot open ({exc.strerror})") from None
        return store

    def _migrate(self) -> None:
        with self._transaction():
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is None:
                self._db.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
                )
            elif int(row[0]) > SCHEMA_VERSION:
                raise ConfigError(
                    f"--state {self.path}: written by a newer chatdlp (schema {row[0]}); upgrade"
                )

    def close(self) -> None:
        self._db.close()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self) -> FindingsStore:
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

    def _transaction(self) -> FindingsStore._Tx:
        return FindingsStore._Tx(self._db)

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, params)
        except sqlite3.Error as exc:
            raise StateError(f"state database {self.path}: {exc}") from None

    # -- runs -------------------------------------------------------------------

    def begin_run(self, command: str, started_at: float | None = None) -> int:
        with self._transaction():
            cursor = self._execute(
                "INSERT INTO runs (command, started_at) VALUES (?, ?)",
                (command, started_at if started_at is not None else time.time()),
            )
        return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, status: str) -> None:
        with self._transaction():
            self._execute(
                "UPDATE runs SET finished_at = ?, status = ? WHERE id = ?",
                (time.time(), status, run_id),
            )

    # -- checkpoints ------------------------------------------------------------

    def checkpoint(self, source: str) -> Checkpoint | None:
        row = self._execute(
            "SELECT source, position, updated_at FROM checkpoints WHERE source = ?", (source,)
        ).fetchone()
        return Checkpoint(row[0], float(row[1]), float(row[2])) if row else None

    def checkpoints(self) -> list[Checkpoint]:
        rows = self._execute("SELECT source, position, updated_at FROM checkpoints ORDER BY source")
        return [Checkpoint(r[0], float(r[1]), float(r[2])) for r in rows]

    def set_checkpoint(self, source: str, position: float) -> None:
        """Set a checkpoint outright (tests, and operators moving one by hand)."""
        with self._transaction():
            self._execute(
                "INSERT INTO checkpoints (source, position, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (source) DO UPDATE SET position = excluded.position, "
                "updated_at = excluded.updated_at",
                (source, position, time.time()),
            )

    # -- the scan ---------------------------------------------------------------

    def unscanned(self, conversation: Conversation, hasher: ContentHasher) -> set[str]:
        """Ids of the conversation's messages not scanned yet, or whose text changed."""
        known = {
            row[0]: row[1]
            for row in self._execute(
                "SELECT message_id, digest FROM messages WHERE conversation_id = ?",
                (conversation.conversation_id,),
            )
        }
        return {
            m.message_id for m in conversation.messages
            if known.get(m.message_id) != hasher.digest(m)
        }

    def commit_batch(
        self,
        run_id: int,
        scanned: Sequence[tuple[Message, Sequence[Finding]]],
        progress: Mapping[str, float],
        hasher: ContentHasher,
        sinks: Sequence[str] = (),
    ) -> LedgerCommit:
        """One transaction: the batch's findings, its messages marked seen, the checkpoints.

        A finding already stored (same id) is reported again only when its value
        changed (the message was edited); a finding whose fingerprint is
        suppressed is stored as suppressed and not reported.
        """
        reported: set[str] = set()
        suppressed = 0
        now = time.time()
        with self._transaction():
            quiet = self._suppressed_among({f.fingerprint for _, fs in scanned for f in fs})
            for message, findings in scanned:
                self._execute(
                    "INSERT INTO messages (conversation_id, message_id, digest, source, role, "
                    "user_id, created_at, gpt_id, project_id, characters, run_id) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (conversation_id, message_id) DO UPDATE SET "
                    "digest = excluded.digest, characters = excluded.characters, "
                    "run_id = excluded.run_id",
                    (
                        message.conversation_id, message.message_id, hasher.digest(message),
                        message.source, message.role, message.user_id, message.created_at,
                        message.gpt_id, message.project_id, len(message.text), run_id,
                    ),
                )
                for finding in findings:
                    status = "suppressed" if finding.fingerprint in quiet else "open"
                    if self._store_finding(finding, status, run_id, now):
                        if status == "suppressed":
                            suppressed += 1
                            continue
                        reported.add(finding.id)
                        for sink in sinks:
                            self._execute(
                                "INSERT OR IGNORE INTO outbox (sink, finding_id) VALUES (?, ?)",
                                (sink, finding.id),
                            )
            for source, position in progress.items():
                self._execute(
                    "INSERT INTO checkpoints (source, position, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (source) DO UPDATE SET "
                    "position = max(position, excluded.position), updated_at = excluded.updated_at",
                    (source, position, now),
                )
        return LedgerCommit(frozenset(reported), suppressed)

    def _store_finding(self, finding: Finding, status: str, run_id: int, now: float) -> bool:
        """True when the finding is new (or its value changed): it is to be reported."""
        row = self._execute(
            "SELECT fingerprint FROM findings WHERE id = ?", (finding.id,)
        ).fetchone()
        values = _finding_row(finding)
        if row is None:
            placeholders = ", ".join("?" for _ in _FINDING_COLUMNS)
            self._execute(
                f"INSERT INTO findings ({_SELECT_FINDING}, status, run_id, reported_run, stored_at) "
                f"VALUES ({placeholders}, ?, ?, NULL, ?)",
                (*values, status, run_id, now),
            )
            return True
        if row[0] == finding.fingerprint:
            return False
        assignments = ", ".join(f'"{c}" = ?' for c in _FINDING_COLUMNS[1:])
        self._execute(
            f"UPDATE findings SET {assignments}, status = ?, run_id = ?, reported_run = NULL, "
            "stored_at = ? WHERE id = ?",
            (*values[1:], status, run_id, now, finding.id),
        )
        return True

    def _suppressed_among(self, fingerprints: Iterable[str]) -> set[str]:
        wanted = list(fingerprints)
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            found.update(
                row[0] for row in self._execute(
                    f"SELECT fingerprint FROM suppressions WHERE fingerprint IN ({marks})", chunk
                )
            )
        return found

    def unreported(self) -> Iterator[Finding]:
        """Findings stored by a run that never wrote them out (it was killed)."""
        rows = self._execute(
            f"SELECT {_SELECT_FINDING} FROM findings WHERE reported_run IS NULL "
            "AND status != 'suppressed' ORDER BY stored_at, id"
        ).fetchall()
        for row in rows:
            yield _finding_from_row(row)

    def mark_all_reported(self, run_id: int) -> int:
        """After a run closed its findings.jsonl: everything unreported is now written out.

        Only one run holds the store (the lock), so "unreported" is exactly what
        this run carried over plus what it found.
        """
        with self._transaction():
            return int(self._execute(
                "UPDATE findings SET reported_run = ? WHERE reported_run IS NULL "
                "AND status != 'suppressed'",
                (run_id,),
            ).rowcount)

    # -- reading back -----------------------------------------------------------

    def findings(
        self,
        since: str | None = None,
        until: str | None = None,
        statuses: Sequence[str] = (),
        severities: Sequence[str] = (),
        rules: Sequence[str] = (),
    ) -> Iterator[StoredFinding]:
        """Stored findings in a stable order, filtered; ``since``/``until`` compare
        the message time (ISO 8601 UTC); a finding without one is outside any window."""
        clauses, params = _time_window(since, until)
        for column, values in (("status", statuses), ("severity", severities), ("rule_id", rules)):
            if values:
                clauses.append(f"{column} IN ({', '.join('?' for _ in values)})")
                params.extend(values)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        cursor = self._db.cursor()
        cursor.execute(
            f"SELECT {_SELECT_FINDING}, status, stored_at FROM findings {where} "
            "ORDER BY conversation_id, message_id, start, id",
            params,
        )
        while rows := cursor.fetchmany(500):
            for row in rows:
                yield StoredFinding(_finding_from_row(row[:-2]), row[-2], float(row[-1]))

    def messages(self, since: float | None = None, until: float | None = None) -> Iterator[StoredMessage]:
        clauses, params = _time_window(since, until)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        cursor = self._db.cursor()
        cursor.execute(
            "SELECT conversation_id, message_id, source, role, user_id, created_at, gpt_id, "
            f"project_id, characters FROM messages {where} ORDER BY conversation_id, message_id",
            params,
        )
        while rows := cursor.fetchmany(500):
            for r in rows:
                yield StoredMessage(
                    Message(
                        conversation_id=r[0], message_id=r[1], source=r[2], role=r[3], text="",
                        user_id=r[4], created_at=r[5], gpt_id=r[6], project_id=r[7],
                    ),
                    int(r[8]),
                )

    def count(self, table: str) -> int:
        if table not in ("findings", "messages", "outbox", "suppressions", "runs"):
            raise ValueError(table)
        return int(self._execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    # -- triage -----------------------------------------------------------------

    def resolve_target(self, target: str) -> tuple[str, list[str]]:
        """(``"id"`` or ``"fingerprint"``, the finding ids it names); StateError if none."""
        by_id = self._execute("SELECT id FROM findings WHERE id = ?", (target,)).fetchall()
        if by_id:
            return "id", [r[0] for r in by_id]
        by_fp = self._execute(
            "SELECT id FROM findings WHERE fingerprint = ? ORDER BY id", (target,)
        ).fetchall()
        if by_fp:
            return "fingerprint", [r[0] for r in by_fp]
        if len(target) == 64 and all(c in "0123456789abcdef" for c in target):
            return "fingerprint", []  # a fingerprint not seen (yet): suppressible ahead of time
        raise ConfigError(f"no finding with id or fingerprint {target!r} in {self.path}")

    def fingerprint_of(self, finding_id: str) -> tuple[str, str]:
        row = self._execute(
            "SELECT fingerprint, entity_type FROM findings WHERE id = ?", (finding_id,)
        ).fetchone()
        if row is None:
            raise ConfigError(f"no finding with id {finding_id!r} in {self.path}")
        return str(row[0]), str(row[1])

    def suppress(self, fingerprint: str, reason: str, by: str, entity_type: str | None = None) -> int:
        """Suppress a fingerprint: its findings (now and later) are not reported."""
        at = utc_now_iso()
        with self._transaction():
            if entity_type is None:
                row = self._execute(
                    "SELECT entity_type FROM findings WHERE fingerprint = ? LIMIT 1", (fingerprint,)
                ).fetchone()
                entity_type = row[0] if row else None
            self._execute(
                "INSERT INTO suppressions (fingerprint, entity_type, reason, by, at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO UPDATE SET "
                "reason = excluded.reason, by = excluded.by, at = excluded.at",
                (fingerprint, entity_type, reason, by, at),
            )
            changed = self._execute(
                "UPDATE findings SET status = 'suppressed' WHERE fingerprint = ?", (fingerprint,)
            ).rowcount
            self._execute("DELETE FROM outbox WHERE finding_id IN "
                          "(SELECT id FROM findings WHERE fingerprint = ?)", (fingerprint,))
            self._log(fingerprint, "suppress", reason, by, at)
        return int(changed)

    def set_status(self, ids: Sequence[str], status: str, target: str, reason: str, by: str) -> int:
        """Resolve or reopen findings; reopening a suppressed one lifts its fingerprint's
        suppression (its findings become open and appear in the next run's output)."""
        if status not in ("open", "resolved"):
            raise ValueError(status)
        at = utc_now_iso()
        changed = 0
        with self._transaction():
            for finding_id in ids:
                row = self._execute(
                    "SELECT fingerprint, status FROM findings WHERE id = ?", (finding_id,)
                ).fetchone()
                if row is None:
                    continue
                if status == "open" and row[1] == "suppressed":
                    self._execute("DELETE FROM suppressions WHERE fingerprint = ?", (row[0],))
                    changed += self._execute(
                        "UPDATE findings SET status = 'open' WHERE fingerprint = ? "
                        "AND status = 'suppressed'", (row[0],)
                    ).rowcount
                    continue
                changed += self._execute(
                    "UPDATE findings SET status = ? WHERE id = ? AND status != ?",
                    (status, finding_id, status),
                ).rowcount
            if status == "open" and not ids and len(target) == 64:
                self._execute("DELETE FROM suppressions WHERE fingerprint = ?", (target,))
            self._log(target, "resolve" if status == "resolved" else "reopen", reason, by, at)
        return changed

    def _log(self, target: str, action: str, reason: str, by: str, at: str) -> None:
        self._execute(
            "INSERT INTO triage_log (target, action, reason, by, at) VALUES (?, ?, ?, ?, ?)",
            (target, action, reason, by, at),
        )

    def triage_log(self) -> list[tuple[str, str, str, str, str]]:
        rows = self._execute("SELECT target, action, reason, by, at FROM triage_log ORDER BY id")
        return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def suppressions(self) -> list[Suppression]:
        rows = self._execute(
            "SELECT fingerprint, entity_type, reason, by, at FROM suppressions ORDER BY fingerprint"
        )
        return [Suppression(*r) for r in rows]

    def import_suppressions(self, items: Iterable[Suppression]) -> int:
        count = 0
        with self._transaction():
            for item in items:
                self._execute(
                    "INSERT INTO suppressions (fingerprint, entity_type, reason, by, at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO UPDATE SET "
                    "entity_type = excluded.entity_type, reason = excluded.reason, "
                    "by = excluded.by, at = excluded.at",
                    (item.fingerprint, item.entity_type, item.reason, item.by, item.at),
                )
                self._execute(
                    "UPDATE findings SET status = 'suppressed' WHERE fingerprint = ?",
                    (item.fingerprint,),
                )
                self._execute("DELETE FROM outbox WHERE finding_id IN "
                              "(SELECT id FROM findings WHERE fingerprint = ?)", (item.fingerprint,))
                count += 1
            self._log("(file)", "import-suppressions", f"{count} suppression(s)", os_user(),
                      utc_now_iso())
        return count

    # -- sinks ------------------------------------------------------------------

    def pending(self, sink: str, limit: int) -> list[Finding]:
        rows = self._execute(
            f"SELECT {_SELECT_FINDING_F} "
            "FROM outbox o JOIN findings f ON f.id = o.finding_id "
            "WHERE o.sink = ? ORDER BY f.stored_at, f.id LIMIT ?",
            (sink, limit),
        ).fetchall()
        return [_finding_from_row(r) for r in rows]

    def pending_counts(self) -> dict[str, int]:
        rows = self._execute("SELECT sink, count(*) FROM outbox GROUP BY sink ORDER BY sink")
        return {r[0]: int(r[1]) for r in rows}

    def mark_sent(self, sink: str, ids: Iterable[str]) -> None:
        with self._transaction():
            for finding_id in ids:
                self._execute(
                    "DELETE FROM outbox WHERE sink = ? AND finding_id = ?", (sink, finding_id)
                )


def _time_window(since: Any, until: Any) -> tuple[list[str], list[Any]]:
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
