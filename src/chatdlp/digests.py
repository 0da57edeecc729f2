"""An exact set of short digests whose memory does not grow with the run.

A scan remembers what it has already handed out (each message once per run, each
Logs Platform event once): one digest per item. Up to ``memory_digests`` of them
are kept in a Python set; past that the set is spilled into a SQLite file in a
private temporary directory (0700, the file 0600), and every later look-up asks
the set first, then the file. Nothing is ever dropped, so a duplicate is caught on
either side of a spill, and memory stays bounded by the in-memory part plus
SQLite's page cache.

The digests are keyed BLAKE2b with a random key that lives only in this process's
memory, so the spill file holds nothing that can be tested against a guessed
value. The directory is removed on :meth:`DigestSet.close` (and when the set is
garbage-collected, or at exit).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import tempfile
import weakref
from types import TracebackType

from chatdlp.errors import ConfigError

DIGEST_SIZE = 16
# About 120 bytes each in a Python set: the default keeps ~30 MB in memory per set.
DEFAULT_MEMORY_DIGESTS = 262_144
MEMORY_ENV = "CHATDLP_DEDUPE_MEMORY_DIGESTS"
_CACHE_KIB = 8 * 1024  # SQLite's page cache per spilled set


def _private_database(prefix: str, temp_dir: str | None, dirs: list[str]) -> sqlite3.Connection:
    """A new SQLite file only this process can read (directory 0700, file 0600), without a
    journal: a spilled set lives as long as the run and is deleted with its directory
    (appended to ``dirs``)."""
    directory = tempfile.mkdtemp(prefix=prefix, dir=temp_dir)
    os.chmod(directory, 0o700)
    dirs.append(directory)
    path = os.path.join(directory, "spill.sqlite")
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in ("journal_mode = OFF", "synchronous = OFF", "temp_store = FILE",
                   f"cache_size = -{_CACHE_KIB}"):
        db.execute(f"PRAGMA {pragma}")
    return db


def memory_digests_setting() -> int:
    """The in-memory part of each set: ``CHATDLP_DEDUPE_MEMORY_DIGESTS`` or the default."""
    raw = os.environ.get(MEMORY_ENV, "").strip()
    if not raw:
        return DEFAULT_MEMORY_DIGESTS
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        raise ConfigError(f"{MEMORY_ENV} must be a whole number of digests") from None
    if value < 1:
        raise ConfigError(f"{MEMORY_ENV} must be at least 1")
    return value


def _release(connection: list[sqlite3.Connection], directory: list[str]) -> None:
    for db in connection:
        with contextlib.suppress(sqlite3.Error):
            db.close()
    for path in directory:
        shutil.rmtree(path, ignore_errors=True)
    connection.clear()
    directory.clear()


class DigestSet:
    """Exact membership of keyed digests: in memory first, spilled to disk past a bound."""

    def __init__(self, memory_digests: int | None = None, temp_dir: str | None = None) -> None:
        self._limit = memory_digests if memory_digests is not None else memory_digests_setting()
        self._temp_dir = temp_dir
        self._key = os.urandom(32)
        self._memory: set[bytes] = set()
        # Lists, so the finalizer sees what is open now without holding self.
        self._db: list[sqlite3.Connection] = []
        self._dir: list[str] = []
        self.spills = 0  # times the in-memory part was written out
        self.on_disk = 0  # digests in the spill file
        self._finalizer = weakref.finalize(self, _release, self._db, self._dir)

    def digest(self, *parts: str) -> bytes:
        """The keyed digest of ``parts`` (joined by NUL; lone surrogates kept)."""
        return hashlib.blake2b(
            "\x00".join(parts).encode("utf-8", "surrogatepass"),
            digest_size=DIGEST_SIZE, key=self._key,
        ).digest()

    def add(self, digest: bytes) -> bool:
        """Remember ``digest``; True when it was not there before."""
        if digest in self._memory:
            return False
        if self._db and self._db[0].execute(
            "SELECT 1 FROM seen WHERE digest = ?", (digest,)
        ).fetchone():
            return False
        self._memory.add(digest)
        if len(self._memory) >= self._limit:
            self._spill()
        return True

    def first_time(self, *parts: str) -> bool:
        """True the first time ``parts`` are added."""
        return self.add(self.digest(*parts))

    def __contains__(self, digest: object) -> bool:
        if not isinstance(digest, bytes):
            return False
        if digest in self._memory:
            return True
        return bool(self._db) and self._db[0].execute(
            "SELECT 1 FROM seen WHERE digest = ?", (digest,)
        ).fetchone() is not None

    def __len__(self) -> int:
        return len(self._memory) + self.on_disk

    @property
    def in_memory(self) -> int:
        return len(self._memory)

    def _connect(self) -> sqlite3.Connection:
        if not self._db:
            db = _private_database("chatdlp-seen-", self._temp_dir, self._dir)
            db.execute("CREATE TABLE seen (digest BLOB PRIMARY KEY) WITHOUT ROWID")
            self._db.append(db)
        return self._db[0]

    def _spill(self) -> None:
        db = self._connect()
        db.execute("BEGIN")
        db.executemany("INSERT OR IGNORE INTO seen (digest) VALUES (?)",
                       ((d,) for d in sorted(self._memory)))
        db.execute("COMMIT")
        self.on_disk += len(self._memory)
        self.spills += 1
        self._memory = set()

    def close(self) -> None:
        """Forget everything and remove the spill file (the set can be used again, empty)."""
        self._memory = set()
        self.on_disk = 0
        _release(self._db, self._dir)

    def __enter__(self) -> DigestSet:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class LabelledSets:
    """Many exact sets of integers (each named by a label from :meth:`label`), counted
    at the end, whose memory does not grow with the run: up to ``memory_items`` members
    in all are kept in memory, then every set is written out to one SQLite table in a
    private temporary directory (as :class:`DigestSet` does) and counting asks it."""

    def __init__(self, memory_items: int | None = None, temp_dir: str | None = None) -> None:
        self._limit = memory_items if memory_items is not None else memory_digests_setting()
        self._temp_dir = temp_dir
        self._memory: dict[int, set[int]] = {}
        self._held = 0
        self._labels = 0
        self._db: list[sqlite3.Connection] = []
        self._dir: list[str] = []
        self.spills = 0
        self._finalizer = weakref.finalize(self, _release, self._db, self._dir)

    def label(self) -> int:
        """A new, empty set."""
        self._labels += 1
        return self._labels

    def add(self, label: int, item: int) -> None:
        members = self._memory.get(label)
        if members is None:
            members = self._memory[label] = set()
        before = len(members)
        members.add(item)
        self._held += len(members) - before
        if self._held >= self._limit:
            self._spill()

    def count(self, label: int) -> int:
        return self.union_count((label,))

    def union_count(self, labels: tuple[int, ...] | list[int]) -> int:
        """How many distinct members the sets ``labels`` have together."""
        if not self._db:
            union: set[int] = set()
            for label in labels:
                union |= self._memory.get(label, set())
            return len(union)
        self._spill()
        db = self._db[0]
        if len(labels) == 1:
            row = db.execute("SELECT COUNT(*) FROM members WHERE label = ?", (labels[0],)).fetchone()
        else:
            marks = ",".join("?" * len(labels))
            row = db.execute(f"SELECT COUNT(DISTINCT item) FROM members WHERE label IN ({marks})",
                             tuple(labels)).fetchone()
        return int(row[0])

    def _connect(self) -> sqlite3.Connection:
        if not self._db:
            db = _private_database("chatdlp-sets-", self._temp_dir, self._dir)
            db.execute("CREATE TABLE members (label INTEGER, item INTEGER, "
                       "PRIMARY KEY (label, item)) WITHOUT ROWID")
            self._db.append(db)
        return self._db[0]

    def _spill(self) -> None:
        if not self._held:
            return
        db = self._connect()
        db.execute("BEGIN")
        for label, members in self._memory.items():
            db.executemany("INSERT OR IGNORE INTO members (label, item) VALUES (?, ?)",
                           ((label, item) for item in sorted(members)))
        db.execute("COMMIT")
        self._memory = {}
        self._held = 0
        self.spills += 1

    def close(self) -> None:
        self._memory = {}
        self._held = 0
        _release(self._db, self._dir)
