"""incidents.json and incidents.csv: a value (by fingerprint) across conversations or users."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from chatdlp.report.formats.base import write_csv, write_json
from chatdlp.report.model import Incident, ReportModel

JSON_FILE = "incidents.json"
CSV_FILE = "incidents.csv"
COLUMNS = (
    "fingerprint", "entity_type", "category", "max_severity", "first_seen", "last_seen",
    "conversation_count", "user_count", "count", "conversations", "users",
)


def incident_dict(incident: Incident) -> dict[str, object]:
    return {
        "fingerprint": incident.fingerprint,
        "entity_type": incident.entity_type,
        "category": incident.category,
        "max_severity": incident.max_severity.value,
        "first_seen": incident.first_seen,
        "last_seen": incident.last_seen,
        "count": incident.count,
        "conversations": list(incident.conversations),
        "users": list(incident.users),
    }


class IncidentsFormatter:
    name: ClassVar[str] = "incidents"

    def write(self, model: ReportModel, out_dir: Path) -> tuple[Path, ...]:
        document = {
            "generated_at": model.run.generated_at,
            "incident_count": len(model.incidents),
            "incidents": [incident_dict(i) for i in model.incidents],
        }
        rows = (
            (
                i.fingerprint, i.entity_type, i.category, i.max_severity.value, i.first_seen,
                i.last_seen, len(i.conversations), len(i.users), i.count,
                " ".join(i.conversations), " ".join(i.users),
            )
            for i in model.incidents
        )
        return (
            write_json(out_dir / JSON_FILE, document),
            write_csv(out_dir / CSV_FILE, COLUMNS, rows),
        )
