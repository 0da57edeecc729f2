"""``--state``: a file whose bytes an earlier run read whole is counted, not read again;
anything else about it (new bytes, a warning, a write while it was read, a new reader,
an edited message elsewhere, a run that died before committing it) reads it again."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from chatdlp.detect import Detector
from chatdlp.detect.backends import LocalRunner
from chatdlp.errors import ChatdlpError
from chatdlp.pipeline import files as files_module
from chatdlp.pipeline.run import StateLedger
from chatdlp.pipeline.scan import Stages, stream_scan
from chatdlp.records import Conversation, Detection, Diagnostics, Message, ScanStats
from chatdlp.report.fingerprint import FingerprintKey
from chatdlp.sources import files as source_files
from chatdlp.sources import open_source
from chatdlp.state import ContentHasher, FindingsStore
from tests.state.corpus import flat_message, write_corpus


class Counting:
    """The real detector, counting the messages it is given; fails on batch ``fail_at``."""

    def __init__(self, inner: Detector, fail_at: int | None = None) -> None:
        self.inner, self.fail_at = inner, fail_at
        self.seen = self.batches = 0

    def detect(self, messages: Sequence[Message]) -> list[list[Detection]]:
        self.batches += 1
        if self.batches == self.fail_at:
            raise ChatdlpError("the detector died")
        self.seen += len(messages)
        return self.inner.detect(messages)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files a reader opened, in order."""
    opened: list[str] = []
    real = source_files.FileSource.conversations

    def counting(self: source_files.FileSource, diagnostics: Diagnostics) -> Iterator[Conversation]:
        opened.append(self.path.name)
        yield from real(self, diagnostics)

    monkeypatch.setattr(source_files.FileSource, "conversations", counting)
    return opened


def _scan(source: Path, db: Path, detector: Counting) -> tuple[ScanStats, Diagnostics]:
    key = FingerprintKey.from_environment()
    diagnostics = Diagnostics()

    class Drop:
        def write(self, finding: object) -> None:
            pass

        def close(self) -> None:
            pass

    with FindingsStore.open(db, lock=True) as store:
        ledger = StateLedger(store, store.begin_run("test"), ContentHasher(key.secret), [])
        stages = Stages([open_source(str(source))], LocalRunner(detector), key, [Drop()], ledger=ledger)
        stats = stream_scan(stages, diagnostics)
    return stats, diagnostics


def _remembered(db: Path) -> list[tuple[int, int, int]]:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT conversations, messages, duplicates FROM files").fetchall()


