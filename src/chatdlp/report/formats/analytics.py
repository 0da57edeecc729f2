"""analytics.json: aggregates only, k-anonymous. No user id, value or excerpt."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from chatdlp.report.analytics import Breakdown, Period
from chatdlp.report.formats.base import write_json
from chatdlp.report.model import ReportModel

FILE_NAME = "analytics.json"
SCHEMA = "chatdlp.analytics/1"


def breakdown_dict(breakdown: Breakdown) -> dict[str, object]:
    rows: list[dict[str, object]] = []
    for row in breakdown.rows:
        item: dict[str, object] = {"key": row.key}
        if row.messages is not None:
            item["messages"] = row.messages
        item.update(
            findings=row.findings, conversations=row.conversations,
            distinct_users=row.distinct_users,
        )
        rows.append(item)
    return {"groups": rows, "suppressed_groups": breakdown.suppressed_groups}


def period_dict(period: Period) -> dict[str, object]:
    if period.suppressed:
        return {"period": period.label, "suppressed": True}
    return {
        "period": period.label,
        "suppressed": False,
        "conversations": period.conversations,
        "messages": period.messages,
        "conversations_with_findings": period.conversations_with_findings,
        "share_conversations_with_findings": period.share_with_findings,
        "findings": period.findings,
        "distinct_users": period.distinct_users,
        "by": {b.dimension: breakdown_dict(b) for b in period.breakdowns},
    }


class AnalyticsFormatter:
    name: ClassVar[str] = "analytics"

    def write(self, model: ReportModel, out_dir: Path) -> tuple[Path, ...]:
        analytics = model.analytics
        document = {
            "schema": SCHEMA,
            "generated_at": model.run.generated_at,
            "tool": {"name": model.run.tool, "version": model.run.version},
            "policies": [{"name": p.name, "sha256": p.sha256} for p in model.run.policies],
            "time_window": {"start": analytics.window_start, "end": analytics.window_end},
            "min_group_size": analytics.min_group_size,
            "complete": model.run.complete,
            "overall": period_dict(analytics.overall),
            "days": [period_dict(day) for day in analytics.days],
        }
        return (write_json(out_dir / FILE_NAME, document),)
