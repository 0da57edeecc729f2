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
- status ``remediated``: the finding's conversation, file, GPT or Project was deleted
  by ``chatdlp remediate apply`` (logged in ``triage_log`` with the plan and action).

Exactly-once: the findings of a detector batch, the seen-message marks and the
checkpoints they allow are written in one transaction (:meth:`FindingsStore.commit_batch`),
so a process killed at any moment leaves the store as it was after some
batch; the rerun skips those messages and scans the rest.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from pathlib import Path
from typing import IO

from chatdlp.errors import ConfigError
from chatdlp.state.ledger import LedgerTables
from chatdlp.state.outbox import SinkOutbox
from chatdlp.state.queries import FindingQueries
from chatdlp.state.remediation import RemediationTables
from chatdlp.state.triage import TriageTables


class FindingsStore(LedgerTables, FindingQueries, TriageTables, SinkOutbox, RemediationTables):
    """The state database. Open it with :meth:`open`; one writer run at a time.

    ``lock=True`` takes an exclusive advisory lock on ``PATH.lock`` for the
    lifetime of the store (a scan run); triage commands only need SQLite's own
    locking. The lock is the kernel's: a killed run releases it.
    """

    @classmethod
    def open(cls, path: Path, lock: bool = False, create: bool = True) -> FindingsStore:
        if not create and not path.is_file():
            raise ConfigError(f"--state {path}: no such state database")
        lock_file: IO[bytes] | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if lock:
                # Next to the real file: two names (a symlink) of one database share one lock.
                fd = os.open(f"{path.resolve()}.lock", os.O_RDWR | os.O_CREAT, 0o600)
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

