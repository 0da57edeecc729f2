"""Triage: suppress, resolve and reopen findings, with a log of who did what, when and why."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from chatdlp.errors import ConfigError
from chatdlp.state.schema import Database, Suppression, os_user
from chatdlp.timefmt import utc_now_iso


class TriageTables(Database):
    """Triage (part of FindingsStore)."""

    def resolve_target(self, target: str) -> tuple[str, list[str]]:
        """(``"id"`` or ``"fingerprint"``, the finding ids it names); StateError if none."""
        by_id = self._execute("SELECT id FROM findings WHERE id = ?", (target,)).fetchall()
        if by_id:
            return "id", [r[0] for r in by_id]
        by_fp = self._execute(
            "SELECT id FROM findings WHERE fingerprint = ? ORDER BY id", (target,)
        ).fetchall()
        if by_fp:
            return "fingerprint", [r[0] for r in by_fp]
        if len(target) == 64 and all(c in "0123456789abcdef" for c in target):
            return "fingerprint", []  # a fingerprint not seen (yet): suppressible ahead of time
        raise ConfigError(f"no finding with id or fingerprint {target!r} in {self.path}")

    def expand_fingerprint(self, target: str) -> str:
        """A unique prefix (8+ hex characters, as ``findings list`` shows) of a stored
        fingerprint as the whole fingerprint; anything else as given."""
        target = target.strip()
        lowered = target.lower()
        if not 8 <= len(lowered) < 64 or any(c not in "0123456789abcdef" for c in lowered):
            return target
        if self._execute("SELECT 1 FROM findings WHERE id = ?", (target,)).fetchone():
            return target
        rows = self._execute(
            "SELECT DISTINCT fingerprint FROM findings WHERE substr(fingerprint, 1, ?) = ? LIMIT 2",
            (len(lowered), lowered),
        ).fetchall()
        if len(rows) > 1:
            raise ConfigError(f"fingerprint prefix {target!r} matches several fingerprints in "
                              f"{self.path}; give more characters")
        return str(rows[0][0]) if rows else target

    def history(self, target: str) -> list[tuple[str, str, str, str]]:
        """(at, action, by, reason) of every triage step on a fingerprint or finding id, oldest first."""
        rows = self._execute(
            "SELECT at, action, by, reason FROM triage_log WHERE target = ? ORDER BY id", (target,)
        ).fetchall()
        return [(str(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]

    def fingerprint_of(self, finding_id: str) -> tuple[str, str]:
        row = self._execute(
            "SELECT fingerprint, entity_type FROM findings WHERE id = ?", (finding_id,)
        ).fetchone()
        if row is None:
            raise ConfigError(f"no finding with id {finding_id!r} in {self.path}")
        return str(row[0]), str(row[1])

    def suppress(self, fingerprint: str, reason: str, by: str, entity_type: str | None = None) -> int:
        """Suppress a fingerprint: its findings (now and later) are not reported."""
        at = utc_now_iso()
        with self._transaction():
            if entity_type is None:
                row = self._execute(
                    "SELECT entity_type FROM findings WHERE fingerprint = ? LIMIT 1", (fingerprint,)
                ).fetchone()
                entity_type = row[0] if row else None
            self._execute(
                "INSERT INTO suppressions (fingerprint, entity_type, reason, by, at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO UPDATE SET "
                "reason = excluded.reason, by = excluded.by, at = excluded.at",
                (fingerprint, entity_type, reason, by, at),
            )
            changed = self._execute(
                "UPDATE findings SET status = 'suppressed' WHERE fingerprint = ?", (fingerprint,)
            ).rowcount
            self._execute("DELETE FROM outbox WHERE finding_id IN "
                          "(SELECT id FROM findings WHERE fingerprint = ?)", (fingerprint,))
            self._log(fingerprint, "suppress", reason, by, at)
        return int(changed)

    def set_status(self, ids: Sequence[str], status: str, target: str, reason: str, by: str) -> int:
        """Resolve or reopen findings; reopening a suppressed one lifts its fingerprint's
        suppression (its findings become open and appear in the next run's output)."""
        if status not in ("open", "resolved"):
            raise ValueError(status)
        at = utc_now_iso()
        changed = 0
        with self._transaction():
            for finding_id in ids:
                row = self._execute(
                    "SELECT fingerprint, status FROM findings WHERE id = ?", (finding_id,)
                ).fetchone()
                if row is None:
                    continue
                if status == "open" and row[1] == "suppressed":
                    self._execute("DELETE FROM suppressions WHERE fingerprint = ?", (row[0],))
                    changed += self._execute(
                        "UPDATE findings SET status = 'open' WHERE fingerprint = ? "
                        "AND status = 'suppressed'", (row[0],)
                    ).rowcount
                    continue
                changed += self._execute(
                    "UPDATE findings SET status = ? WHERE id = ? AND status != ?",
                    (status, finding_id, status),
                ).rowcount
            if status == "open" and not ids and len(target) == 64:
                self._execute("DELETE FROM suppressions WHERE fingerprint = ?", (target,))
            self._log(target, "resolve" if status == "resolved" else "reopen", reason, by, at)
        return changed

    def _log(self, target: str, action: str, reason: str, by: str, at: str) -> None:
        self._execute(
            "INSERT INTO triage_log (target, action, reason, by, at) VALUES (?, ?, ?, ?, ?)",
            (target, action, reason, by, at),
        )

    def suppressions(self) -> list[Suppression]:
        rows = self._execute(
            "SELECT fingerprint, entity_type, reason, by, at FROM suppressions ORDER BY fingerprint"
        )
        return [Suppression(*r) for r in rows]

    def import_suppressions(self, items: Iterable[Suppression]) -> int:
        count = 0
        with self._transaction():
            for item in items:
                self._execute(
                    "INSERT INTO suppressions (fingerprint, entity_type, reason, by, at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO UPDATE SET "
                    "entity_type = excluded.entity_type, reason = excluded.reason, "
                    "by = excluded.by, at = excluded.at",
                    (item.fingerprint, item.entity_type, item.reason, item.by, item.at),
                )
                self._execute(
                    "UPDATE findings SET status = 'suppressed' WHERE fingerprint = ?",
                    (item.fingerprint,),
                )
                self._execute("DELETE FROM outbox WHERE finding_id IN "
                              "(SELECT id FROM findings WHERE fingerprint = ?)", (item.fingerprint,))
                # each fingerprint's history keeps this reason next to any earlier one
                self._log(item.fingerprint, "suppress", item.reason, item.by, item.at)
                count += 1
            self._log("(file)", "import-suppressions", f"{count} suppression(s)", os_user(),
                      utc_now_iso())
        return count
