"""A scan's outcome decides its exit code; regex timeouts reach the summary and --strict."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from chatdlp.detect.backends import CachingRunner, LocalRunner
from chatdlp.errors import ExitCode, StrictModeAbort
from chatdlp.pipeline.outcome import ScanOutcome
from chatdlp.pipeline.plan import ScanPlan
from chatdlp.policy.model import PolicySet
from chatdlp.records import Detection, Diagnostics, Message, ScanStats, cut_key
from chatdlp.report.summary import render_summary


class _TimingOut:
    """A detector whose rule ``slow`` times out once per message."""

    def __init__(self) -> None:
        self.regex_timeouts: dict[str, int] = {}

    def detect(self, messages: list[Message]) -> list[list[Detection]]:
        self.regex_timeouts["slow"] = self.regex_timeouts.get("slow", 0) + len(messages)
        return [[] for _ in messages]


def _outcome(strict: bool, timeouts: Counter[str]) -> ScanOutcome:
    stats = ScanStats()
    stats.regex_timeouts.update(timeouts)
    plan = ScanPlan(sources=("x",), out_dir=Path("out"), strict=strict)
    return ScanOutcome(plan, stats, Diagnostics(), PolicySet(()))


def test_a_backend_reports_the_regex_timeouts_of_its_detector_by_rule() -> None:
    runner = CachingRunner(LocalRunner(_TimingOut()))
    batch = [Message("c", f"m{i}", "user", f"text {i}") for i in range(3)]
    list(runner.run([batch]))
    assert runner.regex_timeouts() == Counter({"slow": 3})


def test_regex_timeouts_are_in_the_summary_and_fail_a_strict_run() -> None:
    lenient = _outcome(strict=False, timeouts=Counter({"pii.slow": 2}))
    assert lenient.problem() is None
    assert lenient.exit_code() == ExitCode.OK
    assert "regex timeouts 2" in render_summary(lenient.stats, lenient.diagnostics, "out")
    assert "pii.slow" in render_summary(lenient.stats, lenient.diagnostics, "out")
    strict = _outcome(strict=True, timeouts=Counter({"pii.slow": 2}))
    problem = strict.problem()
    assert isinstance(problem, StrictModeAbort)
    assert "pii.slow" in str(problem)
    assert strict.exit_code() == ExitCode.INCOMPLETE


def test_a_clean_strict_run_exits_0() -> None:
    assert _outcome(strict=True, timeouts=Counter()).exit_code() == ExitCode.OK


def test_time_bound_cuts_are_in_the_summary_apart_from_regex_timeouts_and_fail_a_strict_run() -> None:
    cut = cut_key("pii.phone", "phone matching cut")
    lenient = _outcome(strict=False, timeouts=Counter({cut: 3, "pii.slow": 1}))
    assert lenient.problem() is None
    summary = render_summary(lenient.stats, lenient.diagnostics, "out")
    assert "regex timeouts 1 pattern runs skipped" in summary
    assert "time bounds    3 message reads cut" in summary and f"     3  {cut}" in summary
    strict = _outcome(strict=True, timeouts=Counter({cut: 3}))
    problem = strict.problem()
    assert isinstance(problem, StrictModeAbort) and cut in str(problem)
    assert strict.exit_code() == ExitCode.INCOMPLETE
