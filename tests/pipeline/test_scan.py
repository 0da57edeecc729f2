"""stream_scan's seen-message set: every message scanned once per run, exactly, with its
digests spilled to disk past the in-memory bound."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chatdlp.detect import Detector
from chatdlp.detect.backends import LocalRunner
from chatdlp.digests import MEMORY_ENV, DigestSet
from chatdlp.pipeline.scan import Stages, stream_scan
from chatdlp.records import Diagnostics, Finding
from chatdlp.report.fingerprint import FingerprintKey
from chatdlp.sources import open_source
from tests.state.corpus import write_corpus


class Collect:
    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def write(self, finding: Finding) -> None:
        self.findings.append(finding)

    def close(self) -> None:
        pass


def _scan(path: Path, detector: Detector) -> tuple[int, int, list[Finding]]:
    sink = Collect()
    stages = Stages([open_source(str(path))], LocalRunner(detector),
                    FingerprintKey.from_environment(), [sink])
    stats = stream_scan(stages, Diagnostics())
    return stats.messages, stats.duplicate_messages, sink.findings


def test_a_message_read_twice_is_scanned_once_across_the_spill(
    tmp_path: Path, detector: Detector, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "in"
    corpus.mkdir()
    write_corpus(corpus / "a.jsonl", 8)  # 48 messages
    shutil.copy(corpus / "a.jsonl", corpus / "b.jsonl")  # the same 48 again, after them
    monkeypatch.setenv(MEMORY_ENV, "1000000")
    messages, duplicates, in_memory = _scan(corpus, detector)
    assert (messages, duplicates) == (48, 48) and in_memory

    spill_root = tmp_path / "tmp"
    spill_root.mkdir()
    monkeypatch.setenv("TMPDIR", str(spill_root))
    monkeypatch.setattr("tempfile.tempdir", None)  # TMPDIR is read again
    monkeypatch.setenv(MEMORY_ENV, "5")  # 48 digests: spilled nine times over
    spills: list[int] = []
    spill = DigestSet._spill

    def counted(self: DigestSet) -> None:
        spills.append(self.in_memory)
        spill(self)

    monkeypatch.setattr(DigestSet, "_spill", counted)
    messages, duplicates, spilled = _scan(corpus, detector)
    assert (messages, duplicates) == (48, 48) and spills == [5] * 9
    assert [f.id for f in spilled] == [f.id for f in in_memory]  # the same findings, once each
    assert list(spill_root.iterdir()) == []  # the spill file went with the run
