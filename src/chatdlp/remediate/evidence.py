"""The evidence store: before each delete, what was deleted and why, in a directory next
to the plan (``PLAN.evidence/``, mode 0700, one 0600 JSON file per action).

A file holds the action (target, its metadata from the state, the justifying findings
with their masked excerpts), the plan's id, planner and digest, and the approvals. It
is written once: a later apply of the same plan keeps the first record (made before the
first delete) and reports its sha256 again. Nothing in it is unmasked.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from chatdlp.atomic import AtomicFile, prepare_out_dir
from chatdlp.errors import RemediationRefused
from chatdlp.remediate.model import Action, Plan
from chatdlp.timefmt import utc_now_iso

EVIDENCE_FORMAT = "chatdlp-remediation-evidence"


def evidence_dir_for(plan_path: Path) -> Path:
    return plan_path.with_name(f"{plan_path.stem}.evidence")


class EvidenceStore:
    def __init__(self, directory: Path) -> None:
        self.directory = prepare_out_dir(directory)

    def check_belongs_to(self, plan: Plan) -> None:
        """Refuse a directory holding another plan's evidence (a plan file name reused)."""
        for path in sorted(self.directory.glob("*.json")):
            try:
                plan_id = json.loads(path.read_text(encoding="utf-8")).get("plan_id")
            except (OSError, ValueError, AttributeError):
                plan_id = None
            if plan_id != plan.plan_id:
                raise RemediationRefused(
                    f"{path}: not the evidence of plan {plan.plan_id} (a plan of the same name "
                    "was applied before?): nothing was deleted; move the directory aside"
                )

    def record(self, plan: Plan, action: Action, run_id: str, by: str) -> tuple[str, str]:
        """(file name, sha256 of its bytes) of the action's evidence; written if new."""
        path = self.directory / f"{action.id}.json"
        if not path.is_file():
            document = {
                "format": EVIDENCE_FORMAT,
                "version": 1,
                "plan_id": plan.plan_id,
                "workspace_id": plan.workspace_id,
                "actions_sha256": plan.actions_sha256,
                "planned_by": plan.planned_by,
                "planned_at": plan.planned_at,
                "approvals": [a.model_dump(mode="json") for a in plan.approvals],
                "recorded_at": utc_now_iso(),
                "recorded_by": by,
                "run_id": run_id,
                "action": action.model_dump(mode="json"),
            }
            with AtomicFile(path) as out:
                out.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        return path.name, hashlib.sha256(path.read_bytes()).hexdigest()
