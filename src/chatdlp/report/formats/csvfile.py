"""findings.csv: one row per finding, safe to open in a spreadsheet."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from chatdlp.report.formats.base import write_csv
from chatdlp.report.model import ReportModel

FILE_NAME = "findings.csv"
COLUMNS = (
    "id", "severity", "category", "entity_type", "rule_id", "policy", "score",
    "conversation_id", "message_id", "role", "user_id", "created_at", "excerpt",
    "fingerprint", "source", "content_type", "tool_name", "gpt_id", "project_id",
    "start", "end", "link",
)


class CsvFormatter:
    name: ClassVar[str] = "csv"

    def write(self, model: ReportModel, out_dir: Path) -> tuple[Path, ...]:
        def rows() -> Iterator[tuple[object, ...]]:
            link = model.options.link_template
            for f in model.findings:
                yield (
                    f.id, f.severity.value, f.category.value, f.entity_type, f.rule_id, f.policy,
                    round(f.score, 4), f.conversation_id, f.message_id, f.role, f.user_id,
                    f.created_at, f.excerpt, f.fingerprint, f.source, f.content_type,
                    f.tool_name, f.gpt_id, f.project_id, f.start, f.end,
                    link.url(f.conversation_id, f.message_id),
                )

        return (write_csv(out_dir / FILE_NAME, COLUMNS, rows()),)
