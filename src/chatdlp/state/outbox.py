"""Findings waiting for a sink (``webhook=URL``, ...), kept until it took them."""

from __future__ import annotations

from collections.abc import Iterable

from chatdlp.records import Finding
from chatdlp.state.schema import SELECT_FINDING_F, Database, finding_from_row


class SinkOutbox(Database):
    """The sinks' outbox (part of FindingsStore)."""

    def pending(self, sink: str, limit: int) -> list[Finding]:
        rows = self._execute(
            f"SELECT {SELECT_FINDING_F} "
            "FROM outbox o JOIN findings f ON f.id = o.finding_id "
            "WHERE o.sink = ? ORDER BY f.stored_at, f.id LIMIT ?",
            (sink, limit),
        ).fetchall()
        return [finding_from_row(r) for r in rows]

    def pending_counts(self) -> dict[str, int]:
        rows = self._execute("SELECT sink, count(*) FROM outbox GROUP BY sink ORDER BY sink")
        return {r[0]: int(r[1]) for r in rows}

    def mark_sent(self, sink: str, ids: Iterable[str]) -> None:
        with self._transaction():
            for finding_id in ids:
                self._execute(
                    "DELETE FROM outbox WHERE sink = ? AND finding_id = ?", (sink, finding_id)
                )
