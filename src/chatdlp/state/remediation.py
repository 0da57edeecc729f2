"""Remediation's part of the state: findings whose target was deleted become ``remediated``,
and what the state knows about a target (message metadata, never text) for the evidence."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from chatdlp.state.schema import Database
from chatdlp.timefmt import iso_time, utc_now_iso

REMEDIATED = "remediated"


class RemediationTables(Database):
    """Remediation (part of FindingsStore)."""

    def mark_remediated(self, ids: Sequence[str], target: str, reason: str, by: str) -> int:
        """Findings whose target was deleted through the API; logged in the triage log."""
        changed = 0
        with self._transaction():
            for start in range(0, len(ids), 500):
                chunk = list(ids[start : start + 500])
                marks = ", ".join("?" for _ in chunk)
                changed += self._execute(
                    f"UPDATE findings SET status = '{REMEDIATED}' WHERE id IN ({marks}) "
                    f"AND status != '{REMEDIATED}'",
                    chunk,
                ).rowcount
            if changed:
                self._execute(
                    "INSERT INTO triage_log (target, action, reason, by, at) VALUES (?, ?, ?, ?, ?)",
                    (target, "remediate", reason, by, utc_now_iso()),
                )
        return int(changed)

    def conversation_metadata(self, conversation_id: str) -> dict[str, Any]:
        """What the state holds about a conversation's scanned messages: counts, users,
        times, GPT and Project ids. Ids and numbers only; the state holds no text."""
        rows = self._execute(
            "SELECT role, user_id, created_at, gpt_id, project_id, characters, source "
            "FROM messages WHERE conversation_id = ? ORDER BY message_id",
            (conversation_id,),
        ).fetchall()
        times = [float(r[2]) for r in rows if r[2] is not None]
        return {
            "messages_scanned": len(rows),
            "characters_scanned": sum(int(r[5]) for r in rows),
            "roles": dict(sorted(Counter(str(r[0]) for r in rows).items())),
            "user_ids": sorted({str(r[1]) for r in rows if r[1]}),
            "gpt_ids": sorted({str(r[3]) for r in rows if r[3]}),
            "project_ids": sorted({str(r[4]) for r in rows if r[4]}),
            "first_message_at": iso_time(min(times)) if times else None,
            "last_message_at": iso_time(max(times)) if times else None,
            "sources": sorted({str(r[6]) for r in rows if r[6]}),
        }
