"""Exactly-once under SIGKILL: a real ``chatdlp scan --state`` subprocess, killed at
random points mid-scan, rerun to completion, ends with every finding stored once.

The corpus takes a few seconds to scan; each kill waits until the state holds a
random number of committed messages, then a random fraction of a batch more,
so kills land inside detection, inside a commit and between the two.

Kills follow the scan's progress, never the clock: the wait for the target has no
deadline but a safety one (a scan that never gets there fails the test, it is not killed
at whatever point it reached), and "a fraction of a batch" is a fraction of the time the
last batch took on this machine, so a loaded machine (slower start-up, slower batches)
moves the kills to the same places as an idle one. Each kill comes after its target: the
first one, at most half-way, always cuts a run short.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from chatdlp.pipeline.scan import BATCH_MESSAGES
from tests.state.corpus import write_corpus

CONVERSATIONS = 120  # x 6 messages: about 3 s of scanning with the real pipeline
MESSAGES = CONVERSATIONS * 6
KILLS = 4


SAFETY_SECONDS = 900  # a scan that has not reached its target by then is stuck: the test fails
FIRST_BATCH_SECONDS = 0.3  # under the time of one batch of 64 messages on an idle machine


def _committed(db: Path) -> int | None:
    """Messages committed; None when the state cannot be read just now (locked by a commit)."""
    if not db.exists():
        return 0
    try:
        connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return int(connection.execute("SELECT count(*) FROM messages").fetchone()[0])
        finally:
            connection.close()
    except sqlite3.OperationalError as exc:
        return 0 if "no such table" in str(exc) else None  # schema not created yet, or locked


def _kill_after(process: subprocess.Popen[bytes], db: Path, before: int, target: int,
                fraction: float) -> None:
    """SIGKILL ``process`` once ``target`` messages are committed, ``fraction`` of a batch's time
    later: the time between the last two commits seen (when the first commit of this process
    reaches the target, the time to it is mostly start-up: FIRST_BATCH_SECONDS instead)."""
    started = time.monotonic()
    changes: list[float] = [started]  # when the committed count was seen to change
    last = before
    while process.poll() is None:
        now = _committed(db)
        if now is not None and now != last:
            changes.append(time.monotonic())
            last = now
        if last >= target:
            break
        assert time.monotonic() - started < SAFETY_SECONDS, f"no progress to {target}: {last}"
        time.sleep(0.01)
    batch_seconds = changes[-1] - changes[-2] if len(changes) > 2 else FIRST_BATCH_SECONDS
    time.sleep(fraction * min(batch_seconds, 30.0))
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)


def _scan(corpus: Path, db: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "chatdlp", "scan", str(corpus), "--state", str(db),
         "--out", str(out), "--fail-on", "critical", "--quiet"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ.copy(),
    )


def _ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines() if line.strip()]


def test_killed_runs_rerun_to_exactly_once(tmp_path: Path, run_cli) -> None:
    corpus = write_corpus(tmp_path / "corpus.jsonl", CONVERSATIONS)
    clean = run_cli("scan", str(corpus), "--out", str(tmp_path / "clean"), "--fail-on", "critical",
                    "--quiet")
    assert clean.exit_code in (0, 1), clean.output
    clean_ids = _ids(tmp_path / "clean" / "findings.jsonl")
    assert len(clean_ids) == len(set(clean_ids)) > 500

    seed = int(os.environ.get("CHATDLP_KILL_SEED", time.time_ns() % 100_000))
    rng = random.Random(seed)
    db = tmp_path / "state.db"
    kill_points: list[tuple[int, int]] = []  # (messages committed when killed, after the kill)
    for attempt in range(KILLS):
        before = _committed(db)
        assert before is not None  # no scan runs now: nothing holds the state
        # At most every message: a run that an earlier kill missed may have scanned them all,
        # and the next has nothing left to commit.
        target = min(MESSAGES, before + rng.randint(1, max(1, (MESSAGES - before) // 2)))
        process = _scan(corpus, db, tmp_path / f"out-{attempt}")
        # Somewhere inside the next batch: detection or commit.
        _kill_after(process, db, before, target, rng.uniform(0, 1))
        process.communicate(timeout=SAFETY_SECONDS)  # reaps it and closes the pipe
        after = _committed(db)
        assert after is not None
        kill_points.append((target, after))
    # Every kill came after its target was committed (none was killed early, none crashed) ...
    assert all(after >= target for target, after in kill_points), (seed, kill_points)
    # ... and the first left at least half the messages to scan: a run was cut half-way.
    assert 0 < kill_points[0][1] < MESSAGES, (seed, kill_points)
    # A batch is committed whole or not at all: never part of one.
    assert all(after % BATCH_MESSAGES == 0 or after == MESSAGES for _, after in kill_points), (
        seed, kill_points)

    final = _scan(corpus, db, tmp_path / "out-final")
    _, stderr = final.communicate(timeout=SAFETY_SECONDS)
    assert final.returncode in (0, 1), stderr.decode()

    with sqlite3.connect(db) as connection:
        stored = [row[0] for row in connection.execute("SELECT id FROM findings")]
        scanned = connection.execute("SELECT count(*) FROM messages").fetchone()[0]
        unreported = connection.execute(
            "SELECT count(*) FROM findings WHERE reported_run IS NULL").fetchone()[0]
    context = f"seed {seed}, kill points (target, committed) {kill_points}"
    print(context)
    assert scanned == MESSAGES, context
    assert Counter(stored) == Counter(clean_ids), context  # each once: none lost, none doubled
    assert unreported == 0, context
    # A killed run never closes its findings.jsonl; the next run that completes
    # writes what the killed ones stored, plus its own. (A "killed" run may also
    # have finished before the signal.) Over every --out: the whole set, each once.
    written = [
        finding_id for path in sorted(tmp_path.glob("out-*/findings.jsonl"))
        for finding_id in _ids(path)
    ]
    assert (tmp_path / "out-final" / "findings.jsonl").exists()
    assert Counter(written) == Counter(clean_ids), context

    # And once more over the same data: nothing new, nothing scanned.
    again = run_cli("scan", str(corpus), "--state", str(db), "--out", str(tmp_path / "again"),
                    "--fail-on", "critical")
    assert again.exit_code == 0, again.output
    assert (tmp_path / "again" / "findings.jsonl").read_text() == ""
    assert f"unchanged    {MESSAGES} scanned by an earlier run" in again.output
