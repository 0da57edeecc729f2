"""``remediate plan``: stored findings -> the actions that would remove them. Offline.

Findings are picked from the state (status ``open`` only: suppressed, resolved and
already remediated ones never justify a delete), filtered, and grouped by target:

- ``delete-conversation``: one action per conversation holding a finding (findings on
  GPTs, Projects, memories ... live in pseudo-conversations like ``gpt:<id>``: no target);
- ``delete-file``: one per uploaded file (findings in the pseudo-message ``file:<id>``);
- ``revoke-sharing``: one per GPT or Project whose own configuration holds a finding.

A target on a legal hold (itself, its owner, its GPT or Project) is left out and listed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from chatdlp import boundary
from chatdlp.errors import ConfigError
from chatdlp.records import Finding, Severity
from chatdlp.remediate.holds import Hold, Holds
from chatdlp.remediate.model import (
    Action,
    ActionKind,
    Criteria,
    HeldTarget,
    Justification,
    Plan,
    Target,
    actions_digest,
)
from chatdlp.state import FindingsStore
from chatdlp.timefmt import utc_now_iso

FILE_PREFIX = "file:"
# Pseudo-conversations of objects other than chats (see sources/compliance_objects).
OBJECT_PREFIXES = ("gpt:", "project:", "memory:", "automation:", "canvas:", "recording:",
                   "codex_task:")
SHARED_KINDS = ("gpt", "project")


@dataclass(frozen=True)
class PlanRequest:
    state: Path
    workspace_id: str
    action: ActionKind = "delete-conversation"
    min_severity: Severity = Severity.CRITICAL
    rules: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    conversations: tuple[str, ...] = ()
    by: str = ""
    holds: Holds = field(default_factory=Holds.none)

    def __post_init__(self) -> None:
        ws = self.workspace_id
        if not ws or "/" in ws or ws.strip() != ws:
            raise ConfigError(f"--workspace {ws!r}: not a valid workspace id")
        if not self.by.strip():
            raise ConfigError("--by: a name is required")

    def wants(self, finding: Finding) -> bool:
        return (
            finding.severity.rank >= self.min_severity.rank
            and (not self.entities or finding.entity_type in self.entities)
            and (not self.conversations or finding.conversation_id in self.conversations)
        )


def action_path(workspace_id: str, target: Target) -> str:
    """The delete call of a target, below the base URL (compliance-api.md, "Deletes")."""
    ws = f"/compliance/workspaces/{quote(workspace_id, safe='')}"
    ident = quote(target.id, safe="")
    if target.kind == "conversation":
        return f"{ws}/conversations/{ident}"
    if target.kind == "file":
        return f"{ws}/users/{quote(target.user_id or '', safe='')}/files/{ident}"
    return f"{ws}/{target.kind}s/{ident}/shared_users"


def _target_of(action: ActionKind, finding: Finding) -> Target | None:
    target = _target_of_ids(action, finding)
    if target is not None and any(_withheld(i) for i in (target.id, target.user_id, target.conversation_id)):
        return None  # a value-like id is kept only as a pseudonym: nothing to call the API with
    return target


def _withheld(ident: str | None) -> bool:
    return bool(ident) and (boundary.WITHHELD in (ident or "")
                            or any(boundary.is_pseudonym(s) for s in (ident or "").split(":")))


def _target_of_ids(action: ActionKind, finding: Finding) -> Target | None:
    cid = finding.conversation_id
    if action == "delete-conversation":
        return None if cid.startswith(OBJECT_PREFIXES) else Target(kind="conversation", id=cid)
    if action == "delete-file":
        if not finding.message_id.startswith(FILE_PREFIX) or not finding.user_id:
            return None
        return Target(kind="file", id=finding.message_id[len(FILE_PREFIX):], conversation_id=cid,
                      user_id=finding.user_id)
    for kind in SHARED_KINDS:
        if cid.startswith(f"{kind}:") and len(cid) > len(kind) + 1:
            return Target(kind=kind, id=cid[len(kind) + 1:])  # type: ignore[arg-type]
    return None


@dataclass
class _Group:
    target: Target
    findings: list[Finding] = field(default_factory=list)

    def ids(self, attribute: str) -> set[str]:
        return {v for f in self.findings if (v := getattr(f, attribute))}


def _metadata(store: FindingsStore, group: _Group) -> dict[str, Any]:
    target = group.target
    if target.kind == "file":
        return {"conversation_id": target.conversation_id, "uploaded_by": target.user_id}
    pseudo = target.id if target.kind == "conversation" else f"{target.kind}:{target.id}"
    meta = store.conversation_metadata(pseudo)
    meta["user_ids"] = sorted(set(meta["user_ids"]) | group.ids("user_id"))
    return meta


def hold_for(holds: Holds, target: Target, users: Iterable[str] = (), gpts: Iterable[str] = (),
             projects: Iterable[str] = ()) -> Hold | None:
    """The hold a target is under: on itself, its conversation, an owner, its GPT or Project.
    The target's metadata (from the state) adds the users, GPTs and Projects it knows of."""
    meta = target.metadata
    all_users = {*users, *meta.get("user_ids", ()), meta.get("uploaded_by"), target.user_id}
    all_gpts = {*gpts, *meta.get("gpt_ids", ()), target.id if target.kind == "gpt" else None}
    all_projects = {*projects, *meta.get("project_ids", ()),
                    target.id if target.kind == "project" else None}
    conversations = {target.conversation_id, target.id if target.kind == "conversation" else None}
    return (
        holds.hold_on("conversations", sorted(c for c in conversations if c))
        or holds.hold_on("users", sorted(u for u in all_users if u))
        or holds.hold_on("gpts", sorted(g for g in all_gpts if g))
        or holds.hold_on("projects", sorted(p for p in all_projects if p))
    )


