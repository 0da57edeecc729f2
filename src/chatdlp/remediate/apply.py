"""``remediate apply``: an approved plan's deletes, each after its evidence is stored.

Refuses (nothing deleted, nothing sent) a plan without a second person's approval of
its current action list, or one whose action paths do not match their targets. Then,
action by action: a target now under a legal hold (``--hold``) is skipped; the
evidence is written; the delete is sent; a delete that succeeded or found the target
gone (404/410) marks its findings ``remediated`` in the state. The plan records every
outcome after each action, so a run that stops half-way says how far it got, and a
second apply changes nothing (each target answers 404) and ends the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from chatdlp.errors import ChatdlpError, RemediationIncomplete, RemediationRefused
from chatdlp.remediate.approval import check_approved
from chatdlp.remediate.audit import AuditTrail
from chatdlp.remediate.client import DeleteClient, DeleteResult
from chatdlp.remediate.evidence import EvidenceStore
from chatdlp.remediate.holds import Holds
from chatdlp.remediate.model import DONE, Action, ApplyRun, Outcome, Plan, save_plan
from chatdlp.remediate.plan import action_path, hold_for
from chatdlp.state import FindingsStore
from chatdlp.timefmt import utc_now_iso

Progress = Callable[[str], None]


def audit_log_for(plan_path: Path) -> Path:
    return plan_path.with_name(f"{plan_path.stem}.audit.jsonl")


@dataclass(frozen=True)
class ApplyRequest:
    plan_path: Path
    by: str
    run_id: str
    state: Path
    evidence_dir: Path
    audit_log: Path | None = None
    holds: Holds = field(default_factory=Holds.none)
    dry_run: bool = False


def check_applicable(plan: Plan, where: str) -> None:
    """Everything that must hold before a single call is sent."""
    check_approved(plan, where)
    for action in plan.actions:
        if action.path != action_path(plan.workspace_id, action.target):
            raise RemediationRefused(
                f"{where}: action {action.id}: its path does not match its target: nothing was "
                "deleted"
            )


def _outcome(action: Action, result: DeleteResult | None, status: str, **extra: object) -> Outcome:
    return Outcome.model_validate({
        "action_id": action.id, "status": status, "at": utc_now_iso(),
        "http_status": result.http_status if result else None,
        "attempts": result.attempts if result else 0,
        "reason": result.reason if result else None,
        **extra,
    })


class PlanApplier:
    """Applies one plan; ``client`` is made only once the plan passed every check."""

    def __init__(self, plan: Plan, request: ApplyRequest, progress: Progress) -> None:
        self.plan = plan
        self.request = request
        self._progress = progress
        self.run = ApplyRun(run_id=request.run_id, by=request.by, started_at=utc_now_iso(),
                            dry_run=request.dry_run,
                            audit_log=str(request.audit_log) if request.audit_log else None)
        self.counts: Counter[str] = Counter()

    def dry_run(self) -> ApplyRun:
        for action in self.plan.actions:
            hold = hold_for(self.request.holds, action.target)
            if hold is not None:
                outcome = _outcome(action, None, "held", reason=f"under a legal hold ({hold.kind} "
                                   f"{hold.id}): would not be deleted")
            else:
                outcome = _outcome(action, None, "dry-run", reason=f"would send DELETE {action.path}")
            self._note(action, outcome)
        self.run.finished_at = utc_now_iso()
        return self.run

    def apply(self, client: DeleteClient, store: FindingsStore, trail: AuditTrail) -> ApplyRun:
        evidence = EvidenceStore(self.request.evidence_dir)
        evidence.check_belongs_to(self.plan)
        self.plan.runs.append(self.run)
        pending = list(self.plan.actions)
        try:
            while pending:
                action = pending.pop(0)
                try:
                    outcome = self._one(action, client, store, evidence)
                except ChatdlpError as exc:  # the key was refused, the state failed: stop here
                    self._note(action, _outcome(action, None, "failed", reason=str(exc)))
                    raise
                self._note(action, outcome)
                save_plan(self.plan, self.request.plan_path)
        except ChatdlpError:
            for action in pending:
                self._note(action, _outcome(action, None, "not-attempted"))
            raise
        finally:
            self.run.finished_at = utc_now_iso()
            self.run.audit_head, self.run.audit_lines = trail.head, trail.lines
            save_plan(self.plan, self.request.plan_path)
        failed = self.counts["failed"]
        if failed:
            raise RemediationIncomplete(
                f"{self.request.plan_path}: {failed} of {len(self.plan.actions)} action(s) failed "
                "(see the plan's runs); the others are done. Apply again once the cause is fixed"
            )
        return self.run

    def _one(
        self, action: Action, client: DeleteClient, store: FindingsStore, evidence: EvidenceStore
    ) -> Outcome:
        hold = hold_for(self.request.holds, action.target)
        if hold is not None:
            return _outcome(action, None, "held",
                            reason=f"under a legal hold ({hold.kind} {hold.id}): not deleted")
        name, digest = evidence.record(self.plan, action, self.run.run_id, self.request.by)
        result = client.delete(action.path)
        remediated = 0
        if result.status in DONE:
            remediated = store.mark_remediated(
                [j.finding_id for j in action.findings],
                f"{action.target.kind}:{action.target.id}",
                f"plan {self.plan.plan_id} action {action.id}: {result.status}",
                self.request.by,
            )
        return _outcome(action, result, result.status, evidence=name, evidence_sha256=digest,
                        findings_remediated=remediated)

    def _note(self, action: Action, outcome: Outcome) -> None:
        self.run.outcomes.append(outcome)
        self.counts[outcome.status] += 1
        http = f" (HTTP {outcome.http_status})" if outcome.http_status else ""
        why = f": {outcome.reason}" if outcome.reason and outcome.status != "deleted" else ""
        self._progress(f"{action.id} {action.action} {action.target.kind} {action.target.id}: "
                       f"{outcome.status}{http}{why}")
