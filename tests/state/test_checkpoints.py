"""compliance:// with ``--state``: resume from the checkpoint (minus the overlap), and
the retention guard (a checkpoint older than 25 days warns; --fail-on-gap exits 3)."""

from __future__ import annotations

import re
import time
from pathlib import Path

from chatdlp.state import CHECKPOINT_OVERLAP, FindingsStore
from tests.fake_compliance import (
    FakeCompliance,
    conversation,
    message,
)

SOURCE = "compliance://ws-test"
# The checkpoint is kept under the source and its filters (here: the stateful path).
KEY = "compliance://ws-test?api=conversations"
FAST = ("--api", "conversations", "--page-size", "2", "--max-requests-per-minute", "10000")


def _workspace(now: float) -> FakeCompliance:
    items = []
    for c in range(4):
        item = conversation(
            f"conv-{c}", [message(f"msg-{c}-0", f"Mail person{c}@contoso.com about it.")]
        )
        item["last_active_at"] = now - 3600 + c
        items.append(item)
    fake = FakeCompliance(items)
    for c in range(4):  # the service's update time, as the fake filters since_timestamp on it
        fake.set_updated(f"conv-{c}", now - 3600 + c)
    return fake


def test_second_run_resumes_from_the_checkpoint(tmp_path: Path, run_cli, serve) -> None:
    now = time.time()
    fake = _workspace(now)
    serve(fake)
    db = tmp_path / "s.db"
    first = run_cli("scan", SOURCE, *FAST, "--state", str(db), "--out", str(tmp_path / "o1"))
    assert first.exit_code in (0, 1), first.output
    # first run: everything (page 1 always carries since_timestamp: 0 when unbounded)
    assert fake.requests[0].params["since_timestamp"] == ["0"]
    with FindingsStore.open(db) as store:
        checkpoint = store.checkpoint(KEY)
    assert checkpoint is not None and checkpoint.position >= now - 5  # read to the end: run start

    fake.update("conv-1", [message("msg-1-1", "And copy late.reply@contoso.com please.")])
    fake.set_updated("conv-1", time.time())
    asked = len(fake.requests)
    second = run_cli("scan", SOURCE, *FAST, "--state", str(db), "--out", str(tmp_path / "o2"))
    assert second.exit_code in (0, 1), second.output
    since = int(fake.requests[asked].params["since_timestamp"][0])
    assert since == int(checkpoint.position - CHECKPOINT_OVERLAP)
    assert "messages       1" in second.output  # only the new message of conv-1
    written = (tmp_path / "o2" / "findings.jsonl").read_text()
    assert "msg-1-1" in written and "msg-1-0" not in written

    # An explicit --since wins over the checkpoint.
    asked = len(fake.requests)
    run_cli("scan", SOURCE, *FAST, "--state", str(db), "--out", str(tmp_path / "o3"),
            "--since", "1000")
    assert fake.requests[asked].params["since_timestamp"] == ["1000"]


def test_old_checkpoint_warns_loudly_and_fail_on_gap_exits_3(tmp_path: Path, run_cli, serve) -> None:
    serve(_workspace(time.time()))
    db = tmp_path / "s.db"
    with FindingsStore.open(db) as store:
        store.set_checkpoint(KEY, time.time() - 27 * 86400)

    warned = run_cli("scan", SOURCE, *FAST, "--state", str(db), "--out", str(tmp_path / "o1"),
                     "--quiet")
    assert warned.exit_code in (0, 1), warned.output
    assert "RETENTION GAP" in warned.output and "27 days old" in warned.output

    with FindingsStore.open(db) as store:
        store.set_checkpoint(KEY, time.time() - 40 * 86400)
    failed = run_cli("scan", SOURCE, *FAST, "--state", str(db), "--out", str(tmp_path / "o2"),
                     "--fail-on-gap")
    assert failed.exit_code == 3, failed.output
    assert "--fail-on-gap" in failed.output and "RETENTION GAP" in failed.output
    assert (tmp_path / "o2" / "findings.jsonl").exists()  # the scan still ran and wrote

    with FindingsStore.open(db) as store:
        store.set_checkpoint(KEY, time.time() - 2 * 86400)
    fresh = run_cli("scan", SOURCE, *FAST, "--state", str(db), "--out", str(tmp_path / "o3"),
                    "--fail-on-gap")
    assert fresh.exit_code in (0, 1) and "RETENTION GAP" not in fresh.output


def test_fail_on_gap_needs_state(tmp_path: Path, run_cli) -> None:
    result = run_cli("scan", str(tmp_path), "--fail-on-gap")
    assert result.exit_code == 2 and "needs --state" in result.output


def test_checkpoints_are_kept_per_filter_and_the_summary_says_where_a_run_resumed(
    tmp_path: Path, run_cli, serve
) -> None:
    fake = _workspace(time.time())
    serve(fake)
    db = tmp_path / "s.db"
    pilot = run_cli("scan", SOURCE, *FAST, "--users", "user-b", "--users", "user-a", "--state", str(db),
                    "--out", str(tmp_path / "o1"))
    assert pilot.exit_code in (0, 1), pilot.output
    with FindingsStore.open(db) as store:
        assert store.checkpoint("compliance://ws-test?users=user-a,user-b&api=conversations") is not None
        assert store.checkpoint(KEY) is None  # everyone's checkpoint did not move
    asked = len(fake.requests)
    everyone = run_cli("scan", SOURCE, *FAST, "--state", str(db), "--out", str(tmp_path / "o2"))
    assert everyone.exit_code in (0, 1), everyone.output
    assert fake.requests[asked].params["since_timestamp"] == ["0"]  # from the start, not the pilot's
    assert "resumed" not in everyone.output
    again = run_cli("scan", SOURCE, *FAST, "--state", str(db), "--out", str(tmp_path / "o3"))
    assert re.search(rf"resumed +{re.escape(KEY)} from \d{{4}}-\d\d-\d\dT", again.output), again.output
