"""The plan file: what is to be deleted and why, who planned and approved it, what happened.

One JSON document, written atomically with mode 0600 (it names users and conversations).
``actions_sha256`` is the sha256 of the canonical JSON of the workspace, the planner,
the action kind and the action list (:func:`actions_digest`): an approval records the
digest it saw, and ``apply`` refuses a plan whose actions no longer hash to it.
Outcomes of ``apply`` runs go in ``runs`` (outside the digest, so recording them does
not void the approval).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chatdlp.atomic import AtomicFile
from chatdlp.errors import ConfigError

PLAN_FORMAT = "chatdlp-remediation-plan"
ActionKind = Literal["delete-conversation", "delete-file", "revoke-sharing"]
ACTION_KINDS: tuple[ActionKind, ...] = ("delete-conversation", "delete-file", "revoke-sharing")
TargetKind = Literal["conversation", "file", "gpt", "project"]
OutcomeStatus = Literal["deleted", "already-gone", "held", "failed", "not-attempted", "dry-run"]
DONE: frozenset[str] = frozenset({"deleted", "already-gone"})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Justification(_Model):
    """A finding that justifies an action: ids, rule, severity and the masked excerpt only."""

    finding_id: str
    rule_id: str
    entity_type: str
    severity: str
    message_id: str
    created_at: str | None = None
    excerpt: str


class Target(_Model):
    kind: TargetKind
    id: str
    conversation_id: str | None = None  # a file's conversation
    user_id: str | None = None  # the owner (a file's uploader)
    metadata: dict[str, Any] = Field(default_factory=dict)


class Action(_Model):
    id: str
    action: ActionKind
    method: Literal["DELETE"] = "DELETE"
    path: str  # below the base URL, ids quoted
    target: Target
    findings: list[Justification]


class HeldTarget(_Model):
    action: ActionKind
    target: Target
    hold: dict[str, str | None]
    findings: list[str]


class Criteria(_Model):
    min_severity: str
    rules: list[str] = Field(default_factory=list)
    entities: list[str] = Field(default_factory=list)
    conversations: list[str] = Field(default_factory=list)


class Approval(_Model):
    by: str
    at: str
    reason: str
    actions_sha256: str


class Outcome(_Model):
    action_id: str
    status: OutcomeStatus
    at: str
    http_status: int | None = None
    attempts: int = 0
    reason: str | None = None
    evidence: str | None = None
    evidence_sha256: str | None = None
    findings_remediated: int = 0


class ApplyRun(_Model):
    run_id: str
    by: str
    started_at: str
    finished_at: str | None = None
    dry_run: bool = False
    audit_log: str | None = None
    audit_head: str | None = None  # sha256 of the last audit line this run wrote
    audit_lines: int | None = None  # lines in the log after this run
    outcomes: list[Outcome] = Field(default_factory=list)


class Plan(_Model):
    format: Literal["chatdlp-remediation-plan"] = "chatdlp-remediation-plan"
    version: Literal[1] = 1
    plan_id: str
    workspace_id: str
    action: ActionKind
    planned_by: str
    planned_at: str
    state: str
    criteria: Criteria
    holds_file: str | None = None
    holds_sha256: str | None = None
    expired_holds: list[dict[str, str | None]] = Field(default_factory=list)
    actions: list[Action]
    held: list[HeldTarget] = Field(default_factory=list)
    findings_without_target: int = 0
    actions_sha256: str
    approvals: list[Approval] = Field(default_factory=list)
    runs: list[ApplyRun] = Field(default_factory=list)

    def finding_count(self) -> int:
        return sum(len(a.findings) for a in self.actions)


def actions_digest(
    workspace_id: str, planned_by: str, action: str, actions: list[Action]
) -> str:
    subject = {
        "workspace_id": workspace_id,
        "planned_by": planned_by,
        "action": action,
        "actions": [a.model_dump(mode="json") for a in actions],
    }
    text = json.dumps(subject, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def current_digest(plan: Plan) -> str:
    """The digest of the plan's actions as they stand in the file now."""
    return actions_digest(plan.workspace_id, plan.planned_by, plan.action, plan.actions)


def save_plan(plan: Plan, path: Path) -> None:
    with AtomicFile(path) as out:
        out.write(json.dumps(plan.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n")


def load_plan(path: Path) -> Plan:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the plan ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a chatdlp remediation plan (not UTF-8 text)") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict) or data.get("format") != PLAN_FORMAT:
        raise ConfigError(f"{path}: not a chatdlp remediation plan (format {PLAN_FORMAT!r})")
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(plan)'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise ConfigError(f"{path}: not a valid remediation plan ({problems})") from None
