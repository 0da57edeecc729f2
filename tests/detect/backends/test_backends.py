"""Detection runners: the same findings, in the same order, whatever runs the detector."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatdlp.detect.backends import DetectorSpec, LazyDetector, LocalRunner, ProcessPoolRunner
from chatdlp.records import Detection, Message
from tests.conftest import write_flat_messages

TEXTS = [
    "Please send the contract to Maria Garcia by Friday.",
    "My SSN is 536-22-8714 and my card is 4539 1488 0343 6467.",
    "Nothing to see in this message about the quarterly roadmap.",
    "Mail dana.whitfield@contoso.com or call +1 206 342 8871.",
    "def load(path):\n    return open(path).read()",
]


def _messages(n: int) -> list[Message]:
    return [Message(f"c{i // 7}", f"m{i}", "user", f"{TEXTS[i % len(TEXTS)]} (#{i})") for i in range(n)]


def _batches(messages: list[Message], size: int = 16) -> list[list[Message]]:
    return [messages[i : i + size] for i in range(0, len(messages), size)]


def test_process_pool_gives_the_local_results_in_order(detector) -> None:
    messages = _messages(120)
    local = list(LocalRunner(detector).run(_batches(messages)))
    spec = DetectorSpec(policies=(), profile=detector.profile.name)
    pooled = list(ProcessPoolRunner(spec, workers=2, local=detector, local_batches=1).run(_batches(messages)))
    assert [batch for batch, _ in pooled] == [batch for batch, _ in local]
    assert [results for _, results in pooled] == [results for _, results in local]
    assert any(d.reported for _, results in local for ds in results for d in ds)


class _CountingLazy(LazyDetector):
    """The parent's detector, counting the batches it detects itself."""

    detected = 0

    def detect(self, messages: list[Message]) -> list[list[Detection]]:
        self.detected += 1
        return super().detect(messages)


@pytest.mark.parametrize("start", ["spawn", "fork"])
def test_no_batch_is_detected_in_the_parent_while_the_workers_load(
    detector, start: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHATDLP_WORKER_START", start)
    messages = _messages(40)
    local = list(LocalRunner(detector).run(_batches(messages)))
    here = _CountingLazy(())
    runner = ProcessPoolRunner(DetectorSpec(policies=(), profile=detector.profile.name), 2, local=here)
    runner.start()  # as a scan does, before its sources are read
    pooled = list(runner.run(_batches(messages)))
    assert here.detected == 0
    # Spawned workers build their own detector; forked ones inherit the one built here.
    assert here.built == (start == "fork")
    assert [results for _, results in pooled] == [results for _, results in local]


def test_a_lazy_detector_loads_nothing_until_it_detects(detector) -> None:
    lazy = LazyDetector(())
    assert not lazy.built and lazy.regex_timeouts == {}
    assert lazy.policies.rules and lazy.profile.name == detector.profile.name
    assert lazy.detect(_messages(5)) == detector.detect(_messages(5))
    assert lazy.built


def test_scan_with_one_or_two_workers_writes_identical_findings(run_cli, tmp_path: Path) -> None:
    source = write_flat_messages(tmp_path / "messages.jsonl", _messages(200))
    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}"
        result = run_cli("scan", str(source), "--out", str(out), "--workers", workers)
        assert result.exit_code == 1, result.output
        outputs.append((out / "findings.jsonl").read_text())
    assert outputs[0] == outputs[1]
    assert len(outputs[0].splitlines()) > 100


class _CountingRunner:
    def __init__(self, detector) -> None:
        self.inner = LocalRunner(detector)
        self.seen: list[str] = []

    def run(self, batches):
        for batch, results in self.inner.run(batches):
            self.seen.extend(m.text for m in batch)
            yield batch, results


def test_identical_texts_are_detected_once_with_the_same_results(detector) -> None:
    from chatdlp.detect.backends import CachingRunner

    repeated = "My SSN is 536-22-8714, please keep it safe."
    messages = [Message("c", f"m{i}", "user", repeated if i % 3 == 0 else f"{TEXTS[i % 5]} {i}") for i in range(60)]
    messages.append(Message("c", "as-assistant", "assistant", repeated))  # same text, other role
    counting = _CountingRunner(detector)
    cached = list(CachingRunner(counting).run(_batches(messages, size=8)))
    plain = list(LocalRunner(detector).run(_batches(messages, size=8)))
    assert [b for b, _ in cached] == [b for b, _ in plain]
    assert [r for _, r in cached] == [r for _, r in plain]
    assert counting.seen.count(repeated) == 2  # once per role
    assert len(counting.seen) == len({(m.role, m.text) for m in messages})


def test_a_lazy_detector_puts_off_a_load_of_the_files_the_last_load_read(tmp_path: Path) -> None:
    from chatdlp.policy import load_policies
    from chatdlp.policy.check_cache import PolicyCheckCache

    cache = tmp_path / "state.db.policy-cache"
    first = LazyDetector(("pii", "pci"), checks=PolicyCheckCache(cache))
    assert first.policies_loaded  # nothing to compare with yet: loaded (and checked) now
    again = LazyDetector(("pii", "pci"), checks=PolicyCheckCache(cache))
    assert not again.policies_loaded
    assert again.policies == load_policies(["pii", "pci"]) and again.policies_loaded
    other = LazyDetector(("pii",), checks=PolicyCheckCache(cache))  # near miss: another list
    assert other.policies_loaded
    assert LazyDetector(("pii", "pci")).policies_loaded  # no cache (no --state): always now
