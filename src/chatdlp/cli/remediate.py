"""``chatdlp remediate plan|approve|apply``: deletes through the Compliance API, planned
offline, approved by a second person, applied with evidence and an audit log."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from chatdlp.records import Severity

if TYPE_CHECKING:
    from chatdlp.remediate.holds import Holds


@click.group()
def remediate() -> None:
    """Delete what findings point at: plan (offline), approve (a second person), apply."""


def _name(by: str | None) -> str:
    from chatdlp.state import os_user

    return by.strip() if by and by.strip() else os_user()


def _holds(path: Path | None) -> Holds:
    from chatdlp.remediate.holds import Holds, load_holds

    return load_holds(path) if path is not None else Holds.none()


_SHOWN = 20  # actions listed by approve
_HOLD_OPTION = click.option(
    "--hold", "hold_file", type=click.Path(dir_okay=False, path_type=Path),
    help="Legal holds (YAML, version 1: users, conversations, gpts, projects): never deleted.",
)


@remediate.command("plan")
@click.option("--state", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The state database of the scans.")
@click.option("--workspace", "workspace_id", required=True, metavar="WS",
              help="The workspace the findings came from (compliance://WS).")
@click.option("--min-severity", type=click.Choice([s.value for s in Severity]),
              default=Severity.CRITICAL.value, show_default=True)
@click.option("--rule", "rules", multiple=True, metavar="ID", help="Only these rule ids.")
@click.option("--entity", "entities", multiple=True, metavar="E", help="Only these entity types.")
@click.option("--conversation", "conversations", multiple=True, metavar="ID",
              help="Only these conversations.")
@click.option("--action", type=click.Choice(["delete-conversation", "delete-file", "revoke-sharing"]),
              default="delete-conversation", show_default=True)
@_HOLD_OPTION
@click.option("--by", default=None, metavar="NAME", help="Who plans (default: your login name).")
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path))
def remediate_plan(
    state: Path, workspace_id: str, min_severity: str, rules: tuple[str, ...],
    entities: tuple[str, ...], conversations: tuple[str, ...], action: str,
    hold_file: Path | None, by: str | None, out_file: Path,
) -> None:
    """Write a plan: the actions that would remove the matching open findings, the findings
    that justify each (masked excerpts), targets under legal hold left out. No API call."""
    from chatdlp.errors import ConfigError
    from chatdlp.remediate.model import save_plan
    from chatdlp.remediate.plan import PlanRequest, build_plan

    if out_file.exists():  # a plan is a record of what was (to be) deleted: never overwritten
        raise ConfigError(f"--out {out_file}: exists; a plan is a record, choose a new name")
    holds = _holds(hold_file)
    for hold in holds.expired:
        click.echo(f"chatdlp: warning: {hold_file}: the hold on {hold.kind} {hold.id} expired "
                   f"{hold.expires}: not applied", err=True)
    plan = build_plan(PlanRequest(
        state=state, workspace_id=workspace_id, action=action,  # type: ignore[arg-type]
        min_severity=Severity(min_severity), rules=rules, entities=entities,
        conversations=conversations, by=_name(by), holds=holds,
    ))
    save_plan(plan, out_file)
    for held in plan.held:
        click.echo(f"held: {held.target.kind} {held.target.id} ({held.hold['kind']} "
                   f"{held.hold['id']}: {held.hold.get('reason') or 'no reason given'})")
    unmatched = (f"; {plan.findings_without_target} matching finding(s) have no {action} target"
                 if plan.findings_without_target else "")
    click.echo(f"plan {out_file}: {len(plan.actions)} action(s) ({action}) for "
               f"{plan.finding_count()} finding(s), {len(plan.held)} target(s) held{unmatched}; "
               f"planned by {plan.planned_by}; actions sha256 {plan.actions_sha256}")
    click.echo(f"next: a second person runs 'chatdlp remediate approve {out_file} --by NAME "
               "--reason TEXT'")


@remediate.command("approve")
@click.argument("plan_file", metavar="PLAN.json", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--by", required=True, metavar="NAME", help="Who approves (not the planner).")
@click.option("--reason", required=True, help="Why these deletes are approved.")
def remediate_approve(plan_file: Path, by: str, reason: str) -> None:
    """Approve a plan's action list (its sha256) as a second person."""
    from chatdlp.remediate.approval import approve
    from chatdlp.remediate.model import load_plan, save_plan

    plan = load_plan(plan_file)
    approval = approve(plan, by, reason, str(plan_file))
    for action in plan.actions[:_SHOWN]:
        entities = ", ".join(sorted({f"{j.entity_type} ({j.severity})" for j in action.findings}))
        click.echo(f"  {action.id} {action.action} {action.target.kind} {action.target.id}: "
                   f"{len(action.findings)} finding(s): {entities}")
    if len(plan.actions) > _SHOWN:
        click.echo(f"  ... and {len(plan.actions) - _SHOWN} more (see the plan)")
    save_plan(plan, plan_file)
    click.echo(f"approved {plan_file}: {len(plan.actions)} action(s), sha256 "
               f"{approval.actions_sha256}, by {approval.by} at {approval.at}")


