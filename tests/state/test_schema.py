"""The state's schema: an older state database is upgraded in place, nothing lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from chatdlp.errors import ConfigError
from chatdlp.records import FileTally
from chatdlp.state import ContentHasher, FindingsStore
from chatdlp.state.schema import SCHEMA_VERSION


def _as_schema_2(db: Path) -> None:
    """What a chatdlp of schema 2 left: no files table, no triggers."""
    with sqlite3.connect(db) as connection:
        connection.execute("DROP TRIGGER files_on_edit")
        connection.execute("DROP TRIGGER files_on_delete")
        connection.execute("DROP TABLE files")
        connection.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")


def test_a_schema_2_state_gains_the_files_table_and_keeps_its_runs(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with FindingsStore.open(db) as store:
        run = store.begin_run("scan")
        store.set_checkpoint("compliance://ws-1", 1_764_230_400.0)
    _as_schema_2(db)
    with FindingsStore.open(db) as store:
        assert store.checkpoint("compliance://ws-1") is not None
        assert store.read_file(b"\x00" * 32) is None
        store.commit_batch(run, [], {}, ContentHasher(b"k" * 32), files=[(b"\x01" * 32, FileTally(2, 12))])
        assert store.read_file(b"\x01" * 32) == FileTally(2, 12, 0)
    with sqlite3.connect(db) as connection:
        triggers = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        version = connection.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0]
    assert triggers == {"files_on_edit", "files_on_delete"} and version == str(SCHEMA_VERSION) == "3"


def test_a_state_of_a_newer_chatdlp_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    FindingsStore.open(db).close()
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE meta SET value = '4' WHERE key = 'schema'")
    with pytest.raises(ConfigError, match="newer chatdlp"):
        FindingsStore.open(db)