def _append_and_scan(
    path: Path, message: dict[str, object], source: Path, db: Path, detector: Detector, reads: list[str]
) -> tuple[ScanStats, Counting]:
    """Append a message to ``path``, then scan ``source`` again (``reads`` starts empty)."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(message) + "\n")
    reads.clear()
    again = Counting(detector)
    stats, _ = _scan(source, db, again)
    return stats, again


def test_a_rerun_counts_an_unchanged_file_without_reading_it(
    tmp_path: Path, detector: Detector, reads: list[str]
) -> None:
    corpus = write_corpus(tmp_path / "c.jsonl", 10)
    db = tmp_path / "s.db"
    first, _ = _scan(corpus, db, Counting(detector))
    assert reads == ["c.jsonl"] and first.messages == 60 and first.unchanged_files == 0
    assert _remembered(db) == [(10, 60, 0)]

    reads.clear()
    again = Counting(detector)
    stats, diagnostics = _scan(corpus, db, again)
    assert reads == [] and again.seen == 0  # not opened by a reader, nothing detected
    assert (stats.unchanged_files, stats.conversations, stats.unchanged_messages, stats.messages) == (
        1, 10, 60, 0)
    assert diagnostics.skipped_total == 0


def test_a_file_with_other_bytes_is_read_and_only_its_new_message_detected(
    tmp_path: Path, detector: Detector, reads: list[str]
) -> None:
    corpus = write_corpus(tmp_path / "c.jsonl", 4)
    db = tmp_path / "s.db"
    _scan(corpus, db, Counting(detector))
    stats, again = _append_and_scan(corpus, flat_message(4, 0), corpus, db, detector, reads)
    assert reads == ["c.jsonl"] and again.seen == 1
    assert (stats.unchanged_files, stats.unchanged_messages, stats.messages) == (0, 24, 1)
    assert sorted(_remembered(db)) == [(4, 24, 0), (5, 25, 0)]  # each version's bytes


def test_a_file_of_the_same_size_and_time_with_one_byte_changed_is_read(
    tmp_path: Path, detector: Detector, reads: list[str]
) -> None:
    # Near miss: size and modification time say nothing; the digest of the bytes decides.
    corpus = write_corpus(tmp_path / "c.jsonl", 3)
    db = tmp_path / "s.db"
    _scan(corpus, db, Counting(detector))
    status = corpus.stat()
    raw = corpus.read_bytes()
    corpus.write_bytes(raw.replace(b"quarterly plan", b"quarterly plot", 1))
    os.utime(corpus, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert corpus.stat().st_size == status.st_size
    reads.clear()
    again = Counting(detector)
    stats, _ = _scan(corpus, db, again)
    assert reads == ["c.jsonl"] and again.seen == 1 and stats.unchanged_files == 0
    reads.clear()  # its edited message changed a row: the file that holds the new text is kept
    stats, _ = _scan(corpus, db, Counting(detector))
    assert reads == [] and stats.unchanged_files == 1


def test_in_a_directory_only_the_files_that_changed_are_read(
    tmp_path: Path, detector: Detector, reads: list[str]
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    write_corpus(folder / "a.jsonl", 3)
    b = folder / "b.jsonl"
    b.write_text("".join(json.dumps(flat_message(c, m)) + "\n" for c in range(3, 5) for m in range(6)))
    db = tmp_path / "s.db"
    _scan(folder, db, Counting(detector))
    assert sorted(reads) == ["a.jsonl", "b.jsonl"]
    stats, again = _append_and_scan(b, flat_message(5, 0), folder, db, detector, reads)
    assert reads == ["b.jsonl"] and again.seen == 1
    assert (stats.unchanged_files, stats.conversations, stats.unchanged_messages) == (1, 6, 30)


def test_a_file_read_with_a_warning_is_read_again_and_warns_again(
    tmp_path: Path, detector: Detector, reads: list[str]
) -> None:
    corpus = write_corpus(tmp_path / "c.jsonl", 2)
    with corpus.open("a", encoding="utf-8") as handle:
        handle.write('{"conversation_id": "conv-9", "message_id": \n')  # a broken line
    db = tmp_path / "s.db"
    _, first = _scan(corpus, db, Counting(detector))
    assert first.skipped_total == 1 and _remembered(db) == []
    reads.clear()
    stats, again = _scan(corpus, db, Counting(detector))
    assert reads == ["c.jsonl"] and again.skipped_total == 1  # never silent
    assert stats.unchanged_messages == 12 and stats.unchanged_files == 0


def test_a_file_written_while_it_was_read_is_not_remembered(
    tmp_path: Path, detector: Detector, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = write_corpus(tmp_path / "c.jsonl", 2)
    real = source_files.FileSource.conversations

    def touched(self: source_files.FileSource, diagnostics: Diagnostics) -> Iterator[Conversation]:
        for number, conversation in enumerate(real(self, diagnostics)):
            if number == 0:  # another process appends while the scan reads
                with self.path.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(flat_message(7, 0)) + "\n")
            yield conversation

    monkeypatch.setattr(source_files.FileSource, "conversations", touched)
    db = tmp_path / "s.db"
    _scan(corpus, db, Counting(detector))
    assert _remembered(db) == []


def test_a_run_that_dies_before_committing_the_files_last_batch_does_not_remember_it(
    tmp_path: Path, detector: Detector
) -> None:
    corpus = write_corpus(tmp_path / "c.jsonl", 20)  # 120 messages: two batches of 64
    db = tmp_path / "s.db"
    with pytest.raises(ChatdlpError):
        _scan(corpus, db, Counting(detector, fail_at=2))
    assert _remembered(db) == []
    again = Counting(detector)
    stats, _ = _scan(corpus, db, again)  # the rest is scanned; then the file is remembered
    assert again.seen == 120 - 64 and stats.unchanged_messages == 64
    assert _remembered(db) == [(20, 120, 0)]


def test_another_reader_reads_every_file_again(
    tmp_path: Path, detector: Detector, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = write_corpus(tmp_path / "c.jsonl", 2)
    db = tmp_path / "s.db"
    _scan(corpus, db, Counting(detector))
    monkeypatch.setattr(files_module, "reader_digest", lambda: b"the next version's readers")
    reads.clear()
    stats, _ = _scan(corpus, db, Counting(detector))
    assert reads == ["c.jsonl"] and stats.unchanged_files == 0 and stats.unchanged_messages == 12


def test_an_edited_message_from_another_source_forgets_every_file(
    tmp_path: Path, detector: Detector, reads: list[str]
) -> None:
    corpus = write_corpus(tmp_path / "c.jsonl", 2)
    db = tmp_path / "s.db"
    _scan(corpus, db, Counting(detector))
    other = tmp_path / "other.jsonl"
    edited = {**flat_message(0, 2), "text": "The same message, written otherwise."}
    other.write_text(json.dumps(edited) + "\n")
    _scan(other, db, Counting(detector))
    assert _remembered(db) == [(1, 1, 0)]  # other.jsonl only: a message row c.jsonl wrote changed
    reads.clear()
    again = Counting(detector)
    _scan(corpus, db, again)
    assert reads == ["c.jsonl"] and again.seen == 1  # as without the files table


def test_the_state_keeps_a_keyed_digest_of_a_file_and_counts_no_path_nor_hash(
    tmp_path: Path, detector: Detector
) -> None:
    corpus = write_corpus(tmp_path / "c.jsonl", 2)
    db = tmp_path / "s.db"
    _scan(corpus, db, Counting(detector))
    with sqlite3.connect(db) as connection:
        (digest,) = connection.execute("SELECT digest FROM files").fetchone()
        columns = [row[1] for row in connection.execute("PRAGMA table_info(files)")]
    assert digest != hashlib.sha256(corpus.read_bytes()).digest()  # keyed: not guessable
    assert columns == ["digest", "conversations", "messages", "duplicates", "run_id", "stored_at"]


def test_stdin_is_read_every_time(tmp_path: Path, detector: Detector, run_cli) -> None:
    corpus = write_corpus(tmp_path / "c.jsonl", 2)
    db = tmp_path / "s.db"
    for out in ("o1", "o2"):
        result = run_cli("scan", "-", "--state", str(db), "--out", str(tmp_path / out),
                         "--fail-on", "critical", input=corpus.read_bytes())
        assert result.exit_code in (0, 1), result.output
    assert "unread" not in result.output and "12 scanned by an earlier run" in result.output
    assert _remembered(db) == []


def test_the_summary_says_how_many_files_were_not_read_again(tmp_path: Path, run_cli) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    write_corpus(folder / "a.jsonl", 2)
    write_corpus(folder / "b.jsonl", 1)  # the same first conversation: duplicates across files
    db = tmp_path / "s.db"
    first = run_cli("scan", str(folder), "--state", str(db), "--out", str(tmp_path / "o1"),
                    "--fail-on", "critical")
    assert first.exit_code in (0, 1), first.output
    again = run_cli("scan", str(folder), "--state", str(db), "--out", str(tmp_path / "o2"),
                    "--fail-on", "critical")
    assert again.exit_code == 0, again.output
    assert "unread       2 files with the bytes an earlier run read whole" in again.output
    assert "conversations  3" in again.output
    assert (tmp_path / "o2" / "findings.jsonl").read_text() == ""


def test_a_file_named_twice_is_remembered_once_and_counted_as_a_read_would(
    tmp_path: Path, detector: Detector
) -> None:
    corpus = write_corpus(tmp_path / "c.jsonl", 3)
    db = tmp_path / "s.db"
    key = FingerprintKey.from_environment()

    def twice(detector: Counting) -> ScanStats:
        with FindingsStore.open(db, lock=True) as store:
            ledger = StateLedger(store, store.begin_run("test"), ContentHasher(key.secret), [])
            sources = [open_source(str(corpus)), open_source(str(corpus))]
            return stream_scan(Stages(sources, LocalRunner(detector), key, [], ledger=ledger), Diagnostics())

    first = twice(Counting(detector))
    assert (first.conversations, first.messages, first.duplicate_messages) == (6, 18, 18)
    assert _remembered(db) == [(3, 18, 0)]  # the first reading, not the second (all duplicates)
    again = twice(Counting(detector))
    assert (again.unchanged_files, again.conversations, again.unchanged_messages,
            again.duplicate_messages, again.messages) == (2, 6, 18, 18, 0)
