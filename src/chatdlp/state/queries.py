"""Reading the stored findings and message metadata back (reports, triage lists)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from chatdlp.records import Finding, Message
from chatdlp.state.schema import (
    SELECT_FINDING,
    Database,
    StoredFinding,
    StoredMessage,
    finding_from_row,
    time_window,
)
from chatdlp.timefmt import iso_time


class FindingQueries(Database):
    """Reading back (part of FindingsStore)."""

    def findings(
        self,
        since: float | None = None,
        until: float | None = None,
        statuses: Sequence[str] = (),
        severities: Sequence[str] = (),
        rules: Sequence[str] = (),
    ) -> Iterator[StoredFinding]:
        """Stored findings in a stable order, filtered; ``since``/``until`` compare
        the message time (Unix seconds); a finding without one is outside any window."""
        clauses, params = time_window(iso_time(since), iso_time(until))
        for column, values in (("status", statuses), ("severity", severities), ("rule_id", rules)):
            if values:
                clauses.append(f"{column} IN ({', '.join('?' for _ in values)})")
                params.extend(values)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        cursor = self._db.cursor()
        cursor.execute(
            f"SELECT {SELECT_FINDING}, status, stored_at FROM findings {where} "
            "ORDER BY conversation_id, message_id, start, id",
            params,
        )
        while rows := cursor.fetchmany(500):
            for row in rows:
                yield StoredFinding(finding_from_row(row[:-2]), row[-2], float(row[-1]))

    def conversation_findings(self, conversation_id: str) -> list[Finding]:
        """The stored findings of one conversation, earliest message first (what an earlier
        run saw of it: who introduced each value, who was identified)."""
        rows = self._execute(
            f"SELECT {SELECT_FINDING} FROM findings WHERE conversation_id = ? "
            "ORDER BY created_at, message_id, start", (conversation_id,),
        ).fetchall()
        return [finding_from_row(row) for row in rows]

    def messages(self, since: float | None = None, until: float | None = None) -> Iterator[StoredMessage]:
        clauses, params = time_window(since, until)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        cursor = self._db.cursor()
        cursor.execute(
            "SELECT conversation_id, message_id, source, role, user_id, created_at, gpt_id, "
            f"project_id, characters FROM messages {where} ORDER BY conversation_id, message_id",
            params,
        )
        while rows := cursor.fetchmany(500):
            for r in rows:
                yield StoredMessage(
                    Message(
                        conversation_id=r[0], message_id=r[1], source=r[2], role=r[3], text="",
                        user_id=r[4], created_at=r[5], gpt_id=r[6], project_id=r[7],
                    ),
                    int(r[8]),
                )

    def count(self, table: str) -> int:
        if table not in ("findings", "messages", "outbox", "suppressions", "runs"):
            raise ValueError(table)
        return int(self._execute(f"SELECT count(*) FROM {table}").fetchone()[0])