def _justification(finding: Finding) -> Justification:
    return Justification(
        finding_id=finding.id, rule_id=finding.rule_id, entity_type=finding.entity_type,
        severity=finding.severity.value, message_id=finding.message_id,
        created_at=finding.created_at, excerpt=finding.excerpt,
    )


def _groups(request: PlanRequest, findings: Iterable[Finding]) -> tuple[list[_Group], int]:
    groups: dict[tuple[str, str, str], _Group] = {}
    without_target = 0
    for finding in findings:
        if not request.wants(finding):
            continue
        target = _target_of(request.action, finding)
        if target is None:
            without_target += 1
            continue
        key = (target.kind, target.user_id or "", target.id)
        groups.setdefault(key, _Group(target)).findings.append(finding)
    return [groups[k] for k in sorted(groups)], without_target


def build_plan(request: PlanRequest) -> Plan:
    """The plan for the request, from the state at ``request.state``; no API call."""
    actions: list[Action] = []
    held: list[HeldTarget] = []
    with FindingsStore.open(request.state, create=False) as store:
        stored = store.findings(statuses=("open",), rules=request.rules)
        groups, without_target = _groups(request, (s.finding for s in stored))
        for group in groups:
            meta = _metadata(store, group)
            target = group.target.model_copy(update={"metadata": meta})
            hold = hold_for(request.holds, target, group.ids("user_id"), group.ids("gpt_id"),
                            group.ids("project_id"))
            if hold is not None:
                held.append(HeldTarget(action=request.action, target=target, hold=hold.to_dict(),
                                       findings=[f.id for f in group.findings]))
                continue
            actions.append(Action(
                id=f"a{len(actions) + 1:04d}", action=request.action,
                path=action_path(request.workspace_id, target), target=target,
                findings=[_justification(f) for f in group.findings],
            ))
    holds = request.holds
    return Plan(
        plan_id=uuid.uuid4().hex,
        workspace_id=request.workspace_id,
        action=request.action,
        planned_by=request.by,
        planned_at=utc_now_iso(),
        state=str(request.state.resolve()),
        criteria=Criteria(min_severity=request.min_severity.value, rules=list(request.rules),
                          entities=list(request.entities),
                          conversations=list(request.conversations)),
        holds_file=holds.origin, holds_sha256=holds.sha256,
        expired_holds=[h.to_dict() for h in holds.expired],
        actions=actions, held=held, findings_without_target=without_target,
        actions_sha256=actions_digest(request.workspace_id, request.by, request.action, actions),
    )


def planned_findings(actions: Sequence[Action]) -> list[str]:
    return [j.finding_id for a in actions for j in a.findings]
