"""``--state``: reruns skip what was scanned (before detection), rescan what changed,
and the state database never holds a raw value."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from chatdlp.detect import Detector
from chatdlp.detect.backends import LocalRunner
from chatdlp.pipeline.run import StateLedger
from chatdlp.pipeline.scan import Stages, stream_scan
from chatdlp.records import Detection, Diagnostics, Message, ScanStats
from chatdlp.report.fingerprint import FingerprintKey
from chatdlp.sources import open_source
from chatdlp.state import ContentHasher, FindingsStore
from tests.conftest import ACME_POLICY as POLICY
from tests.state.corpus import flat_message, write_corpus

SSN = "536-22-8714"
CARD = "4539 1488 0343 6467"
EMAIL = "dana.whitfield@contoso.com"


class CountingDetector:
    """The real detector, counting the messages it is given."""

    def __init__(self, inner: Detector) -> None:
        self.inner = inner
        self.seen = 0

    def detect(self, messages: Sequence[Message]) -> list[list[Detection]]:
        self.seen += len(messages)
        return self.inner.detect(messages)


def _scan_with_state(corpus: Path, db: Path, detector: CountingDetector) -> tuple[ScanStats, list]:
    key = FingerprintKey.from_environment()
    written: list = []

    class Collect:
        def write(self, finding) -> None:
            written.append(finding)

        def close(self) -> None:
            pass

    with FindingsStore.open(db, lock=True) as store:
        run_id = store.begin_run("test")
        ledger = StateLedger(store, run_id, ContentHasher(key.secret), [])
        stages = Stages([open_source(str(corpus))], LocalRunner(detector), key, [Collect()], ledger=ledger)
        stats = stream_scan(stages, Diagnostics())
    return stats, written


def _ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines() if line.strip()]


def test_rerun_skips_every_message_before_detection(tmp_path: Path, detector: Detector) -> None:
    corpus = write_corpus(tmp_path / "c.jsonl", 10)
    first = CountingDetector(detector)
    stats, found = _scan_with_state(corpus, tmp_path / "s.db", first)
    assert first.seen == stats.messages == 60
    assert found and stats.findings == len(found)

    again = CountingDetector(detector)
    stats, found = _scan_with_state(corpus, tmp_path / "s.db", again)
    assert again.seen == 0  # spaCy never ran
    assert stats.messages == 0 and stats.unchanged_messages == 60
    assert found == [] and stats.findings == 0


def test_changed_and_new_messages_are_rescanned(tmp_path: Path, run_cli) -> None:
    corpus = write_corpus(tmp_path / "c.jsonl", 4)
    db = tmp_path / "s.db"
    first = run_cli("scan", str(corpus), "--state", str(db), "--out", str(tmp_path / "o1"),
                    "--fail-on", "critical")
    assert first.exit_code in (0, 1), first.output
    first_ids = set(_ids(tmp_path / "o1" / "findings.jsonl"))
    assert first_ids

    lines = corpus.read_text().splitlines()
    edited = json.loads(lines[2])  # "Meeting notes: nothing sensitive ..." (no finding before)
    assert "nothing sensitive" in edited["text"]
    edited["text"] += f" Update: the SSN on file is {SSN}."
    lines[2] = json.dumps(edited)
    added = flat_message(3, 6)
    added["text"] = f"New: write to {EMAIL} please."
    lines.append(json.dumps(added))
    corpus.write_text("\n".join(lines) + "\n")

    second = run_cli("scan", str(corpus), "--state", str(db), "--out", str(tmp_path / "o2"),
                     "--fail-on", "critical")
    assert "messages       2" in second.output  # the edited one and the new one
    assert "unchanged    23 scanned by an earlier run" in second.output
    rows = [json.loads(line) for line in (tmp_path / "o2" / "findings.jsonl").read_text().splitlines()]
    assert {r["message_id"] for r in rows} == {edited["message_id"], added["message_id"]}
    assert {r["entity_type"] for r in rows} >= {"US_SSN", "EMAIL_ADDRESS"}
    assert not first_ids & {r["id"] for r in rows}


def test_state_holds_no_raw_value(tmp_path: Path, run_cli) -> None:
    corpus = tmp_path / "planted.jsonl"
    corpus.write_text(json.dumps({
        "conversation_id": "c1", "message_id": "m1", "role": "user", "user_id": "u1",
        "text": f"My SSN is {SSN}, card {CARD}, mail {EMAIL}.",
    }) + "\n" + json.dumps({
        "conversation_id": "c1", "message_id": "m2", "role": "user", "user_id": "u1",
        "text": SSN,  # a message that is only the value: its hash must not give it away
    }) + "\n")
    db = tmp_path / "s.db"
    result = run_cli("scan", str(corpus), "--state", str(db), "--out", str(tmp_path / "o"))
    assert result.exit_code == 1, result.output
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT count(*) FROM findings").fetchone()[0] >= 3
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("s.db*"))
    for value in (SSN, CARD, EMAIL, SSN.replace("-", ""), CARD.replace(" ", "")):
        assert value.encode() not in raw
    assert oct(db.stat().st_mode & 0o777) == "0o600"


def test_without_state_every_run_is_a_full_scan(tmp_path: Path, run_cli) -> None:
    corpus = write_corpus(tmp_path / "c.jsonl", 3)
    for out in ("o1", "o2"):
        run_cli("scan", str(corpus), "--out", str(tmp_path / out), "--fail-on", "critical")
    assert _ids(tmp_path / "o1" / "findings.jsonl") == _ids(tmp_path / "o2" / "findings.jsonl") != []


def test_a_second_run_on_the_same_state_is_refused_while_one_runs(tmp_path: Path) -> None:
    import pytest

    from chatdlp.errors import ConfigError

    with FindingsStore.open(tmp_path / "s.db", lock=True), pytest.raises(
        ConfigError, match="another chatdlp run"
    ):
        FindingsStore.open(tmp_path / "s.db", lock=True)


def test_a_rerun_checks_a_changed_policy_before_scanning_and_survives_a_corrupt_cache(
    tmp_path: Path, run_cli
) -> None:
    policy = tmp_path / "acme.yaml"
    policy.write_text(POLICY)
    corpus = tmp_path / "in.jsonl"
    corpus.write_text(json.dumps({"conversation_id": "c", "message_id": "1", "role": "user",
                                  "text": "My badge is BADGE-123456."}) + "\n")
    state, cache = tmp_path / "state.db", tmp_path / "state.db.policy-cache"
    scan = ["scan", str(corpus), "--policy", str(policy), "--state", str(state), "--fail-on", "critical"]
    first = run_cli(*scan, "--out", str(tmp_path / "o1"))
    assert first.exit_code == 0, first.stderr
    assert cache.is_file() and cache.stat().st_mode & 0o777 == 0o600

    policy.write_text(POLICY.replace("BADGE-[0-9]{6}", "BADGE-[0-9"))  # what passed, broken
    broken = run_cli(*scan, "--out", str(tmp_path / "o2"))
    assert broken.exit_code == 2
    assert "acme.yaml:9:" in broken.stderr and "invalid regular expression" in broken.stderr
    assert not (tmp_path / "o2").exists()  # refused before anything was read or written

    policy.write_text(POLICY)
    cache.write_text("{ not a cache")
    rerun = run_cli(*scan, "--out", str(tmp_path / "o3"))
    assert rerun.exit_code == 0, rerun.stderr
    assert "ignoring the policy check cache (not JSON)" in rerun.stderr
    assert "unchanged" in rerun.stderr and (tmp_path / "o3" / "findings.jsonl").read_text() == ""
    assert json.loads(cache.read_text())["format"] == 1
