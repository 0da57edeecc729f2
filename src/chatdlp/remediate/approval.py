"""Four eyes: a plan is applied only with the approval of someone other than its planner,
given to the very action list that is in the file (its sha256).

Names are what people type (``--by``, else the login name): this is a process control
that makes a lone or mistaken delete hard and leaves a record, not a signature. The
file's permissions (0600) and the audit log keep the rest honest.
"""

from __future__ import annotations

from chatdlp.errors import ConfigError, RemediationRefused
from chatdlp.remediate.model import Approval, Plan, current_digest
from chatdlp.timefmt import utc_now_iso


def same_person(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def _check_unchanged(plan: Plan, where: str) -> str:
    digest = current_digest(plan)
    if digest != plan.actions_sha256:
        raise RemediationRefused(
            f"{where}: the action list changed after it was planned (sha256 {digest[:16]}... is "
            f"not the planned {plan.actions_sha256[:16]}...): nothing was deleted; plan again"
        )
    return digest


def approve(plan: Plan, by: str, reason: str, where: str) -> Approval:
    """Record ``by``'s approval of the plan's actions as they stand; returns it."""
    if not by.strip():
        raise ConfigError("--by: the approver's name is required")
    if not reason.strip():
        raise ConfigError("--reason: say why the deletes are approved")
    digest = _check_unchanged(plan, where)
    if same_person(by, plan.planned_by):
        raise RemediationRefused(
            f"{where}: {by!r} planned it and cannot approve it: a second person must approve"
        )
    if any(same_person(a.by, by) and a.actions_sha256 == digest for a in plan.approvals):
        raise RemediationRefused(f"{where}: already approved by {by!r}")
    approval = Approval(by=by.strip(), at=utc_now_iso(), reason=reason.strip(),
                        actions_sha256=digest)
    plan.approvals.append(approval)
    return approval


def check_approved(plan: Plan, where: str) -> Approval:
    """The approval that lets the plan be applied; RemediationRefused says why there is none."""
    digest = _check_unchanged(plan, where)
    valid = [a for a in plan.approvals
             if a.actions_sha256 == digest and not same_person(a.by, plan.planned_by)]
    if valid:
        return valid[0]
    if any(a.actions_sha256 != digest for a in plan.approvals):
        raise RemediationRefused(
            f"{where}: the action list changed after it was approved: nothing was deleted; "
            "plan again and have the new plan approved"
        )
    if plan.approvals:
        raise RemediationRefused(
            f"{where}: approved only by its planner {plan.planned_by!r}: nothing was deleted; "
            "a second person must run 'chatdlp remediate approve'"
        )
    raise RemediationRefused(
        f"{where}: not approved: nothing was deleted; a second person must run "
        f"'chatdlp remediate approve {where} --by NAME --reason TEXT'"
    )