@remediate.command("apply")
@click.argument("plan_file", metavar="PLAN.json", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--by", default=None, metavar="NAME", help="Who applies (default: your login name).")
@click.option("--audit-log", type=click.Path(dir_okay=False, path_type=Path),
              help="Where the audit lines go (default: PLAN.audit.jsonl next to the plan).")
@click.option("--state", type=click.Path(dir_okay=False, path_type=Path),
              help="The state database (default: the one the plan was made from).")
@_HOLD_OPTION
@click.option("--dry-run", is_flag=True, help="Check the plan and list the calls; send nothing.")
def remediate_apply(
    plan_file: Path, by: str | None, audit_log: Path | None, state: Path | None,
    hold_file: Path | None, dry_run: bool,
) -> None:
    """Apply an approved plan: evidence, then each delete (key: CHATDLP_COMPLIANCE_DELETE_KEY),
    findings marked remediated, every call in the audit log. Exit 0 when every action is
    done (404 = already gone), 2 when the plan is refused, 3 when an action failed."""
    from chatdlp.remediate.apply import ApplyRequest, PlanApplier, audit_log_for, check_applicable
    from chatdlp.remediate.audit import AuditTrail, attach_audit, new_run_id
    from chatdlp.remediate.client import DeleteClient, delete_settings_from_environment
    from chatdlp.remediate.evidence import evidence_dir_for
    from chatdlp.remediate.model import load_plan
    from chatdlp.state import FindingsStore

    def say(message: str) -> None:
        click.echo(f"chatdlp: {message}", err=True)

    plan = load_plan(plan_file)
    check_applicable(plan, str(plan_file))
    holds = _holds(hold_file)
    request = ApplyRequest(
        plan_path=plan_file, by=_name(by), run_id=new_run_id(),
        state=state or Path(plan.state), evidence_dir=evidence_dir_for(plan_file),
        audit_log=None if dry_run else (audit_log or audit_log_for(plan_file)),
        holds=holds, dry_run=dry_run,
    )
    applier = PlanApplier(plan, request, say)
    if dry_run:
        applier.dry_run()
        click.echo(f"dry run of {plan_file}: {dict(applier.counts)}; nothing was sent")
        return
    settings = delete_settings_from_environment(plan.workspace_id)
    assert request.audit_log is not None
    with FindingsStore.open(request.state, create=False) as store, AuditTrail(
        request.audit_log, request.run_id, settings.base_url
    ) as trail, attach_audit(DeleteClient.http_client(settings), trail) as http:
        try:
            applier.apply(DeleteClient(settings, http, progress=say), store, trail)
        finally:
            click.echo(f"applied {plan_file} (run {request.run_id}): {dict(applier.counts)}; "
                       f"evidence in {request.evidence_dir}, audit log {request.audit_log} "
                       f"({trail.lines} line(s))")
