"""What a scan's outcome means: the problem to report, if any, and the exit code.

The order is the contract's (DESIGN.md): a scan that could not finish (3)
before ``--strict`` (3), ``--fail-on-gap`` (3) and undelivered findings (3),
before findings at or above ``--fail-on`` (1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from chatdlp.errors import (
    ChatdlpError,
    ExitCode,
    RetentionGap,
    ScanIncomplete,
    SinkError,
    StrictModeAbort,
)
from chatdlp.pipeline.plan import ScanPlan
from chatdlp.policy.model import PolicySet
from chatdlp.records import Diagnostics, ScanStats, Severity


@dataclass
class ScanOutcome:
    plan: ScanPlan
    stats: ScanStats
    diagnostics: Diagnostics
    # The run's policies, or how to get them (loaded then, if a rerun put their load off).
    policy_set: PolicySet | Callable[[], PolicySet]
    failure: ChatdlpError | None = None
    retention_gaps: list[str] = field(default_factory=list)
    sink_errors: list[str] = field(default_factory=list)
    unsent: dict[str, int] = field(default_factory=dict)  # sink label -> findings not delivered
    window: tuple[str | None, str | None] = (None, None)
    # --state: the highest severity an earlier run wrote but never gave its exit code for
    # (killed after marking its findings reported): it still counts for --fail-on.
    unalerted: Severity | None = None

    @property
    def policies(self) -> PolicySet:
        if callable(self.policy_set):
            self.policy_set = self.policy_set()
        return self.policy_set

    def problem(self) -> ChatdlpError | None:
        """The error this outcome ends with (its message is printed), or None."""
        if self.failure is not None:
            return self.failure
        if self.diagnostics.failures:
            # Named as they happened (unless --quiet); one line again, always, at the end.
            first = "; ".join(self.diagnostics.failure_messages)
            more = self.diagnostics.failures - len(self.diagnostics.failure_messages)
            return ScanIncomplete(
                f"{first}" + (f" (and {more} more)" if more > 0 else "")
                + "; what was read is written"
            )
        skipped = self.diagnostics.skipped_total
        if self.plan.strict and skipped:
            return StrictModeAbort(f"--strict: {skipped} bad record(s) skipped; findings were written")
        timeouts = self.stats.pattern_timeouts
        if self.plan.strict and timeouts:
            rules = ", ".join(sorted(timeouts))
            return StrictModeAbort(
                f"--strict: {sum(timeouts.values())} pattern run(s) of {rules} hit the regex "
                "timeout and were skipped; findings were written"
            )
        cuts = self.stats.detection_cuts
        if self.plan.strict and cuts:
            return StrictModeAbort(
                f"--strict: {sum(cuts.values())} message read(s) cut by a time bound: "
                f"{', '.join(sorted(cuts))}; findings were written"
            )
        if self.plan.fail_on_gap and self.retention_gaps:
            return RetentionGap(
                f"--fail-on-gap: {len(self.retention_gaps)} source(s) with a checkpoint older "
                "than the retention allows; the scan ran and its findings were written"
            )
        if self.sink_errors and self.plan.state_path is None:
            unsent = sum(self.unsent.values())
            return SinkError(
                f"{self.sink_errors[0]}; {unsent:,} finding(s) were not delivered to a sink (they are "
                "in findings.jsonl; with --state they would be kept and sent on the next run)"
            )
        return None

    def exit_code(self) -> ExitCode:
        problem = self.problem()
        if problem is not None:
            return problem.exit_code
        if self.stats.findings_at_or_above(self.plan.fail_on) or self.earlier_alert():
            return ExitCode.FINDINGS
        return ExitCode.OK

    def earlier_alert(self) -> bool:
        """An earlier run was killed before its exit code: its findings alert now."""
        return self.unalerted is not None and self.unalerted.rank >= self.plan.fail_on.rank

    def alerted(self, code: int) -> None:
        """Called once the exit code is given: the state forgets the remembered severity,
        unless an alert was due and another code (3: incomplete) hid it."""
        due = self.stats.findings_at_or_above(self.plan.fail_on) or self.earlier_alert()
        if self.plan.state_path is None or (due and code != ExitCode.FINDINGS):
            return
        from chatdlp.state import FindingsStore

        with FindingsStore.open(self.plan.state_path, lock=True) as store:
            store.alerted()
