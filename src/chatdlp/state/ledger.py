"""What a scan run writes: runs, checkpoints, scanned messages and their findings, in one
transaction per batch (exactly-once: see :mod:`chatdlp.state.store`)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence

from chatdlp.records import Conversation, FileTally, Finding, LedgerCommit, Message, Severity
from chatdlp.state.schema import (
    FINDING_COLUMNS,
    SELECT_FINDING,
    Checkpoint,
    ContentHasher,
    Database,
    finding_from_row,
    finding_row,
)


class LedgerTables(Database):
    """Runs, checkpoints and the scan's batches (part of FindingsStore)."""

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
        files: Sequence[tuple[bytes, FileTally]] = (),
    ) -> LedgerCommit:
        """One transaction: the batch's findings, its messages marked seen, the checkpoints,
        and the files (by digest) whose last message is in this batch or an earlier one.

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
            # After the messages: one of them that changed a row already stored (an edited
            # message) has made the state forget every file (the trigger on messages) but
            # the ones completed here, whose bytes hold the text now stored.
            for digest, tally in files:
                self._execute(
                    "INSERT OR REPLACE INTO files (digest, conversations, messages, duplicates, run_id, "
                    "stored_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (digest, tally.conversations, tally.messages, tally.duplicates, run_id, now),
                )
            for source, position in progress.items():
                self._execute(
                    "INSERT INTO checkpoints (source, position, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (source) DO UPDATE SET "
                    "position = max(position, excluded.position), updated_at = excluded.updated_at",
                    (source, position, now),
                )
        return LedgerCommit(frozenset(reported), suppressed)

    def read_file(self, digest: bytes) -> FileTally | None:
        """What reading the file with this digest gave, when an earlier run read it whole
        and committed every message of it (and none of those rows changed since)."""
        row = self._execute(
            "SELECT conversations, messages, duplicates FROM files WHERE digest = ?", (digest,)
        ).fetchone()
        return FileTally(int(row[0]), int(row[1]), int(row[2])) if row else None

    def _store_finding(self, finding: Finding, status: str, run_id: int, now: float) -> bool:
        """True when the finding is new (or its value changed): it is to be reported."""
        row = self._execute(
            "SELECT fingerprint FROM findings WHERE id = ?", (finding.id,)
        ).fetchone()
        values = finding_row(finding)
        if row is None:
            placeholders = ", ".join("?" for _ in FINDING_COLUMNS)
            self._execute(
                f"INSERT INTO findings ({SELECT_FINDING}, status, run_id, reported_run, stored_at) "
                f"VALUES ({placeholders}, ?, ?, NULL, ?)",
                (*values, status, run_id, now),
            )
            return True
        if row[0] == finding.fingerprint:
            return False
        assignments = ", ".join(f'"{c}" = ?' for c in FINDING_COLUMNS[1:])
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
            f"SELECT {SELECT_FINDING} FROM findings WHERE reported_run IS NULL "
            "AND status != 'suppressed' ORDER BY stored_at, id"
        ).fetchall()
        for row in rows:
            yield finding_from_row(row)

    def mark_all_reported(self, run_id: int, alert: Severity | None = None) -> int:
        """After a run closed its findings.jsonl: everything unreported is now written out.

        Only one run holds the store (the lock), so "unreported" is exactly what
        this run carried over plus what it found. ``alert``, the highest severity the
        run wrote, is remembered in the same transaction until :meth:`alerted` (after
        the exit code is known): a run killed in between still alerts on the next run.
        """
        with self._transaction():
            if alert is not None:
                earlier = self.unalerted_severity()
                if earlier is None or alert.rank > earlier.rank:
                    self._execute(
                        "INSERT INTO meta (key, value) VALUES ('unalerted_severity', ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (alert.value,),
                    )
            return int(self._execute(
                "UPDATE findings SET reported_run = ? WHERE reported_run IS NULL "
                "AND status != 'suppressed'",
                (run_id,),
            ).rowcount)

    def unalerted_severity(self) -> Severity | None:
        """The highest severity written by runs whose exit code was never given, if any."""
        row = self._execute("SELECT value FROM meta WHERE key = 'unalerted_severity'").fetchone()
        return Severity(row[0]) if row is not None else None

    def alerted(self) -> None:
        """The exit code that carries the remembered severity is given: forget it."""
        with self._transaction():
            self._execute("DELETE FROM meta WHERE key = 'unalerted_severity'")
